"""The body's outline: paragraphs re-joined, numbered items placed in their hierarchy, sections.

Decree 30/2020 (Appendix I) numbers the body's parts with Roman numerals, items with Arabic
numbers ("1.", "1.1."), points with letters ("a)"), and sets "-"/"+" bullets under them; large
plans add lettered parts (A., B.) above the Roman ones. Every numbered line takes its level from
its numbering, so what lies under an item is known whatever its wording, and an item is a
section exactly when something lies under it (FIELDS.md) or when it is a "Label: text" item.
OCR damages numerals ("|.", "TI.") and splits lines mid-sentence; both are repaired here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.parse.text import Line, fold, is_upper_text

ROMAN = {
    numeral: value
    for value, numeral in enumerate(
        ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV"),
        start=1,
    )
}
PART_LETTERS = "ABCDĐEGH"  # lettered parts above the Roman ones, in order

# Levels, outermost first: lettered part, Roman part, "1.", "1.1.", "1.1.1.", "a)", "(1)",
# "-" bullet, "+" bullet, running text.
PART, ROMAN_PART, ARABIC, LETTER, PAREN, BULLET, SUB_BULLET, TEXT = 0, 1, 2, 5, 6, 7, 8, 9

# Numbering: "I." (also "I-"), "1." / "1)" / "1-", "1.1." and "a)" / "a." / "a/".
_ROMANISH = re.compile(
    r"^([IVXLTl1|!]{1,5}|[^\W\d_]{1,3})\s*([.,:)]|[-–](?=\s*[^\W\d_]))\s*(\S.*)$"
)
_DOTTED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,2})\.?\s+(\S.*)$")
_ARABIC = re.compile(r"^(\d{1,2})\s*(?:[.)]|[-–](?=\s+[^\W\d_]|[^\W\d_]+\s))\s*(\S.*)$")
_LETTER = re.compile(r"^([a-zđ])\s*[.)/]\s+(\S.*)$")
_PAREN = re.compile(r"^\((\d{1,2}|[a-zđ])\)\s*(\S.*)$")
_ARTICLE = re.compile(r"^(Điều\s+\d{1,3})\s*[.:]\s*(\S.*)$", re.IGNORECASE)  # a decision's
# "bờ)", "á)": a letter item after OCR correction took it for a syllable
_DAMAGED_LETTER = re.compile(r"^([^\W\d_A-ZĐ][^\W\d_]?)\)\s+(\S.*)$")
_BULLET = re.compile(r"^([-+*•–—➢►▪◦○·✓~¬])\s*(\S.*)$")  # "~": a dash as OCR reads it
_LEAD_JUNK = re.compile(r"^[_.,]+\s+(?=[-+*•–—a-zà-ỹđ])")
_OPENERS = ("can cu", "thuc hien", "noi nhan")
_SIGNING_MARKS = {"TM", "KT", "TL", "TUQ", "Q", "TP"}  # "TM. ỦY BAN…", "KT. CHỦ TỊCH"
# "Label: text" – the label names a topic or an actor in a few words, not a time
_LABEL = re.compile(r"^([^:;]{2,70}?)\s*:\s*(\S.*)$")
_TIME_LABEL = re.compile(r"^(?:nam|thang|quy|tu|truoc|den|giai doan|dot|ngay|cham nhat)\b.*\d")
# the body's closing sentence ("… thực hiện./."), which belongs to no item
_NOTE = re.compile(r"^\([^()]*\)\.?$")  # "(Có danh sách kèm theo)": a note on the whole list
_CLOSING_REMARK = re.compile(r"(?:\./\.?|\.\s*/)\s*$")


@dataclass
class Block:
    """One logical paragraph of the body: a section heading, a bullet, a paragraph or a row."""

    kind: str  # "heading" | "bullet" | "para" | "row"
    text: str  # heading text, bullet text without its mark, or the paragraph as printed
    number: str | None = None  # numbered lines, as printed (headings and numbered paragraphs)
    level: int = TEXT  # see the level constants above
    path: tuple[str, ...] = ()  # enclosing section headings' texts, outermost first
    emphasised: bool = False
    cells: list[str] = field(default_factory=list)  # table rows only, empty cells kept
    label: str | None = None  # "Label: text" lines: the label
    content: str | None = None  # "Label: text" lines: the text after the label


def numbered(text: str) -> bool:
    roman = _ROMANISH.match(text)
    if roman and (roman.group(1) in ROMAN or (
        _damaged_numeral(roman.group(1), roman.group(2)) and is_upper_text(roman.group(3))
    )):
        return True
    return any(p.match(text) for p in (_DOTTED, _ARABIC, _LETTER))


def starts_block(text: str) -> bool:
    return bool(
        numbered(text)
        or _ARTICLE.match(text)
        or _DAMAGED_LETTER.match(text)
        or _PAREN.match(text)
        or _BULLET.match(text)
        # "Căn cứ…"/"Thực hiện…" open a paragraph; in lower case they carry a sentence on
        or (text[:1].isupper() and fold(text).startswith(_OPENERS))
        or text.count("|") >= 2
    )


def paragraphs(lines: list[Line]) -> list[Line]:
    """Re-join lines that OCR or page breaks split mid-sentence.

    A line continues the previous one when the previous does not end a sentence and the line
    does not start a block of its own, and either it starts in lower case or the previous line
    ran to the full width of a wrapped page (OCR keeps the printed line breaks). A heading in
    capitals wrapped onto a second capital line is joined too.
    """
    lengths = sorted(len(line.text) for line in lines if line.text)
    wrap = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    wrapped = 0 < wrap < 150
    out: list[Line] = []
    for line in lines:
        text = _LEAD_JUNK.sub("", line.text)
        if not text:
            continue
        if out:
            prev = out[-1]
            open_end = not prev.text.endswith((".", ";", ":", "!", "?", "./."))
            lower = text[0].islower()
            # a line that runs to the full width is wrapped, a numbered one too; a heading in
            # capitals does not run on into running text
            full = wrapped and len(prev.text) >= 0.7 * wrap and not prev.emphasised and not (
                is_upper_text(prev.text) and not is_upper_text(text)
            )
            caps_heading = (
                _is_heading_line(prev) and is_upper_text(prev.text) and is_upper_text(text)
                and not text.count("|")
            )
            if open_end and not starts_block(text) and (lower or full or caps_heading):
                # a symbol broken at its hyphen or slash ("09-" + "NQ/TU") is rejoined tight
                split_symbol = re.search(r"\d[\w/]*[-/]$", prev.text)
                prev.text = f"{prev.text}{'' if split_symbol else ' '}{text}"
                prev.emphasised = prev.emphasised and line.emphasised
                continue
        out.append(Line(text, line.emphasised))
    return out


def _is_heading_line(line: Line) -> bool:
    numbered_line = numbered(line.text) or _DAMAGED_LETTER.match(line.text)
    return line.emphasised or bool(numbered_line and len(line.text.split()) <= 20)


def outline(lines: list[Line]) -> list[Block]:
    """Blocks in reading order, each numbered line with its level, sections marked, and each
    block's path of enclosing sections."""
    paras = paragraphs(lines)
    # Roman part headings are in capitals; a damaged numeral ("|.", "TI.") still tells that
    # the document uses them, but a bare "1." in capitals needs a true numeral elsewhere.
    has_roman = any(
        (m := _ROMANISH.match(p.text)) and is_upper_text(m.group(3))
        and (m.group(1) in ROMAN or _damaged_numeral(m.group(1), m.group(2)))
        for p in paras
    )
    blocks: list[Block] = []
    last_roman = 0
    next_part = 0  # index into PART_LETTERS of the lettered part expected next
    last_letter: str | None = None  # the previous item's letter, if it was a letter item
    for para in paras:
        block = _numbered_block(para, has_roman, last_roman, next_part, last_letter)
        if block is None:
            block = _plain(para)
        elif block.level == PART:
            next_part += 1
        elif block.level == ROMAN_PART:
            last_roman = ROMAN.get(block.number or "", last_roman + 1)
        if block.number is not None:
            last_letter = block.number if block.level == LETTER else None
        blocks.append(block)
        if _ARTICLE.match(para.text):
            blocks.append(Block("para", para.text, emphasised=para.emphasised))  # its content
    _mark_sections(blocks)
    _set_paths(blocks)
    return blocks


