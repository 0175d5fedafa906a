"""Which kind of text a line is: clean Vietnamese, stripped of marks, or OCR-damaged.

`vnplan restore` takes all three without flags.  A line is OCR-damaged when
too many of its words are not Vietnamese syllables, with or without marks
("ctia", "hién", "s6"); a document with many such lines is treated as OCR
throughout, since there a valid-looking word ("Pang", "Ké") is damaged too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from .syllable import has_diacritics, is_valid_syllable, strip_diacritics, syllable_inventory

CLEAN, STRIPPED, OCR = "clean", "stripped", "ocr"
MODES = (CLEAN, STRIPPED, OCR)
_WORDISH = re.compile(r"[^\s]*[^\W\d_][^\s]*")
_ROMAN = re.compile(r"[IVXLC]+")
_SYMBOL = re.compile(r".*[\w][@.\-–_][\w].*").fullmatch  # e-mail, domain, TT-BTC
_EDGE = ".,;:!?\"“”'‘’()[]{}…-–—*#_"  # punctuation and markdown-like emphasis
OCR_LINE_SHARE = 0.2  # share of non-syllable words that marks a line as OCR-damaged
OCR_DOCUMENT_SHARE = 0.08  # share of such words that marks the whole text as OCR output
OCR_DOCUMENT_MIN = 8  # ... and how many there must be at least


def _nothing_known(word: str) -> bool:
    return False


@dataclass(frozen=True)
class LineStats:
    words: int
    marked: int  # valid syllables written with marks
    invalid: int  # neither a syllable nor a known abbreviation


def line_stats(
    line: str, is_abbreviation: Callable[[str], bool],
    known: Callable[[str], bool] = _nothing_known,
) -> LineStats:
    words = marked = invalid = 0
    for match in _WORDISH.finditer(line):
        word = match.group().strip(_EDGE)
        if len(word) < 2 or "/" in word or word.isdigit() or _ROMAN.fullmatch(word):
            continue  # list markers "a)", section numbers "VI.", symbols
        words += 1
        if word.isalpha() and (known(word) or is_plausible(word)):
            marked += has_diacritics(word)
        elif not (word.isupper() or is_abbreviation(word) or _foreign(word) or _SYMBOL(word)):
            invalid += 1
    return LineStats(words, marked, invalid)


@cache
def _stripped_inventory() -> frozenset[str]:
    return frozenset(strip_diacritics(s) for s in syllable_inventory(tones=(1,)))


def is_plausible(word: str) -> bool:
    """A syllable as written, or the stripped form of one ("chuc", "dieu")."""
    if has_diacritics(word):
        return is_valid_syllable(word)
    return word.lower() in _stripped_inventory()


def _foreign(word: str) -> bool:
    """Plain Latin words with a capital inside or ASCII-only long words (Zalo, Fanpage)."""
    return word.isascii() and word.isalpha() and len(word) > 6 and word == strip_diacritics(word)


def line_modes(
    lines: list[str], is_abbreviation: Callable[[str], bool],
    known: Callable[[str], bool] = _nothing_known,
) -> list[str]:
    """Each line's kind. ``known``: is the word a unit of the model as written or stripped
    (a place name's own syllable, "Krông" or "Krong", which orthography alone rejects)?"""
    stats = [line_stats(line, is_abbreviation, known) for line in lines]
    words = sum(s.words for s in stats)
    invalid = sum(s.invalid for s in stats)
    ocr_document = invalid >= OCR_DOCUMENT_MIN and invalid > OCR_DOCUMENT_SHARE * words
    modes = []
    for s in stats:
        damaged = s.invalid >= max(2, OCR_LINE_SHARE * s.words)
        if s.words == 0:
            modes.append(CLEAN)
        elif damaged or (s.invalid and ocr_document):
            modes.append(OCR)
        elif s.marked * 2 >= s.words:
            modes.append(CLEAN)
        else:
            modes.append(OCR if ocr_document else STRIPPED)
    return modes
