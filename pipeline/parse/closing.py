"""The closing: the "Nơi nhận" list (left column) and the authority and signature (right).

OCR may read either column first, flatten both into shared lines, or leave stamp debris and
"(Đã ký)" between the position and the name; lines are classified one by one.
"""

from __future__ import annotations

import re

from pipeline.parse.authority import repair_authority
from pipeline.parse.names import is_family_name, looks_like_name, normalise_name
from pipeline.parse.parts import is_authority, is_person_name, noi_nhan_end
from pipeline.parse.text import collapse, is_upper_text

_BULLET = re.compile(r"^[-+*•–—➢►▪◦○·✓~¬]\s*")  # "~", "¬": a dash as OCR reads it
# marks a seal or a signature leaves at a line's ends ("`Nguyễn Văn A", "'* CHỦ TỊCH")
_SEAL_DEBRIS = re.compile(r"^[`'\"*\\^>~_#|/⁄“”‘’.,:;!?\s]+(?=\w)|(?<=\w)[\s`'\"*\\^<>~_#|/⁄]+$")
_TRAILING_CAPS = re.compile(r"[;,]\s*((?:[A-ZĐÀ-Ỹ.]+\s*){2,})$")


def recipients(lines: list[str]) -> list[str]:
    """The bullets under "Nơi nhận", a wrapped bullet joined back, end marks dropped."""
    start = next((i for i, t in enumerate(lines) if noi_nhan_end(t) is not None), None)
    if start is None:
        return []
    items: list[str] = []
    first = lines[start][noi_nhan_end(lines[start]) or 0:].strip()
    for text in ([first] if _BULLET.match(first) else []) + lines[start + 1:]:
        if not text:
            continue
        text, _ = _split_authority(text)
        if _BULLET.match(text):
            items.append(_BULLET.sub("", text))
        elif items and text[0].islower() and not items[-1].rstrip().endswith((";", ".")):
            items[-1] = f"{items[-1]} {text}"
        elif items and len(text.split()) > 12:
            break  # running text again: the list is over
        # anything else (the signature column read in between, stamp debris) is skipped
    return [
        collapse(item).rstrip(" ;,.") for item in items if re.search(r"[^\W\d_]", item)
    ]


def _split_authority(text: str) -> tuple[str, str | None]:
    """A flattened line "- UBND huyện (B/c); CHỦ TỊCH" -> the bullet and the position."""
    match = _TRAILING_CAPS.search(text)
    if match and is_authority(match.group(1).strip()):
        return text[:match.start() + 1], match.group(1).strip()
    return text, None


def signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(signer name, authority lines joined by " / ").

    The authority lines are the runs of capitalised lines that hold a position (a damaged line
    next to one still belongs to it), each read back as the known authority line it stands for
    when a seal damaged it. OCR often reads the first of them beside "Nơi nhận:" and the rest
    after the recipients, so every such run outside the list counts, in order. The name is the
    first name-shaped line after the last run, or the run's last line when that is a name set
    in capitals.
    """
    cleaned: list[str] = []
    for text in lines:
        head = noi_nhan_end(text)
        if head is not None:
            text = text[head:].strip()
        text, position = _split_authority(text)
        text = _SEAL_DEBRIS.sub("", position or text)
        if text:
            cleaned.append(text)
    authority: list[str] = []
    name = None
    last_end = 0
    start = 0
    while start < len(cleaned) and name is None:
        end = start
        while end < len(cleaned) and _caps_line(cleaned[end]):
            end += 1
        run = [repair_authority(line) for line in cleaned[start:end]]
        if any(is_authority(line) for line in run):
            if len(run) > 1 and not is_authority(run[-1]) and _name_in_capitals(run[-1]):
                name = run.pop().title()
            authority += run
            last_end = end
        start = max(end, start + 1)
    if not authority:
        return None, None
    name = name or next((found for t in cleaned[last_end:] if (found := _name_in(t))), None)
    return (normalise_name(name) if name else None), " / ".join(authority)


def _name_in_capitals(text: str) -> bool:
    """A signer's name set in capitals ("NGUYỄN VĂN AN"), not a position the seal garbled
    ("ZXPHÓÈHỦ TỊCH"): a name begins with a family name."""
    return is_person_name(text.title()) and is_family_name(text.split()[0])


def _name_in(text: str) -> str | None:
    """The signer's name on a line: the whole line when it is name-shaped, else a family name
    and the capitalised words after it at the line's end (seal debris read before it). A
    signature crossing the name leaves marks between its words ("Phạm: Văn Thịnh"): a line
    that is a name once they are gone is that name."""
    if _BULLET.match(text) or _caps_line(text):
        return None
    if is_person_name(text) or looks_like_name(text):
        return text
    unmarked = _MARKS_BETWEEN_WORDS.sub(" ", text).strip()
    if unmarked != text and is_family_name(unmarked.split()[0]) and is_person_name(unmarked):
        return unmarked
    tail = _NAME_AT_END.search(text)
    if tail and is_family_name(tail.group(1).split()[0]) and looks_like_name(
        tail.group(1)[:1].upper() + tail.group(1)[1:]
    ):
        return tail.group(1)
    return None


_MARKS_BETWEEN_WORDS = re.compile(r"(?<=\w)\s*[:.'`\"*^~|/\\][\s:.'`\"*^~|/\\]*(?=\w)")
# a word of letters, then 1-4 capitalised words, at the line's end; the first word of letters
# only, so that debris read before the name ("ớ 7 Nguyễn Văn Phương") cannot start it
_NAME_AT_END = re.compile(r"(?:^|\s)([^\W\d_]+(?:\s+[A-ZĐÀ-Ỹ]\w*){1,4})$")


def _caps_line(text: str) -> bool:
    """A line of the authority block; a count note of the recipients ("08 KH") is not."""
    return (is_upper_text(text) and len(text.split()) <= 10 and not _BULLET.match(text)
            and not text[:1].isdigit())
