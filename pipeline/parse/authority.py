"""Authority lines of a signature block read back through seal and signature damage.

The lines above a signer's name come from a small closed set: a signing mark (TM., KT., Q.,
TL., TUQ., Decree 30/2020/NĐ-CP, Appendix I) with the collective body, then the position. A
seal printed over them splits words ("THƯỜNG" read as "THU ONG") or turns a few of them into
junk ("PXQ" for "PHÓ CHỦ TỊCH"). Because the set is closed, a damaged line is read as the
known phrase it fits; a line that fits none is left as printed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from pipeline.parse.text import fold, is_upper_text

# Positions, the most common in plans first: a junk word is read as the first that fits.
POSITIONS = (
    "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "PHÓ CHỦ TỊCH THƯỜNG TRỰC", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC",
    "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "BÍ THƯ", "PHÓ BÍ THƯ",
    "PHÓ BÍ THƯ THƯỜNG TRỰC", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "HIỆU TRƯỞNG",
    "PHÓ HIỆU TRƯỞNG", "CHÁNH THANH TRA", "ỦY VIÊN THƯỜNG TRỰC",
)
BODIES = (
    "ỦY BAN NHÂN DÂN", "BAN THƯỜNG TRỰC", "BAN THƯỜNG VỤ", "BAN CHẤP HÀNH", "BAN CHỈ ĐẠO",
    "HỘI ĐỒNG NHÂN DÂN", "HỘI ĐỒNG", "ĐẢNG ỦY", "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM", "THƯỜNG TRỰC",
)
_MARKS = ("TM.", "KT.", "Q.", "TL.", "TUQ.")
# Words that may stand beside the phrases without being junk: levels and abbreviations.
_OTHER_WORDS = ("XÃ", "PHƯỜNG", "THỊ", "TRẤN", "HUYỆN", "QUẬN", "TỈNH", "THÀNH", "PHỐ", "UBND",
                "HĐND", "MTTQ", "MTTQVN", "T/M")
_FUZZY_CUTOFF = 90  # rapidfuzz ratio (0-100) for a whole line read as a known phrase
_LETTERS_CUTOFF = 82  # the same on letters only, spaces and marks dropped
_MIN_LETTERS = 5


@lru_cache(maxsize=1)
def _phrases() -> tuple[str, ...]:
    """Every known authority line: positions, signing marks with a body or a position."""
    marked = [f"TM. {body}" for body in BODIES] + [
        f"{mark} {position}" for mark in ("KT.", "Q.", "TL.", "TUQ.") for position in POSITIONS
    ]
    return POSITIONS + BODIES + tuple(marked)


@lru_cache(maxsize=1)
def _by_fold() -> dict[str, str]:
    return {fold(phrase): phrase for phrase in _phrases()}


@lru_cache(maxsize=1)
def _words() -> dict[str, str]:
    """Folded word -> printed word, for every word of the known lines."""
    words = {fold(w): w for phrase in _phrases() for w in phrase.split()}
    words.update({fold(w): w for w in _OTHER_WORDS + _MARKS})
    return words


def repair_authority(line: str) -> str:
    """The known authority line that a damaged one stands for, else the line as printed.
    Authority lines are set in capitals: a word in small letters before them is debris a seal
    or signature left ("sĩ PHÓ CHỦ TỊCH")."""
    tokens = _rejoin(line.split())
    while len(tokens) > 1 and not any(c.isupper() for c in tokens[0]) and is_upper_text(
        " ".join(tokens[1:])
    ):
        tokens = tokens[1:]
    folded = fold(" ".join(tokens))
    exact = _by_fold().get(folded)
    if exact:
        return exact  # written with its marks, whatever the restoration made of them
    known = [fold(t) in _words() for t in tokens]
    if all(known):
        return " ".join(tokens)  # known words in a combination not listed (a level, a place)
    best = process.extractOne(
        folded, list(_by_fold()), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
    )
    if best:
        return _by_fold()[best[0]]
    return _fill_junk(tokens, known) or _by_letters(line, folded) or line


def _by_letters(line: str, folded: str) -> str | None:
    """A line the seal glued ("PHỚCHỦ TỊCH") or strewed with marks ("K?>CHỦ TỊCH", "PHÓ €ÌỦ
    TỊCH"): its letters alone, compared with the known lines' letters; near matches only when
    marks show the damage, since a clean line may be a position the list lacks."""
    letters = re.sub(r"[^a-z]", "", folded)
    if len(letters) < _MIN_LETTERS:
        return None
    if letters in _letters():
        return _letters()[letters]
    if not re.search(r"[^\w\s./]", line):
        return None
    best = process.extractOne(
        letters, list(_letters()), scorer=fuzz.ratio, score_cutoff=_LETTERS_CUTOFF
    )
    return _letters()[best[0]] if best else None


@lru_cache(maxsize=1)
def _letters() -> dict[str, str]:
    return {re.sub(r"[^a-z]", "", folded): phrase for folded, phrase in _by_fold().items()}


def _rejoin(tokens: list[str]) -> list[str]:
    """Two pieces, not both known words, that together fold to a known word are that word
    ("THU ONG" -> "THƯỜNG")."""
    words = _words()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = fold(tokens[i] + tokens[i + 1]) if i + 1 < len(tokens) else ""
        if pair in words and not (fold(tokens[i]) in words and fold(tokens[i + 1]) in words):
            out.append(words[pair])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _fill_junk(tokens: list[str], known: list[bool]) -> str | None:
    """One run of at most two junk words beside at least two intact known words: the most
    common known line that keeps the intact words around it and starts the run with the same
    letter ("PXQ THƯỜNG TRỰC" -> "PHÓ CHỦ TỊCH THƯỜNG TRỰC")."""
    junk = [i for i, ok in enumerate(known) if not ok]
    if len(junk) > 2 or junk[-1] - junk[0] + 1 != len(junk) or len(tokens) - len(junk) < 2:
        return None
    before = [fold(t) for t in tokens[:junk[0]]]
    after = [fold(t) for t in tokens[junk[-1] + 1:]]
    initial = fold(tokens[junk[0]])[:1]
    for phrase in _phrases():
        words = [fold(w) for w in phrase.split()]
        middle = words[len(before):len(words) - len(after)]
        if (
            middle
            and words[:len(before)] == before
            and words[len(words) - len(after):] == after
            and middle[0].startswith(initial)
        ):
            return phrase
    return None
