"""Personal names: a class model of which syllables are family, middle and given names.

Word n-grams pull a name towards the phrase its syllables spell ("Lê Văn Kiên" →
"văn kiện").  A title-case run that starts with a family name may instead be a
person's name, whose syllables come from name statistics: the decoder is offered
both readings of each syllable of such a run, the ordinary one scored by the
n-grams and the name one by P(syllable | its slot in the name), and keeps the
likelier (decode.viterbi).  The statistics are counted by the model builder from
the lexicon's name lists and from the names found in running text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .candidates import CAP_FLOOR, CAP_WEIGHT, Candidates
from .lm import LanguageModel
from .syllable import normalize_syllable, strip_diacritics
from .tokens import WORD, segments, tokenize

FAMILY, MIDDLE, GIVEN = range(3)
SLOTS = 3
# Groups of dictionaries/admin_lexicon.txt that list name syllables, by their header.
LEXICON_SECTIONS = {"Họ": FAMILY, "Tên đệm": MIDDLE, "Tên": GIVEN}
MIN_NAME, MAX_NAME = 3, 4  # syllables of a name read as one: shorter title-case runs are
# mostly titles ("Ban Tổ chức", "Phó Chủ tịch"; under a third are names), longer ones headings
NOT_A_NAME = -np.inf  # log P(syllable | slot) of a syllable never seen in a name
HEAD_WEIGHT = 1.0  # of log P(a name follows | word) before a run read as a name


def is_titled(word: str) -> bool:
    """Written with a capital, then lower case: how names are printed in running text."""
    return word[:1].isupper() and (len(word) == 1 or word[1:].islower())


def lexicon_names(path: Path) -> Iterator[tuple[int, str]]:
    """(slot, syllable) of every syllable in the lexicon's family, middle and given-name
    groups ("Thị Thu" in the middle names gives two middle syllables)."""
    if not path.is_file():
        return
    slot = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            slot = LEXICON_SECTIONS.get(line[2:].strip())
        elif line and slot is not None:
            for word in line.split():
                syllable = normalize_syllable(word)
                if syllable is not None:
                    yield slot, syllable


def slot_of(position: int, length: int) -> int:
    """Family name first, given name last, middle names between."""
    return FAMILY if position == 0 else GIVEN if position == length - 1 else MIDDLE


def title_runs(titled: list[bool], glued: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, end) of the maximal runs of title-case positions; glued[i] is False where
    punctuation parts position i from the one before."""
    start = None
    for i, flag in enumerate([*titled, False]):
        if start is not None and (not flag or not glued[i]):
            yield start, i
            start = None
        if flag and start is None:
            start = i


def name_runs(
    titled: list[bool], glued: list[bool], opens: list[bool]
) -> Iterator[tuple[int, int]]:
    """(start, end) of the title-case runs that could be names: each maximal run from its
    first word that could be a family name (opens), of MIN_NAME to MAX_NAME syllables.
    The words before it are the titles names are printed after ("Bà Nguyễn Thị Lan",
    "Ông Trần Văn Kiên"), which no family name opens."""
    for start, end in title_runs(titled, glued):
        first = next((k for k in range(start, end) if opens[k]), end)
        if MIN_NAME <= end - first <= MAX_NAME:
            yield first, end


def running_text_names(
    texts: Iterable[str], family: set[str], named: set[str],
    heads: tuple[Counter[str], Counter[str]] | None = None,
) -> tuple[list[tuple[int, str]], np.ndarray]:
    """The names in running text and how often a title-case run is one.

    Names are title-case runs of MIN_NAME to MAX_NAME known name syllables, the first a
    family name ("Trần Thị Huyền"), after any title ("Bà"): their (slot, syllable) pairs
    tell which slots the listed syllables take, and how often ("Phó Chủ Tịch" is no
    name).  The decoder offers a name reading wherever a run could open with a family
    name once marks are lost, so the share per run length, the prior of a name reading,
    is counted over those runs ("Ban Chỉ Đạo" could open with "Bàn").

    heads, if given, is filled with the word just before each title-case run of name
    syllables ("bà", "ông", "đồng chí") and with every word, for head_logp.
    """
    openers = {strip_diacritics(syllable) for syllable in family}
    found: list[tuple[int, str]] = []
    syllables_in = np.zeros(MAX_NAME + 1)
    names_in = np.zeros(MAX_NAME + 1)
    for text in texts:
        tokens = tokenize(text)
        for seg in segments(tokens):
            words = [tokens[i] for i in seg]
            syllables = [normalize_syllable(t.text) if t.kind == WORD else None for t in words]
            titled = [s is not None and is_titled(t.text) for s, t in zip(syllables, words,
                                                                           strict=True)]
            opens = [s is not None and strip_diacritics(s) in openers for s in syllables]
            if heads is not None:
                _count_heads(syllables, titled, opens, named, heads)
            for start, end in name_runs(titled, [True] * len(words), opens):
                run = [s for s in syllables[start:end] if s is not None]
                syllables_in[len(run)] += len(run)
                if run[0] in family and named.issuperset(run):
                    names_in[len(run)] += len(run)
                    found.extend((slot_of(k, len(run)), s) for k, s in enumerate(run))
    return found, names_in / np.maximum(syllables_in, 1.0)


