"""Text primitives: accent folding, markdown emphasis, junk lines.

Every matcher in the parser works on ``fold(text)``: lower case without diacritics, one
character per input character, so a span found in the folded text is the same span in the
printed text. That lets one pattern read clean, restored and OCR'd text alike and still return
values exactly as printed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_EMPHASIS = re.compile(r"\*\*|__|(?<![\w\\])\*(?=\S)|(?<=\S)\*(?!\w)")
_HASHES = re.compile(r"^\s*#{1,6}\s*")
_ESCAPED_STAR = "\x00"


class _FoldTable(dict):
    """str.translate table filled on first sight of each character, so folding runs at C speed
    on text of any length."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = "d" if char in "đĐ" else unicodedata.normalize("NFD", char)[0].lower()
        folded = base if len(base) == 1 else char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case, diacritics and đ removed, same length as ``text``."""
    return text.translate(_FOLD)


# zero-width spaces and joiners, direction marks, the BOM: invisible, and they split words
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


def nfc(text: str) -> str:
    """NFC, without the invisible marks copied text carries."""
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", text))


def collapse(text: str) -> str:
    return " ".join(text.split())


def is_upper_text(text: str) -> bool:
    """True when (nearly) every letter is a capital: how headings and header blocks are set."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    return sum(c.isupper() for c in letters) >= 0.75 * len(letters)


@dataclass
class Line:
    text: str  # printed text, emphasis marks removed, whitespace collapsed
    emphasised: bool  # the whole line was bold or a markdown heading


def clean_lines(text: str) -> list[Line]:
    """Split into lines, dropping markdown emphasis but remembering which lines were emphasised.

    Bold may span several lines (a signature block set in bold), so the open/closed state is
    carried from line to line. ``\\*`` (an escaped asterisk, printed as a bullet) is kept.
    """
    lines: list[Line] = []
    in_bold = False
    text = re.sub(r"<br\s*/?>", "\n", nfc(text), flags=re.IGNORECASE)  # HTML breaks in tables
    for raw in text.replace("\r", "").replace("\f", "\n").split("\n"):
        line = raw.replace("\\*", _ESCAPED_STAR)
        heading = bool(_HASHES.match(line))
        line = _HASHES.sub("", line).strip()
        starts_bold = in_bold or line.startswith(("**", "__"))
        in_bold ^= line.count("**") % 2 == 1
        ends_bold = in_bold or line.endswith(("**", "__"))
        stripped = _EMPHASIS.sub("", line).replace(_ESCAPED_STAR, "*")
        lines.append(Line(collapse(stripped), heading or (starts_bold and ends_bold)))
    return lines


def is_junk(text: str) -> bool:
    """Stamp, signature and scan debris: a few symbols or letters that make no words."""
    visible = text.replace(" ", "")
    if not visible:
        return False
    if re.fullmatch(r"[-+*•–—_=~.]{3,}", visible):
        return True
    alnum = sum(c.isalnum() for c in visible)
    if alnum < 0.5 * len(visible):
        return True
    words = re.findall(r"\w+", text)
    return len(visible) <= 3 and not any(w.isdigit() or len(w) >= 2 for w in words)


def keyword_end(text: str, keyword: str, max_edits: int = 1) -> int | None:
    """Where a folded keyword ("noi nhan") ends at the start of ``text``, tolerating as many
    character edits as OCR makes in it ("Nơ1 nhặn:", "Kính gùi"); None when it is not there.
    The keyword must be followed by a colon or end the line: a sentence may start with it."""
    folded = fold(text.lstrip())
    offset = len(text) - len(text.lstrip())
    best: tuple[int, int] | None = None
    for length in range(len(keyword) - max_edits, len(keyword) + max_edits + 1):
        head = folded[:length]
        if len(head) < length or not re.match(r"\s*(?:[:;]|$)", folded[length:]):
            continue
        distance = Levenshtein.distance(head, keyword, score_cutoff=max_edits)
        if distance <= max_edits and (best is None or distance < best[0]):
            best = (distance, length)
    if best is None:
        return None
    end = offset + best[1]
    colon = re.match(r"\s*[:;.]?\s*", text[end:])
    return end + (colon.end() if colon else 0)


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below


def tone_last(text: str) -> str:
    """One spelling per syllable whatever vowel carries its tone ("hoà" = "hòa", "Uỷ" = "Ủy"):
    a syllable has one tone mark, so moving it to the word's end loses nothing."""
    def move(word: re.Match) -> str:
        letters = unicodedata.normalize("NFD", word.group())
        tones = "".join(c for c in letters if c in _TONE_MARKS)
        return "".join(c for c in letters if c not in _TONE_MARKS) + tones

    return unicodedata.normalize("NFC", re.sub(r"\w+", move, text))
