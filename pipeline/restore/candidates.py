"""Candidate syllables per token, with costs.

Restoration uses exact strip-matches; later stages (OCR repair) can add
candidates from edits of the letters with channel costs through the same
Candidates shape: vocabulary ids plus an additive log-score per id.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .lm import NUM_ID, UNK_ID, LanguageModel
from .syllable import has_diacritics, strip_diacritics
from .tokens import PUNCT, SYMBOL, WORD, Token, is_all_caps

_ROMAN = re.compile(r"[IVXLC]+")  # section numbers: "VI." and "Điều VI" are not "Vì"
# beam per token: the most frequent accented forms of a stripped one. "do" has 32 forms; at 10,
# a corpus rich in "đo" and "đỗ" pushed "đỡ" out and "giúp đỡ" came back "giúp do" (19 words of
# restore_eval's 7,806); at 12 and at 14, 59 errors against 79, for 5% of the speed.
MAX_CANDIDATES = 12
# Capitalisation cue: log P(case | syllable), weighted and floored so that title-case
# phrases ("Cuộc vận động") cannot overrule the LM on their own.
CAP_WEIGHT = 1.0
CAP_FLOOR = -3.0
MAX_CACHED = 200_000  # candidate lists kept per index (each well under 1 KB)
AS_WRITTEN_BONUS = 5.0  # log-odds for keeping an unmarked word on a line written with marks


@dataclass(frozen=True, slots=True)
class Candidates:
    """What one LM position may be: ids (best prior first) and their extra scores."""

    ids: np.ndarray  # int64 vocabulary ids
    scores: np.ndarray  # float32 log-scores added to the LM (channel, case cues)
    restorable: bool = False  # False: fixed context, the token stays as written
    # per id, True where its score alone stands for it, without the n-grams (a name reading)
    context_free: np.ndarray | None = None


@dataclass
class CandidateIndex:
    """Stripped lower-case syllable → vocabulary ids of its accented forms."""

    lm: LanguageModel
    by_key: dict[str, np.ndarray]
    # stripped form → every syllable of it seen in a personal name (names.py): the
    # candidates of a name, which by_key's commonest forms may not reach
    name_forms: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict[tuple[str, bool, bool], Candidates] = field(default_factory=dict, repr=False)

    @classmethod
    def from_model(cls, lm: LanguageModel, max_candidates: int = MAX_CANDIDATES) -> CandidateIndex:
        """Group the vocabulary by stripped form; keep the max_candidates most frequent."""
        groups: dict[str, list[int]] = {}
        for i, syl in enumerate(lm.vocab):
            if not syl.startswith("<"):
                groups.setdefault(strip_diacritics(syl), []).append(i)
        by_key, name_forms = {}, {}
        named = (np.zeros(len(lm.vocab), bool) if lm.name_logp is None
                 else np.isfinite(lm.name_logp).any(axis=0))
        for key, ids in groups.items():
            arr = np.array(ids, dtype=np.int64)
            order = np.argsort(-lm.frequency[arr], kind="stable")
            by_key[key] = arr[order][:max_candidates]
            if named[arr].any():
                name_forms[key] = arr[order][named[arr[order]]]
        return cls(lm, by_key, name_forms)

    def fixed(self, token: Token) -> Candidates:
        """Context-only position for a token we keep as written."""
        if token.kind == SYMBOL:
            uid = NUM_ID if any(c.isdigit() for c in token.text) else UNK_ID
        elif token.kind == PUNCT:
            uid = self.lm.id_of(token.text)
        else:
            uid = self.lm.unit_of(token.text)
        return Candidates(np.array([uid]), np.zeros(1, dtype=np.float32))

    def for_token(self, tokens: list[Token], i: int) -> Candidates:
        """Candidates of token i, or a fixed position if it must stay as written."""
        tok = tokens[i]
        numbered = i + 1 < len(tokens) and tokens[i + 1].text in (")", ".")
        roman = _ROMAN.fullmatch(tok.text) is not None
        marker = (len(tok.text) == 1 and numbered) or (
            roman and (numbered or not self.in_capitalised_line(tokens, i))
        )
        key = (tok.text, tok.sentence_initial, marker)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= MAX_CACHED:  # text of endless distinct tokens: stay bounded
                self._cache.clear()
            found = self._cache[key] = self._compute(tok, marker)
        return found

    def _compute(self, tok: Token, marker: bool) -> Candidates:
        text = tok.text
        if tok.kind != WORD or has_diacritics(text) or marker:  # markers: "a)", "VI."
            return self.fixed(tok)
        if not (text.islower() or text.isupper() or text[1:].islower()):
            return self.fixed(tok)  # iPhone, McDonald: not Vietnamese
        ids = self.by_key.get(text.lower())
        if ids is None:
            return self.fixed(tok)
        if len(ids) == 1 and self.lm.vocab[ids[0]] == text.lower():
            return Candidates(ids, np.zeros(1, dtype=np.float32))
        scores = np.zeros(len(ids), dtype=np.float32)
        if not tok.sentence_initial and not is_all_caps(text):
            cue = self.lm.cap_logp if text[0].isupper() else self.lm.lower_logp
            scores += CAP_WEIGHT * np.maximum(cue[ids], CAP_FLOOR)
        return Candidates(ids, scores, restorable=True)

    def as_written(self, tokens: list[Token], i: int) -> Candidates:
        """Candidates of an unmarked word among marked ones: its unmarked reading, if it
        is a syllable, gets AS_WRITTEN_BONUS, so only a confident LM changes it."""
        cands = self.for_token(tokens, i)
        own = cands.ids == self.lm.id_of(tokens[i].text.lower())
        if not cands.restorable or not own.any():
            return cands
        return Candidates(cands.ids, cands.scores + AS_WRITTEN_BONUS * own, restorable=True)

    def abbreviation(self, text: str) -> str | None:
        """Written form of a known ALL-CAPS abbreviation (TDKT → TĐKT, UBND → UBND)."""
        return self.lm.abbreviations.get(text) if is_all_caps(text) else None

    def abbreviation_known(self, text: str) -> bool:
        return self.abbreviation(text) is not None

    def in_capitalised_line(self, tokens: list[Token], i: int) -> bool:
        """True if the nearest word on either side (same line) is an ALL-CAPS ordinary
        word, as in a heading "UBND TINH CA MAU", where CA or VI may be words."""
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(tokens) and tokens[j].kind != WORD and "\n" not in tokens[j].text:
                j += step
            if 0 <= j < len(tokens) and tokens[j].kind == WORD:
                text = tokens[j].text
                if is_all_caps(text) and self.abbreviation(text) is None:
                    return True
        return False

    def knows(self, word: str) -> bool:
        """Is the word a unit of the model as written ("Krông", a place name's own syllable,
        which the build took from the gazetteer) or the stripped form of one ("Krong")?"""
        lower = word.lower()
        return lower in self.lm.index if has_diacritics(lower) else lower in self.by_key

    def could_be_word(self, text: str) -> bool:
        """True if the letters also spell a stripped syllable (CA: Công an or "cà")."""
        return text.lower() in self.by_key


# Spellings from the letters Tesseract weighed (Word.choices): at most CHOICE_SWAPS letters of
# a word read otherwise (a third would reach a word Tesseract saw little of), the
# MAX_SPELLINGS cheapest per word.
CHOICE_SWAPS = 2
MAX_SPELLINGS = 64


def choice_spellings(letters: Sequence[Sequence[tuple[str, float]]]) -> list[tuple[str, float]]:
    """Spellings of a word with one or CHOICE_SWAPS of its letters read as an alternative
    Tesseract weighed (per letter: the letter read, then (alternative, cost in nats)), each
    with its summed cost, the cheapest first."""
    read = [options[0][0] for options in letters]
    open_ = [i for i, options in enumerate(letters) if len(options) > 1]
    spelled = []
    for swaps in range(1, CHOICE_SWAPS + 1):
        for places in itertools.combinations(open_, swaps):
            for picks in itertools.product(*(letters[i][1:] for i in places)):
                spelling = list(read)
                for i, (letter, _) in zip(places, picks, strict=True):
                    spelling[i] = letter
                spelled.append(("".join(spelling), sum(cost for _, cost in picks)))
    return heapq.nlargest(MAX_SPELLINGS, spelled, key=lambda found: found[1])
