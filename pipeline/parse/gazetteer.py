"""Place names checked against the administrative-division gazetteer (vietnam-provinces).

Scans and restored text lose or garble diacritics and capitals; a name whose folded form is a
known province, district or commune is written the gazetteer's way.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import vietnam_provinces

from pipeline.parse.text import fold

_TYPES = re.compile(
    r"^(thành phố|tỉnh|quận|huyện|thị xã|xã|phường|thị trấn)\s+", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _names() -> dict[str, set[str]]:
    """Folded bare name (no unit type) -> the gazetteer's spellings (Phú Ninh, Phù Ninh…)."""
    names: dict[str, set[str]] = {}
    with open(vietnam_provinces.FLAT_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        for row in json.load(handle):
            for key in ("province_name", "district_name", "ward_name"):
                if row.get(key):
                    bare = _TYPES.sub("", row[key])
                    names.setdefault(fold(bare), set()).add(bare)
    return names


def lookup(name: str) -> str | None:
    """The gazetteer spelling of a bare place name, or None if it is not a known place.

    Where several places fold alike, the one printed with the same marks wins; if the marks
    are lost and the name stays ambiguous, it is not corrected.
    """
    name = " ".join(name.split())
    spellings = _names().get(fold(name), set())
    exact = [s for s in spellings if s.casefold() == name.casefold()]
    if exact:
        return exact[0]
    return next(iter(spellings)) if len(spellings) == 1 else None


def normalise_place(name: str) -> str:
    """A known place the gazetteer's way; anything else as printed."""
    return lookup(name) or name


def longest_place(words: list[str], limit: int = 4) -> int:
    """How many of the leading ``words`` make a known place name (0 if none)."""
    for count in range(min(limit, len(words)), 0, -1):
        if fold(" ".join(words[:count])) in _names():
            return count
    return 0
