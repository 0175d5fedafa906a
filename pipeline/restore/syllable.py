"""Vietnamese syllable structure: decompose, compose, validate, strip.

Restoration, OCR repair and post-OCR correction all reason about syllables as
(onset, vowel nucleus, coda, tone) so they can generate and cost candidates;
this module is the single place that knows the orthography.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Tone marks as combining characters (NFD); index = tone number.
TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
TONE_NAMES = ("ngang", "sac", "huyen", "hoi", "nga", "nang")
_TONE_OF_MARK = {mark: tone for tone, mark in enumerate(TONE_MARKS) if mark}
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn

VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")

_ONSET_TABLE = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x"
ONSETS = frozenset(_ONSET_TABLE.split())
_ONSETS_LONGEST_FIRST = sorted(ONSETS, key=len, reverse=True)
CODAS = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t"])
_STOP_CODAS = frozenset(["c", "ch", "p", "t"])

# Rhymes (vowel cluster + consonant coda) of standard orthography, including the
# forms that follow the onsets "qu" and "gi" (whose u/i belong to the onset).
_RHYME_TABLE = """
a ai ao au ay ac ach am an ang anh ap at
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e eo ec em en eng ep et
ê êu êch êm ên êng ênh êp êt
i ia iu ich im in inh ip it
iêc iêm iên iêng iêp iêt iêu
o oi oc om on ong op ot oo ooc oong
oa oai oay oac oach oam oan oang oanh oap oat oao
oăc oăm oăn oăng oăt
oe oeo oen oet oem
ô ôi ôc ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt ơc
u ua ui uc um un ung up ut
uân uâng uât uây
uê uêch uênh uêu
uôc uôi uôm uôn uông uôt
uơ
uy uya uych uyn uynh uyt uyu uyên uyêt uyp
ư ưa ưi ưu ưc ưm ưn ưng ưt
ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêng yêt yêu ych ynh yt
"""
RHYMES = frozenset(_RHYME_TABLE.split())


@dataclass(frozen=True, slots=True)
class Syllable:
    """A lower-case syllable split the way candidate generators need it."""

    onset: str
    nucleus: str  # vowel letters with shape marks (ă, ơ...), without the tone
    coda: str
    tone: int  # index into TONE_MARKS

    @property
    def rhyme(self) -> str:
        return self.nucleus + self.coda


def strip_diacritics(text: str) -> str:
    """Remove every combining mark and map đ→d: what people type without accents."""
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", out.replace("đ", "d").replace("Đ", "D"))


def has_diacritics(word: str) -> bool:
    """True if the word carries any Vietnamese mark (including đ). Every mark and đ is outside
    ASCII, so an ASCII word (all of a stripped text) is answered without decomposing it."""
    return not word.isascii() and strip_diacritics(word) != word


def _split_letters(base: str) -> tuple[str, str, str] | None:
    """Split a toneless lower-case syllable into onset, vowel cluster, coda."""
    onset = ""
    for cand in _ONSETS_LONGEST_FIRST:
        if base.startswith(cand):
            rest = base[len(cand) :]
            # "gi"/"qu" only act as onsets when a vowel follows ("gìn" is g + in).
            if rest and rest[0] in VOWELS:
                onset = cand
                break
            if cand not in ("gi", "qu"):
                onset = cand
                break
    rest = base[len(onset) :]
    i = 0
    while i < len(rest) and rest[i] in VOWELS:
        i += 1
    nucleus, coda = rest[:i], rest[i:]
    if not nucleus or coda not in CODAS:
        return None
    return onset, nucleus, coda


@lru_cache(maxsize=65536)
def decompose(word: str) -> Syllable | None:
    """Parse a lower-case syllable; None if it breaks Vietnamese orthography."""
    tone = 0
    kept = []
    for ch in unicodedata.normalize("NFD", word):
        mark = _TONE_OF_MARK.get(ch)
        if mark is not None:
            if tone:
                return None
            tone = mark
        elif unicodedata.combining(ch) and ch not in _SHAPE_MARKS:
            return None
        else:
            kept.append(ch)
    base = unicodedata.normalize("NFC", "".join(kept))
    parts = _split_letters(base)
    if parts is None:
        return None
    onset, nucleus, coda = parts
    if nucleus + coda not in RHYMES:
        return None
    if coda in _STOP_CODAS and tone not in (1, 5):
        return None
    return Syllable(onset, nucleus, coda, tone)


def _tone_position(nucleus: str, coda: str) -> int:
    """Index in the nucleus that carries the tone, traditional style (hòa, thủy)."""
    marked = [i for i, ch in enumerate(nucleus) if ch in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    if coda or len(nucleus) == 1:
        return len(nucleus) - 1
    if len(nucleus) == 2:
        return 0
    return 1


def compose(syl: Syllable) -> str:
    """Write a syllable with the tone on its canonical vowel (NFC)."""
    nucleus = syl.nucleus
    if syl.tone:
        pos = _tone_position(nucleus, syl.coda)
        nucleus = (
            nucleus[:pos]
            + unicodedata.normalize("NFC", nucleus[pos] + TONE_MARKS[syl.tone])
            + nucleus[pos + 1 :]
        )
    return syl.onset + nucleus + syl.coda


@lru_cache(maxsize=65536)
def normalize_syllable(word: str) -> str | None:
    """Canonical lower-case spelling of a syllable (tone placement), None if invalid."""
    syl = decompose(word.lower())
    return None if syl is None else compose(syl)


def is_valid_syllable(word: str) -> bool:
    return normalize_syllable(word) is not None


def syllable_inventory(
    observed: Iterable[str] = (), tones: tuple[int, ...] = tuple(range(len(TONE_MARKS)))
) -> frozenset[str]:
    """Every syllable the orthographic rules allow (with c/k, g/gh, ng/ngh spelling),
    plus the valid observed words the rules' regular spellings miss ("gì", "gìn").

    Used where candidates must go beyond the LM vocabulary (OCR repair).  tones keeps
    those tones only: (1,) gives every spelling once, since a rhyme that takes a tone
    takes sắc, and is six times quicker where marks do not matter.
    """
    front = ("i", "e", "ê", "y")
    out = set()
    for onset in ("", *ONSETS):
        for rhyme in RHYMES:
            parts = _split_letters(onset + rhyme)
            if parts is None or parts[0] != onset:
                continue
            first = rhyme[0]
            if onset in ("c", "g", "ng") and first in front:
                continue
            if onset in ("k", "gh", "ngh") and first not in front:
                continue
            if onset == "qu" and first in ("o", "u"):
                continue
            for tone in tones:
                word = compose(Syllable(onset, parts[1], parts[2], tone))
                if decompose(word) is not None:
                    out.add(word)
    out.update(filter(None, map(normalize_syllable, observed)))
    return frozenset(out)
