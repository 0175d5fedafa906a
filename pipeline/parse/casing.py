"""Running case for names printed in capitals, learnt from names written in running case.

A header prints its body's name in capitals ("PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"); the
fields want it the way the name is written in running text: only the syllables that begin the
name's parts are capitals ("Phòng Lao động - Thương binh và Xã hội", "Hội Liên hiệp Phụ nữ",
"Mặt trận Tổ quốc Việt Nam"). Which syllables those are is read off the project's lexicon and
abbreviation expansions, which write such names in running case: for each syllable, how often
it is capitalised after the syllable before it, else on its own, inside a name.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

DICTIONARIES = Path(__file__).resolve().parents[2] / "dictionaries"
MIN_SEEN = 2  # observations before a pair's or a syllable's habit is trusted


@cache
def _habits() -> tuple[Counter, Counter]:
    """(capitalised, seen) counts per syllable in its context: with the syllables either side,
    and with the one before (alone it says little: "đoàn" is lower case in "đoàn kết" but not
    in "Ban Chấp hành Đoàn"); lower case, so "Nguyễn" is not "nguyên"."""
    capital, seen = Counter(), Counter()
    for name in _cased_names():
        words = name.split()
        if not words[0][:1].isupper():
            continue  # a common phrase, not a name
        for n in range(1, len(words)):
            word = words[n]
            if not word[:1].isalpha() or (len(word) > 1 and word.isupper()):
                continue  # numbers, acronyms
            for key in _contexts(words, n):
                seen[key] += 1
                capital[key] += word[:1].isupper()
    return capital, seen


def _contexts(words: list[str], n: int) -> list[tuple[str, ...]]:
    lower = [w.lower() for w in words]
    after = lower[n + 1] if n + 1 < len(lower) else ""
    return [(lower[n - 1], lower[n], after), (lower[n - 1], lower[n])]


def _cased_names() -> list[str]:
    names = []
    lexicon = DICTIONARIES / "admin_lexicon.txt"
    if lexicon.is_file():
        for line in lexicon.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                names.append(line.split("\t")[0].strip())
    abbreviations = DICTIONARIES / "abbreviations.tsv"
    if abbreviations.is_file():
        for line in abbreviations.read_text(encoding="utf-8").splitlines()[1:]:
            names.extend(part.strip() for part in line.split("\t")[1:] if part.strip())
    return [name for name in names if len(name.split()) > 1]


def capitalised(words: list[str], n: int) -> bool | None:
    """Whether ``words[n]`` begins a part of the name in running case, by its habit in the
    widest context seen often enough; None when the lexicon does not say (a place, a person)."""
    capital, seen = _habits()
    for key in _contexts(words, n):
        if seen[key] >= MIN_SEEN:
            return 2 * capital[key] > seen[key]
    return None