def _witten_bell(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Counts interpolated with a lower-order distribution, weighted by how many types
    the counts have seen (Witten-Bell)."""
    seen, types = counts.sum(), np.count_nonzero(counts)
    return (counts + types * lower) / max(seen + types, 1.0)


def estimate_name_logp(counts: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """log P(syllable | slot) per slot (rows) and vocabulary id for the syllables seen in
    names (NOT_A_NAME elsewhere), smoothed in two steps: towards the syllable's share of
    all name occurrences, so one listed only as a family name ("Kiên") is still a
    plausible given name; that share towards the syllable's frequency in text, since name
    lists say which syllables are names but not how common each is (Phương, Phượng).
    Only syllables seen as family names take the family slot."""
    anywhere = counts.sum(axis=0)
    named = anywhere > 0
    base = np.where(named, frequency, 0.0)
    p_any = _witten_bell(anywhere, base / max(base.sum(), 1e-12))
    out = np.full(counts.shape, NOT_A_NAME, dtype=np.float32)
    for slot in range(counts.shape[0]):
        # family names are a closed class, well listed: no other syllable opens a name
        known = counts[slot] > 0 if slot == FAMILY else named
        out[slot, known] = np.log(_witten_bell(counts[slot], p_any)[known])
    return out


def _count_heads(syllables: list[str | None], titled: list[bool], opens: list[bool],
                 named: set[str], heads: tuple[Counter[str], Counter[str]]) -> None:
    """Count every word, and the words just before a title-case run of two or more name
    syllables opened by a possible family name (the runs the decoder reads as names)."""
    heads[1].update(s for s in syllables if s is not None)
    for k in range(1, len(syllables) - 1):
        head = syllables[k - 1]
        if head is None or not (opens[k] and titled[k] and titled[k + 1]):
            continue
        end = next((j for j in range(k, len(titled)) if not titled[j]), len(titled))
        if (not titled[k - 1] or not opens[k - 1]) and named.issuperset(syllables[k:end]):
            heads[0][head] += 1


def head_logp(heads: tuple[Counter[str], Counter[str]], index: dict[str, int],
              prior: float = 2.0) -> np.ndarray:
    """Smoothed log P(a name follows | syllable) per vocabulary id: "bà", "ông" are
    followed by one far more often than "ba", "ong", which the n-grams cannot tell
    where the name's own syllables are scored without them (with_name_readings)."""
    before, total = np.zeros(len(index)), np.zeros(len(index))
    for counts, out in zip(heads, (before, total), strict=True):
        for syllable, count in counts.items():
            if syllable in index:
                out[index[syllable]] += count
    rate = max(before.sum(), 1.0) / max(total.sum(), 1.0)
    return np.log((before + prior * rate) / (total + prior)).astype(np.float32)


def with_name_readings(
    lm: LanguageModel, cands: list[Candidates], titled: list[bool], glued: list[bool],
    cued: list[bool], forms: list[np.ndarray | None] | None = None,
) -> list[Candidates]:
    """The candidates of a segment, with a name reading beside the word reading of each
    name syllable in title-case runs opened by a family name; name readings are scored
    by the name model alone, without the n-grams (Candidates.context_free), and without
    the case cue where one was added (cued): a name is capitalised whatever its syllables.

    forms, per position, are the name syllables its letters may spell beyond its word
    candidates (restoration keeps the commonest words of a stripped form, where "Do"
    may not reach "Đỗ" nor "Dang" "Đặng"); they come as name readings alone."""
    name_logp, share = lm.name_logp, lm.name_share
    if name_logp is None or share is None:
        return cands
    out = list(cands)
    forms = forms or [None] * len(cands)
    opens = [flag and any(ids is not None and np.isfinite(name_logp[FAMILY, ids]).any()
                          for ids in (cand.ids, more))
             for flag, cand, more in zip(titled, cands, forms, strict=True)]
    for start, end in name_runs(titled, glued, opens):
        prior = float(share[end - start])
        if not 0 < prior < 1:
            continue
        head = out[start - 1] if start and glued[start] else None
        if head is not None and head.restorable and lm.head_logp is not None:
            # the word before is scored as the head of a name ("Bà", not "Ba"), as surely
            # as the run is one
            out[start - 1] = Candidates(
                head.ids, (head.scores + HEAD_WEIGHT * prior * lm.head_logp[head.ids]
                           ).astype(np.float32), True, head.context_free)
        # the run's prior, shared out over its syllables: a whole reading pays it once
        length = end - start
        word_reading, name_reading = math.log(1.0 - prior) / length, math.log(prior) / length
        for k in range(start, end):
            cand = cands[k]
            ids, base = _with_forms(cand, forms[k])
            slot_logp = name_logp[slot_of(k - start, end - start), ids]
            named = np.isfinite(slot_logp)
            if not named.any():
                continue
            if cued[k]:
                base = base - CAP_WEIGHT * np.maximum(lm.cap_logp[ids], CAP_FLOOR)
            out[k] = Candidates(
                np.concatenate([cand.ids, ids[named]]),
                np.concatenate([cand.scores + word_reading,
                                base[named] + name_reading + slot_logp[named]]
                               ).astype(np.float32),
                cand.restorable,
                np.concatenate([np.zeros(len(cand.ids), bool), np.ones(int(named.sum()), bool)]),
            )
    return out


def _with_forms(cand: Candidates, forms: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of a position's word candidates, then of the forms it lacks (score 0:
    restoration scores its candidates by context and case alone)."""
    if forms is None or not cand.restorable:
        return cand.ids, cand.scores
    more = forms[~np.isin(forms, cand.ids)]
    return (np.concatenate([cand.ids, more]),
            np.concatenate([cand.scores, np.zeros(len(more), np.float32)]))
