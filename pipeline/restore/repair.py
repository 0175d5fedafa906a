"""OCR repair: noisy-channel decoding of damaged Vietnamese lines.

Each word-like token gets candidate syllables from three places: syllables the
channel saw read exactly this way, stripped forms reachable by look-alike
letters, and stripped forms within a small edit distance (rapidfuzz over the
LM vocabulary's stripped keys).  Each candidate is scored log P(token | syllable)
by the channel and the restoration decoder's trigram Viterbi picks the sequence
(decode.decode_segments), so repair and diacritic restoration share one decoder.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .align import EDGE_PUNCT, LOOKALIKES, skeleton
from .candidates import CAP_FLOOR, CAP_WEIGHT, CandidateIndex, Candidates, choice_spellings
from .channel import ChannelModel, base_char, match_case
from .decode import decode_segments
from .lm import BITS, BOS_ID, NUM_ID, UNK_ID, LanguageModel
from .names import is_titled, with_name_readings
from .syllable import Syllable, decompose, normalize_syllable, strip_diacritics

_PIECE = re.compile(
    rf"^(?P<lead>[{re.escape(EDGE_PUNCT)}]*)(?P<core>.*?)(?P<trail>[{re.escape(EDGE_PUNCT)}]*)$"
)
_SENTENCE_END = frozenset(".!?;:")
_SENTENCE_OPENERS = frozenset('.!?:;…"“”«»([{-–—*#•')  # after these a capital says nothing
# signs OCR puts for letters ("¢6" = "có", "ti€u" = "tiêu"): those of the look-alike table,
# counted as letters
_LETTER_SIGNS = frozenset(sign for sign in LOOKALIKES if not sign.isalnum())
_LOOKALIKE_CHARS = frozenset("0123456789'’,") | _LETTER_SIGNS
MAX_VARIANTS = 48  # look-alike spellings tried per token
# Digits a word may hold for letters, however few its letters: the renders of our own texts
# read "lối" as "16i" 18 times, "lớn" as "16n" 10, "lớp" as "16p" 4 (channel syllable table).
MAX_LOOKALIKE_DIGITS = 2
MAX_NEAR_KEYS = 20  # stripped keys within the edit distance whose syllables are scored
MAX_CACHED = 100_000  # candidate lists kept per repairer (a few KB each)
# Context candidates: the syllables the bigrams expect most between the words around a damaged
# word, after the word before, and before the word after (from each neighbour's best
# CONTEXT_FROM readings), CONTEXT_EXPECTED of each, join its candidates, scored by the channel
# like the others: the channel alone ranks "đỡ" far below "dở" for "d&", so it never reached
# the list although "giúp" asks for it.  Chosen on held-out renders of tests/fixtures read by
# the English model (CER with 0, 3, 5, 8 expected: .0861, .0854, .0853, .0853), not on 002.
CONTEXT_EXPECTED = 5
CONTEXT_FROM = 3
# A spelling Tesseract's LSTM weighed for a word (Word.choices) is scored CHOICE_WEIGHT times
# its cost there (the log of its letters' strength against the letters read), in place of the
# channel's, which prices "b" read for "h" as any stranger: a word read with confidence
# becomes one of them only when the context prefers it by the real-word margin and that cost.
CHOICE_WEIGHT = 1.0


@dataclass(frozen=True)
class RepairConfig:
    """Knobs of the search; ``wide`` widens it for words the OCR engine doubted."""

    max_candidates: int = 20
    prior_weight: float = 1.0  # unigram log-prior added when choosing which candidates to keep
    beam: float = 15.0  # candidates this far (nats) below the best one are not kept
    keep_logp: float = -14.0  # log-score of leaving a non-syllable token as written
    channel_weight: float = 0.6  # channel vs LM: below 1, the LM speaks louder
    max_distance: int = 1  # fuzzy edit distance on stripped forms, +1 for long/doubted words
    # nats the context must prefer another tone of a valid syllable by before it changes
    # ("thế" -> "thể"); None: valid syllables are never changed
    real_word_margin: float | None = 3.0


DEFAULT_CONFIG = RepairConfig()


@dataclass(frozen=True)
class Correction:
    """One changed word, for reviewers: what was read, what was written, how sure."""

    original: str
    corrected: str
    score: float  # log P(original | corrected) under the channel model


@dataclass
class _Piece:
    space: str  # the whitespace before the word, kept as it was
    lead: str
    core: str
    trail: str
    repair: bool  # False: kept as written, used as context only
    wide: bool = False
    retone: bool = False  # a valid syllable whose tone alone may change (real-word errors)
    # per letter, the letters Tesseract weighed there (Word.choices): its spellings may be read
    choices: Sequence[Sequence[tuple[str, float]]] = ()


@dataclass
class Repairer:
    """Repairs OCR-damaged lines with one LM, its candidate index and a channel model."""

    lm: LanguageModel
    index: CandidateIndex
    channel: ChannelModel
    config: RepairConfig = DEFAULT_CONFIG
    _keys: list[str] = field(init=False, repr=False)
    _alike: dict[str, list[str]] = field(init=False, repr=False)
    _key_prior: dict[str, float] = field(init=False, repr=False)
    _tones: dict[Syllable, list[int]] = field(init=False, repr=False)  # ids by letters (tone 0)
    # per token as written and search width (None: tones only); emptied when full, so a long
    # run of unique tokens cannot grow it without bound
    _cache: dict[tuple[str, bool | None], Candidates | None] = field(
        default_factory=dict, repr=False
    )
    _tones: dict[Syllable, list[int]]  # by its letters (tone 0) = field(init=False, repr=False)
    _expected_ids: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)
    _before_keys: np.ndarray = field(init=False, repr=False)  # bigrams as (next, previous)
    _before_logp: np.ndarray = field(init=False, repr=False)  # their log P(next | previous)
    _is_syllable: np.ndarray = field(init=False, repr=False)  # per id: a syllable, not a sign
    _seen_beside: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        self._keys = [key for key in self.index.by_key if key.isalpha()]
        self._alike = self._lookalikes()
        logp = self.lm.unigram_logp
        self._key_prior = {
            key: float(np.logaddexp.reduce(logp[self.index.by_key[key]])) for key in self._keys
        }
        bigrams = self.lm.tables[0]
        low = np.uint64((1 << BITS) - 1)
        swapped = ((bigrams.keys & low) << np.uint64(BITS)) | (bigrams.keys >> np.uint64(BITS))
        order = np.argsort(swapped)
        self._before_keys, self._before_logp = swapped[order], bigrams.logp[order]
        self._is_syllable = np.array([word.isalpha() for word in self.lm.vocab], dtype=bool)
        self._tones = {}
        for i, syllable in enumerate(self.lm.vocab):
            parts = decompose(syllable)
            if parts is not None:
                self._tones.setdefault(replace(parts, tone=0), []).append(i)

    def _lookalikes(self) -> dict[str, list[str]]:
        """OCR character → base letters it most often stood for (share ≥ 10 %)."""
        read_as: dict[str, dict[str, int]] = {}
        for truth, seen in self.channel.chars.items():
            for ocr, count in seen.items():
                if ocr and truth:
                    base = base_char(truth).lower()
                    slot = read_as.setdefault(ocr, {})
                    slot[base] = slot.get(base, 0) + count
        out = {}
        for ocr, bases in read_as.items():
            total = sum(bases.values())
            out[ocr] = [b for b, c in sorted(bases.items(), key=lambda kv: -kv[1])
                        if c >= 0.1 * total][:3]
        return out

    # --- candidates ----------------------------------------------------------------------

    def _variant_keys(self, written: str) -> set[str]:
        """Stripped keys spelled by reading each character as one of its look-alikes."""
        options = [self._alike.get(ch) or [base_char(ch).lower()] for ch in written]
        out = set()
        for combo in itertools.islice(itertools.product(*options), MAX_VARIANTS):
            key = "".join(combo)
            if key in self.index.by_key:
                out.add(key)
        return out

    def _near_keys(self, skel: str, lower: str, distance: int) -> list[str]:
        """Stripped keys within the edit distance, the likeliest MAX_NEAR_KEYS of them.

        Many keys share a distance (83 lie two edits from "thye"), so they are ranked by the
        channel's pooled letter confusions plus the key's unigram mass rather than cut in
        vocabulary order, which dropped "thuc" ("ự" read "y", "c" read "e").
        """
        near = process.extract(
            skel, self._keys, scorer=Levenshtein.distance, score_cutoff=distance, limit=None
        )
        if len(near) <= MAX_NEAR_KEYS:
            return [key for key, _, _ in near]
        weight, prior = self.config.channel_weight, self.config.prior_weight
        ranked = sorted(
            near,
            key=lambda hit: -weight * self.channel.key_logp(hit[0], lower)
            - prior * self._key_prior[hit[0]],
        )
        return [key for key, _, _ in ranked[:MAX_NEAR_KEYS]]

    def candidates(self, core: str, wide: bool = False) -> Candidates:
        """Vocabulary ids a token may stand for, scored by the channel; cached per token."""
        written = unicodedata.normalize("NFC", core)
        cached = self._cache.get((written, wide))
        if cached is not None:
            return cached
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        lower = written.lower()
        keys = self._variant_keys(written)
        skel = skeleton(lower)
        word = strip_diacritics(lower) in self.index.by_key
        # long words, doubted ones, and short non-words ("cif": "ứ" read as two letters)
        distance = self.config.max_distance + (len(skel) >= (4 if word else 3)) + wide
        keys.update(self._near_keys(skel, lower, distance))
        syllables = {self.lm.vocab[int(i)] for key in keys for i in self.index.by_key[key]}
        syllables.update(s for s in self.channel.readings_of(lower) if s in self.lm.index)
        weight, prior = self.config.channel_weight, self.config.prior_weight
        scored = sorted(
            (
                (score + prior * float(self.lm.unigram_logp[self.lm.index[s]]), score, s)
                for s in syllables
                for score in [weight * self.channel.logp(s, written)]
            ),
            reverse=True,
        )[: self.config.max_candidates]
        scored = [c for c in scored if c[0] >= scored[0][0] - self.config.beam]
        ids = [self.lm.index[s] for _, _, s in scored]
        scores = [score for _, score, _ in scored]
        if not word:  # not a syllable: may stay
            ids.append(UNK_ID)
            scores.append(self.config.keep_logp)
        found = Candidates(
            np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32), restorable=True
        )
        self._cache[(written, wide)] = found
        return found

    def tone_candidates(self, core: str) -> Candidates | None:
        """A valid syllable as written and its letters under the other tones in the vocabulary
        ("thế": thể, thề, thệ), scored by the channel like any candidate; the written one also
        gets the real-word margin, so only a context that clearly prefers another tone wins.
        None when the vocabulary has no other tone of it."""
        written = unicodedata.normalize("NFC", core)
        key = (written, None)
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        parts = decompose(written.lower())
        ids = self._tones.get(replace(parts, tone=0), []) if parts is not None else []
        found = None
        if len(ids) > 1 and self.config.real_word_margin is not None:
            # the channel compares spellings letter by letter: "hoá" is "hóa" in the other
            # tone placement, not two misread letters
            canonical = normalize_syllable(written) or written.lower()
            own = self.lm.index.get(canonical)
            seen = match_case(canonical, written)
            weight = self.config.channel_weight
            scores = [
                weight * self.channel.logp(self.lm.vocab[i], seen)
                + (self.config.real_word_margin if i == own else 0.0)
                for i in ids
            ]
            found = Candidates(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32),
                               restorable=True)
        self._cache[key] = found
        return found

    def with_choices(self, cand: Candidates | None, piece: _Piece) -> Candidates | None:
        """``cand`` (None: the word as read, a valid syllable, with the real-word margin) joined
        by the syllables spelled from the letters Tesseract weighed (CHOICE_WEIGHT); a syllable
        already there keeps the better score. None when a word not open otherwise is no
        syllable, or the margin is off."""
        margin = self.config.real_word_margin
        if margin is None:
            return cand
        spelled: dict[int, float] = {}
        for spelling, cost in choice_spellings(piece.choices):
            core = unicodedata.normalize("NFC", _PIECE.match(spelling)["core"])
            if not core.isalpha():
                continue
            i = self.lm.unit_of(core)
            if i != UNK_ID:
                spelled[i] = max(spelled.get(i, -np.inf), CHOICE_WEIGHT * cost)
        if not spelled:
            return cand
        if cand is None:
            written = unicodedata.normalize("NFC", piece.core)
            canonical = normalize_syllable(written)
            own = self.lm.index.get(canonical) if canonical else None
            if own is None:
                return None
            cand = Candidates(np.array([own], dtype=np.int64), np.array([
                self.config.channel_weight * self.channel.logp(canonical,
                                                               match_case(canonical, written))
                + margin], dtype=np.float32), restorable=True)
        scores = dict(zip(cand.ids.tolist(), cand.scores.tolist(), strict=True))
        for i, score in spelled.items():
            scores[i] = max(scores.get(i, -np.inf), score)
        return Candidates(np.array(list(scores), dtype=np.int64),
                          np.array(list(scores.values()), dtype=np.float32), restorable=True)

    def _case_cue(self, cand: Candidates, core: str) -> Candidates:
        """Add log P(case as written | syllable) inside a sentence, as restoration does: a
        capital there marks a name, so "Lê Văn Kién" reads "Kiên", not "văn kiện"."""
        if not core[:1].isalpha() or not (core.islower() or core[1:].islower()):
            return cand
        cue = self.lm.cap_logp if core[0].isupper() else self.lm.lower_logp
        bonus = np.where(cand.ids == UNK_ID, 0.0, CAP_WEIGHT * np.maximum(cue[cand.ids], CAP_FLOOR))
        return Candidates(cand.ids, (cand.scores + bonus).astype(np.float32), cand.restorable)

    def _neighbours(self, word: int, after: bool) -> tuple[np.ndarray, np.ndarray]:
        """Syllables seen right after word (after) or right before it, with log P(next |
        previous) of each bigram."""
        found = self._seen_beside.get((word, after))
        if found is None:
            if after:
                keys, logp = self.lm.tables[0].keys, self.lm.tables[0].logp
            else:
                keys, logp = self._before_keys, self._before_logp
            lo, hi = np.searchsorted(keys,
                                     np.array([word, word + 1], np.uint64) << np.uint64(BITS))
            ids = (keys[lo:hi] & np.uint64((1 << BITS) - 1)).astype(np.int64)
            syllable = self._is_syllable[ids]
            found = self._seen_beside[(word, after)] = (ids[syllable], logp[lo:hi][syllable])
        return found

    def _expected(self, before: int, after: int) -> np.ndarray:
        """The CONTEXT_EXPECTED syllables the bigrams expect between two words (UNK_ID: no
        word on that side): by log P(w | before) + log P(after | w), or one of them with the
        unigram log P(w) for a missing before."""
        key = (before, after)
        found = self._expected_ids.get(key)
        if found is None:
            if after == UNK_ID:
                ids, score = self._neighbours(before, True)
            else:
                ids, score = self._neighbours(after, False)
                if before == UNK_ID:
                    score = score + self.lm.unigram_logp[ids]
                else:
                    left, left_logp = self._neighbours(before, True)
                    ids, i, j = np.intersect1d(left, ids, assume_unique=True,
                                               return_indices=True)
                    score = left_logp[i] + score[j]
            found = ids[np.argsort(-score, kind="stable")[:CONTEXT_EXPECTED]]
            self._expected_ids[key] = found
        return found

    def _with_context(
        self, seg: list[Candidates], places: list[tuple[int, int]],
        parsed: list[list[_Piece] | None], cued: set[tuple[int, int]],
    ) -> list[Candidates]:
        """The segment's candidates, each damaged word's joined by its context candidates
        (CONTEXT_EXPECTED) within the beam of its best channel score."""
        out = list(seg)
        for j, (n, k) in enumerate(places):
            pieces = parsed[n]
            assert pieces is not None
            if not pieces[k].repair:
                continue
            before = [int(w) for w in (seg[j - 1].ids[:CONTEXT_FROM] if j else [BOS_ID])
                      if w != UNK_ID]
            after = [int(w) for w in seg[j + 1].ids[:CONTEXT_FROM] if w > UNK_ID] if (
                j + 1 < len(seg)) else []
            pairs = [*itertools.product(before, after), *((w, UNK_ID) for w in before),
                     *((UNK_ID, w) for w in after)]
            expected = {int(i) for a, c in pairs for i in self._expected(a, c)}
            expected.difference_update(seg[j].ids.tolist())
            if not expected:
                continue
            core = unicodedata.normalize("NFC", pieces[k].core)
            new = np.array(sorted(expected), dtype=np.int64)
            scores = np.array([self.config.channel_weight * self.channel.logp(self.lm.vocab[i],
                                                                              core)
                               for i in new], dtype=np.float32)
            keep = scores >= float(seg[j].scores.max()) - self.config.beam
            if not keep.any():
                continue
            added = Candidates(new[keep], scores[keep], restorable=True)
            if (n, k) in cued:
                added = self._case_cue(added, core)
            out[j] = Candidates(np.concatenate([seg[j].ids, added.ids]),
                                np.concatenate([seg[j].scores, added.scores]), True)
        return out

    # --- lines ---------------------------------------------------------------------------

    def _fixed(self, piece: _Piece) -> Candidates:
        lower = piece.core.lower()
        if any(ch.isdigit() for ch in lower):
            uid = NUM_ID
        else:
            uid = self.lm.id_of(unicodedata.normalize("NFC", lower))
        return Candidates(np.array([uid]), np.zeros(1, dtype=np.float32))

    def repairable(self, core: str) -> bool:
        """Word-like: letters (and look-alike digits or signs), not a number or a symbol."""
        letters = sum(ch.isalpha() or ch in _LETTER_SIGNS for ch in core)
        if not core or "/" in core or core.isdigit() or (not letters and len(core) > 2):
            return False
        if not all(ch.isalpha() or ch in _LOOKALIKE_CHARS for ch in core):
            return False
        if sum(ch.isdigit() for ch in core) > MAX_LOOKALIKE_DIGITS or len(core) > 9:
            return False
        return self.index.abbreviation(core) is None or self.index.could_be_word(core)

    def split_pieces(
        self, line: str, focus: set[int] | None = None, doubted: set[int] | None = None,
        reshape: bool = True, retone: set[int] | None = None,
        choices: dict[int, Sequence[Sequence[tuple[str, float]]]] | None = None,
    ) -> list[_Piece]:
        """Pieces of a line's words; only focus words (all when None) may be repaired, and
        retone words may change their tone; words with ``choices`` (Word.choices, only when
        not ``reshape``) may be read as a spelling Tesseract weighed."""
        pieces = []
        for n, found in enumerate(re.finditer(r"(\s*)(\S+)", line)):
            m = _PIECE.match(found[2])
            assert m is not None
            marker = len(m["core"]) == 1 and (  # list items "b)", "b." and "a. Tập thể"
                m["trail"][:1] == ")" or (n == 0 and m["trail"][:1] == ".")
            )
            repair = (focus is None or n in focus) and not marker and self.repairable(m["core"])
            pieces.append(_Piece(found[1], m["lead"], m["core"], m["trail"], repair,
                                 wide=doubted is not None and n in doubted,
                                 retone=not repair and retone is not None and n in retone,
                                 choices=() if reshape or marker else (choices or {}).get(n, ())))
        return self._merge_split(pieces) if reshape else pieces

    def _is_key(self, core: str) -> bool:
        return skeleton(core) in self.index.by_key

    def _merge_split(self, pieces: list[_Piece]) -> list[_Piece]:
        """Glue halves the OCR broke ("tr ong"), cut words it glued ("cacnganh")."""
        out: list[_Piece] = []
        for piece in pieces:
            prev = out[-1] if out else None
            if (
                prev is not None and prev.repair and piece.repair and not prev.trail
                and not piece.lead and not (self._is_key(prev.core) and self._is_key(piece.core))
                and self._is_key(prev.core + piece.core)
            ):
                prev.core += piece.core
                prev.trail = piece.trail
                continue
            if piece.repair and len(piece.core) >= 5 and not self._near_key(piece.core, 2):
                cut = self._best_cut(piece.core)
                if cut:
                    out.append(_Piece(piece.space, piece.lead, piece.core[:cut], "", True,
                                      piece.wide))
                    out.append(_Piece(" ", "", piece.core[cut:], piece.trail, True, piece.wide))
                    continue
            out.append(piece)
        return out

    def _near_key(self, core: str, distance: int = 1) -> bool:
        return process.extractOne(
            skeleton(core), self._keys, scorer=Levenshtein.distance, score_cutoff=distance
        ) is not None

    def _best_cut(self, core: str) -> int:
        cuts = [i for i in range(1, len(core)) if self._is_key(core[:i]) and self._is_key(core[i:])]
        return max(cuts, key=lambda i: min(i, len(core) - i), default=0)

    def is_junk(self, pieces: list[_Piece]) -> bool:
        """Stamp or signature noise: few tokens that could be Vietnamese words at all."""
        words = [p for p in pieces if p.core]
        if not words:
            return True
        wordlike = sum(p.repair and self._near_key(p.core) for p in words)
        return wordlike < 0.5 * len(words)

    def repair_lines(
        self, lines: list[str], focus: list[set[int]] | None = None,
        doubted: list[set[int]] | None = None, reshape: bool = True,
        retone: list[set[int]] | None = None,
        choices: list[dict[int, Sequence[Sequence[tuple[str, float]]]]] | None = None,
    ) -> tuple[list[str], list[list[Correction]]]:
        """Repaired lines and, per line, the words changed; junk lines pass through.

        focus: per line, the word indices that may change (None: all); doubted: words
        the OCR engine was unsure of, searched wider; reshape: allow merging and
        splitting words (off when words must stay one-to-one with their boxes); retone:
        valid syllables outside the focus whose tone alone may change; choices: per line, the
        letters Tesseract weighed in its words, by word index (see :meth:`with_choices`).
        """
        parsed: list[list[_Piece] | None] = []
        for n, line in enumerate(lines):
            pieces = self.split_pieces(
                line, focus[n] if focus else None, doubted[n] if doubted else None, reshape,
                retone[n] if retone else None, choices[n] if choices else None,
            )
            junk = focus is None and self.is_junk(pieces)
            open_ = any(p.repair or p.retone or p.choices for p in pieces)
            parsed.append(None if junk or not open_ else pieces)
        segs: list[list[Candidates]] = []
        owners: list[list[tuple[int, int]]] = []
        seg: list[Candidates] = []
        own: list[tuple[int, int]] = []
        cued: set[tuple[int, int]] = set()  # places whose scores hold the case cue
        for n, pieces in enumerate(parsed):
            initial, upper_line = True, pieces is not None and _mostly_upper(pieces)
            for k, piece in enumerate(pieces or []):
                initial = initial or not _SENTENCE_OPENERS.isdisjoint(piece.lead)
                if piece.core:
                    cand = (
                        self.candidates(piece.core, piece.wide) if piece.repair
                        else self.tone_candidates(piece.core) if piece.retone else None
                    )
                    if piece.choices:
                        cand = self.with_choices(cand, piece)
                    if cand is not None and not (initial or upper_line):
                        cand = self._case_cue(cand, piece.core)
                        cued.add((n, k))
                    seg.append(cand or self._fixed(piece))
                    own.append((n, k))
                    initial = not _SENTENCE_OPENERS.isdisjoint(piece.trail)
                if piece.trail[-1:] in _SENTENCE_END and seg:
                    segs.append(seg)
                    owners.append(own)
                    seg, own = [], []
            if not pieces and seg:  # blank or junk line: the sentence does not go on
                segs.append(seg)
                owners.append(own)
                seg, own = [], []
        if seg:
            segs.append(seg)
            owners.append(own)
        segs = [with_name_readings(self.lm, self._with_context(cands, places, parsed, cued),
                                   *_name_cues(parsed, places), [place in cued for place in places])
                for cands, places in zip(segs, owners, strict=True)]
        chosen: dict[tuple[int, int], str] = {}
        for cands, places, picks in zip(segs, owners, decode_segments(self.lm, segs), strict=True):
            for cand, place, pick in zip(cands, places, picks, strict=True):
                if cand.restorable and int(cand.ids[pick]) != UNK_ID:
                    chosen[place] = self.lm.vocab[int(cand.ids[pick])]
        return self._render(lines, parsed, chosen)

    def _render(
        self, lines: list[str], parsed: list[list[_Piece] | None],
        chosen: dict[tuple[int, int], str],
    ) -> tuple[list[str], list[list[Correction]]]:
        out_lines, corrections = [], []
        for n, (line, pieces) in enumerate(zip(lines, parsed, strict=True)):
            if pieces is None:
                out_lines.append(line)
                corrections.append([])
                continue
            upper_line = _mostly_upper(pieces)
            words, changed = [], []
            for k, piece in enumerate(pieces):
                core = piece.core
                syllable = chosen.get((n, k))
                if syllable is not None and syllable == normalize_syllable(core):
                    syllable = None  # as written, in its case and tone placement (hoà, HOÀ)
                if syllable is not None:
                    fixed = (match_case(syllable, core) if not piece.repair  # a word, as written
                             else _apply_case(syllable, core, upper_line))
                    if fixed != core:
                        score = self.channel.logp(syllable, unicodedata.normalize("NFC", core))
                        changed.append(Correction(core, fixed, round(score, 3)))
                    core = fixed
                words.append(piece.space + piece.lead + core + piece.trail)
            out_lines.append("".join(words) + line[len(line.rstrip()):])
            corrections.append(changed)
        return out_lines, corrections


def _name_cues(
    parsed: list[list[_Piece] | None], places: list[tuple[int, int]]
) -> tuple[list[bool], list[bool]]:
    """Per position of a segment: is it a title-case word (on a line not in capitals), and
    does it follow the position before on the same line with no punctuation between."""
    titled, glued = [], []
    for j, (n, k) in enumerate(places):
        pieces = parsed[n]
        assert pieces is not None
        titled.append(is_titled(pieces[k].core) and not _mostly_upper(pieces))
        before = places[j - 1] if j else None
        glued.append(before is not None and before[0] == n and not pieces[before[1]].trail
                     and not pieces[k].lead)
    return titled, glued


def _mostly_upper(pieces: list[_Piece]) -> bool:
    letters = "".join(p.core for p in pieces if p.repair or p.retone)
    upper = sum(ch.isupper() for ch in letters)
    return upper > 0.6 * sum(ch.isalpha() for ch in letters)


def _apply_case(syllable: str, written: str, upper_line: bool) -> str:
    if upper_line and sum(ch.isupper() for ch in written) >= max(1, len(written) // 2):
        return syllable.upper()
    if written[:1].isupper() or (written[:1] in "0123456789@&" and upper_line):
        return syllable[:1].upper() + syllable[1:]
    return syllable
