"""Syllables of the country's place names that standard orthography does not allow.

Names from the languages of the Central Highlands and the north-west are written
officially as they sound: "Đắk Lắk", "Krông Búk", "Ea H'Leo", "Ia Grai".  Their syllables
break the rules of `syllable.py`, so without them a model knows none of these names,
stripped "Krong Buk" cannot come back with its marks, and a line holding one looks like
OCR damage and is "repaired" ("Kông Buk").  The installed gazetteer lists every
province, district and commune, so its names are the inventory of such syllables; the
model's build takes them in (:func:`lm_unit`), and restoration then knows them from the
model's vocabulary (``CandidateIndex.knows``), without reading the gazetteer again.
"""

from __future__ import annotations

import json
import re
from functools import cache

from .syllable import normalize_syllable

_LETTERS = re.compile(r"[^\W\d_]+")
_ROMAN = re.compile(r"[IVXLC]+")


@cache
def gazetteer_names() -> frozenset[str]:
    """Province, district and commune names of vietnam_provinces' flat division list."""
    import vietnam_provinces

    names: set[str] = set()
    with open(vietnam_provinces.FLAT_DIVISIONS_JSON_PATH, encoding="utf-8") as fh:
        for row in json.load(fh):
            for key in ("province_name", "district_name", "ward_name"):
                if row.get(key):
                    names.add(row[key])
    return frozenset(names)


@cache
def place_syllables() -> frozenset[str]:
    """Lower-case letter runs of two letters or more in place names that are not standard
    syllables; single letters ("M'" of "M'Đrắk"), Roman numerals ("Phường II") and
    capitals ("NT") are left out, as they are no words."""
    found = set()
    for name in gazetteer_names():
        for run in _LETTERS.findall(name):
            if len(run) >= 2 and not run.isupper() and not _ROMAN.fullmatch(run) \
                    and normalize_syllable(run) is None:
                found.add(run.lower())
    return frozenset(found)


def lm_unit(word: str) -> str | None:
    """The model's unit for a word: its normalised syllable, or a place-name syllable in
    lower case; None if it is neither."""
    syllable = normalize_syllable(word)
    if syllable is not None:
        return syllable
    lower = word.lower()
    return lower if lower in place_syllables() else None