def _numbered_block(
    para: Line, has_roman: bool, last_roman: int, next_part: int, last_letter: str | None
) -> Block | None:
    text = para.text
    article = _ARTICLE.match(text)
    if article:  # "Điều 1. …": a section titled by its first sentence
        heading = re.split(r"(?<!\d)\.(?:\s|$)", article.group(2))[0]
        return Block("heading", _heading_text(heading), number=article.group(1),
                     level=ROMAN_PART, emphasised=para.emphasised)
    roman = _ROMANISH.match(text)
    if roman:
        token, separator, rest = roman.groups()
        if (next_part < len(PART_LETTERS) and token == PART_LETTERS[next_part]
                and is_upper_text(rest) and len(rest.split()) <= 30):
            return _block("heading", token, rest, PART, para)
        damaged = has_roman and is_upper_text(rest) and (
            token.isdigit() or _damaged_numeral(token, separator)
        )
        if (token in ROMAN or damaged) and len(rest.split()) <= 30 and (
            token in ROMAN or len(token) > 1 or token not in PART_LETTERS
        ):
            number = token if token in ROMAN else _to_roman(last_roman + 1)
            return _block("heading", number, rest, ROMAN_PART, para)
    damaged_letter = _DAMAGED_LETTER.match(text)
    if damaged_letter and not _LETTER.match(text) and len(damaged_letter.group(2).split()) <= 20:
        return _block("para", _next_letter(last_letter), damaged_letter.group(2), LETTER, para)
    dotted = _DOTTED.match(text)
    if dotted:
        level = ARABIC + dotted.group(1).count(".")
        return _block("para", dotted.group(1), dotted.group(2), level, para)
    for pattern, level in ((_ARABIC, ARABIC), (_LETTER, LETTER), (_PAREN, PAREN)):
        match = pattern.match(text)
        if match:
            return _block("para", match.group(1), match.group(2), level, para)
    return None


