"""Abbreviations whose D is Đ, read off the phrase they abbreviate.

Stripped text writes "chuong trinh dao tao (CTDT)": the decoder restores the phrase, but an
ALL-CAPS abbreviation it does not know stays as typed, though its D stands for the Đ of
"đào". Vietnamese abbreviations take one letter per syllable ("chương trình đào tạo" → CTĐT),
so a run of restored words near the abbreviation whose initials spell it tells which D is Đ;
the same abbreviation is then spelled that way throughout the text.
"""

from __future__ import annotations

from functools import lru_cache

from .syllable import strip_diacritics
from .tokens import WORD, Token

WINDOW = 40  # words on either side of an abbreviation searched for its phrase


def spell_from_phrases(tokens: list[Token], out: list[str]) -> None:
    """In place: each ALL-CAPS word of ``out`` left with a plain D gets Đ where a nearby run
    of restored words with those initials starts with đ. Abbreviations the decoder spelled
    with Đ are not ASCII any more and are left alone; one it kept as typed because it is
    ambiguous (GD: giáo dục or giám đốc) is settled by the phrase."""
    words = [i for i, tok in enumerate(tokens) if tok.kind == WORD]
    texts = [out[i] for i in words]
    spelled: dict[str, str] = {}
    for position, text in enumerate(texts):
        if text in spelled or not _open(text):
            continue
        phrase = _phrase_for(text, texts, position)
        if phrase is not None:
            spelled[text] = "".join(
                "Đ" if letter == "D" and word[:1] in "đĐ" else letter
                for letter, word in zip(text, phrase, strict=True)
            )
    for i in words:
        if out[i] in spelled:
            out[i] = spelled[out[i]]


def _open(text: str) -> bool:
    """An abbreviation the decoder left as typed, one of whose D's may be Đ."""
    return len(text) >= 2 and text.isalpha() and text.isupper() and "D" in text and text.isascii()


def _phrase_for(abbreviation: str, texts: list[str], position: int) -> list[str] | None:
    """The nearest run of words (not ALL CAPS) whose initials spell the abbreviation, with an
    đ where it has a D; None when the text does not spell it out nearby."""
    size = len(abbreviation)
    key = abbreviation.lower()
    starts = range(max(0, position - WINDOW), min(len(texts) - size, position + WINDOW) + 1)
    for start in sorted(starts, key=lambda s: abs(s - position)):
        run = texts[start : start + size]
        if start <= position < start + size or any(w.isupper() and len(w) > 1 for w in run):
            continue
        initials = "".join(_initial(w[:1]) for w in run)
        if initials == key and any(w[:1] in "đĐ" for w in run):
            return run
    return None


@lru_cache(maxsize=1024)
def _initial(letter: str) -> str:
    """A word's first letter as it counts in an abbreviation: lower case, no marks (cached:
    the same few letters are asked for throughout a text)."""
    return strip_diacritics(letter).lower()