def _block(kind: str, number: str, rest: str, level: int, para: Line) -> Block:
    """A numbered line; its text stays as printed until it is found to be a section."""
    rest = rest.strip()
    label = _LABEL.match(rest)
    is_label = bool(
        label and len(label.group(1).split()) <= 8 and not _TIME_LABEL.match(fold(label.group(1)))
    )
    return Block(
        kind, para.text if kind == "para" else _heading_text(rest), number=number, level=level,
        emphasised=para.emphasised,
        label=label.group(1).strip() if is_label else None,
        content=label.group(2).strip() if is_label else None,
    )


def _heading_text(rest: str) -> str:
    return rest.strip().rstrip(":.; ").strip()


def _mark_sections(blocks: list[Block]) -> None:
    """A numbered item (not a "(1)" one) is a section when something lies under it: a deeper
    item, a bullet or running text (not the body's closing sentence). A "Label: text" item is
    a section under its label."""
    for i, block in enumerate(blocks):
        if block.kind == "heading" or block.number is None or block.level >= PAREN:
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        under = following is not None and following.level > block.level and not (
            following.kind == "para" and following.number is None
            and (_CLOSING_REMARK.search(following.text) or _NOTE.match(following.text))
        )
        rest = _strip_number(block.text)
        if under:
            block.kind, block.text = "heading", _heading_text(rest)
        elif block.label:
            blocks[i] = Block("para", block.text, number=block.number, level=block.level,
                              emphasised=block.emphasised, label=block.label,
                              content=block.content)
            blocks.insert(i, Block("heading", _heading_text(block.label), number=block.number,
                                   level=block.level, emphasised=block.emphasised))
            blocks[i + 1].level = TEXT


def _strip_number(text: str) -> str:
    for pattern in (_DOTTED, _ARABIC, _LETTER, _PAREN, _DAMAGED_LETTER):
        match = pattern.match(text)
        if match:
            return match.group(2)
    return text


def _set_paths(blocks: list[Block]) -> None:
    stack: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            while stack and stack[-1].level >= block.level:
                stack.pop()
            block.path = tuple(h.text for h in stack)
            stack.append(block)
        else:
            while stack and block.number is not None and stack[-1].level >= block.level:
                stack.pop()
            block.path = tuple(h.text for h in stack)


def _damaged_numeral(token: str, separator: str) -> bool:
    """A Roman numeral as OCR or restoration left it: "|", "TI", "IlI", "TỪ.", "H."; a word in
    capitals before a comma ("ĐẠO, HƯỚNG DẪN") is a wrapped heading's next line, not one."""
    return token not in ROMAN and token not in _SIGNING_MARKS and (
        set(token) <= set("IVXLTl1|!") or (token.isupper() and separator in ".)")
    )


def _plain(para: Line) -> Block:
    if para.text.count("|") >= 2:
        cells = [c.strip() for c in para.text.strip("|").split("|")]
        return Block("row", " | ".join(cells), cells=cells)
    bullet = _BULLET.match(para.text)
    kind, text, level = "para", para.text, TEXT
    if bullet:
        kind, text = "bullet", bullet.group(2)
        level = SUB_BULLET if bullet.group(1) == "+" else BULLET
    label = _LABEL.match(text)
    is_label = bool(label and len(label.group(1).split()) <= 8)
    return Block(kind, text, level=level, emphasised=para.emphasised,
                 label=label.group(1).strip() if is_label else None,
                 content=label.group(2).strip() if is_label else None)


def _next_letter(letter: str | None) -> str:
    letters = "abcdđeghiklmnopqrstuvxy"
    if letter is None or letter not in letters[:-1]:
        return "a"
    following = letters[letters.index(letter) + 1]
    return "e" if following == "đ" else following


def _to_roman(value: int) -> str:
    return next((k for k, v in ROMAN.items() if v == value), str(value))
