"""The parts of an administrative document (Decree 30/2020/NĐ-CP, Appendix I) and its outline.

A plan is laid out as: the header (issuing body and number on the left; national motto, place
and date on the right), the document type and its summary (title), the body (opening
"Căn cứ…"/"Thực hiện…" paragraphs, then sections numbered I., 1., 1.1., a) with "-"/"+"
bullets), and the closing (the "Nơi nhận" list on the left, authority and signature on the
right). OCR reads the two columns in either order, splits lines mid-sentence and damages the
Roman numerals; the rules below work on the folded text and on the shape of each line, not on
any one document's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.parse.text import Line, clean_lines, collapse, fold, is_junk, is_upper_text

# Types of administrative documents (Appendix III, table of abbreviations), folded -> printed.
DOC_TYPES = {
    fold(name): name
    for name in (
        "Kế hoạch", "Quyết định", "Nghị quyết", "Chỉ thị", "Quy chế", "Quy định", "Thông báo",
        "Hướng dẫn", "Chương trình", "Phương án", "Đề án", "Dự án", "Báo cáo", "Tờ trình",
        "Công văn", "Thông cáo", "Biên bản", "Công điện",
    )
}
ROMAN = {
    numeral: value
    for value, numeral in enumerate(
        ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV"),
        start=1,
    )
}

# Numbering: "I." (also "I-"), "1." / "1)" / "1-", "1.1." and "a)" / "a." / "a/".
_ROMANISH = re.compile(
    r"^([IVXLTl1|!]{1,5}|[^\W\d_]{1,3})\s*(?:[.,:)]|[-–](?=\s*[^\W\d_]))\s*(\S.*)$"
)
_DOTTED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+(\S.*)$")
_ARABIC = re.compile(r"^(\d{1,2})\s*(?:[.)]|[-–](?=\s*[^\W\d_]))\s*(\S.*)$")
_LETTER = re.compile(r"^([a-zđ])\s*[.)/]\s+(\S.*)$")
# "bờ)", "á)": a letter item after OCR correction took it for a syllable
_DAMAGED_LETTER = re.compile(r"^([^\W\d_A-ZĐ][^\W\d_]?)\)\s+(\S.*)$")
_BULLET = re.compile(r"^([-+*•–—➢►▪◦○·✓])\s*(\S.*)$")
_LEAD_JUNK = re.compile(r"^[_.,]+\s+(?=[-+*•–—a-zà-ỹđ])")
_OPENERS = ("can cu", "thuc hien", "noi nhan")
MOTTO = re.compile(
    r"cong hoa xa hoi chu nghia viet nam|doc lap\s*[-–—]\s*tu do\s*[-–—]\s*hanh phuc"
    r"|dang cong san viet nam"
)
_NUMBER_LINE = re.compile(r"^s[o6ô0]\s*[:;.]")
_PLACE_DATE = re.compile(r",\s*ngay\b.*\bnam\s+\d{4}")
_SIGNING_MARKS = {"TM", "KT", "TL", "TUQ", "Q", "TP"}  # "TM. ỦY BAN…", "KT. CHỦ TỊCH"
_SIGNED = re.compile(r"^\((?:da ky|ky[,\s].*|ky ten.*)\)$")
NOI_NHAN = re.compile(r"^noi\s*nh[a-z]n\s*:?")
_ROLE_WORDS = re.compile(
    r"\b(chu tich|truong|giam doc|bi thu|thuong truc|tm\.|kt\.|tl\.|tuq\.|q\.|pho|uy vien)"
)


@dataclass
class Block:
    """One logical paragraph of the body: a heading, a bullet, a paragraph or a table row."""

    kind: str  # "heading" | "bullet" | "para" | "row"
    text: str  # heading text without its number, bullet text without its mark, or the paragraph
    number: str | None = None  # headings only, as printed
    level: int = 0  # headings: 1 Roman, 2 "1.", 3 "1.1.", 4 "a)"
    path: tuple[str, ...] = ()  # enclosing headings' texts, outermost first
    emphasised: bool = False
    cells: list[str] = field(default_factory=list)  # table rows only


@dataclass
class Layout:
    header: list[str]
    doc_type: str | None
    title: list[str]
    body: list[Block]
    closing: list[str]


def doc_type_of(line: str) -> str | None:
    key = collapse(re.sub(r"[^\w\s]", " ", fold(line)))
    return DOC_TYPES.get(key) if is_upper_text(line) else None


def is_header_line(text: str) -> bool:
    folded = fold(text)
    return bool(
        MOTTO.search(folded)
        or _NUMBER_LINE.match(folded)
        or _PLACE_DATE.search(folded)
        or (is_upper_text(text) and len(text.split()) <= 12 and not _numbered(text))
        or re.fullmatch(r"[-_=—–.\s]+", text)
    )


def is_authority(text: str) -> bool:
    """An authority or position line of the signature block (TM. ỦY BAN NHÂN DÂN, CHỦ TỊCH)."""
    return (
        is_upper_text(text)
        and len(text.split()) <= 10
        and not _numbered(text)
        and not NOI_NHAN.match(fold(text))
        and bool(_ROLE_WORDS.search(fold(text)) or re.match(r"^[A-ZĐ]{1,4}\.\s", text))
    )


def is_person_name(text: str) -> bool:
    """2-6 capitalised words and nothing else: how the signer's name is printed."""
    words = text.split()
    return 2 <= len(words) <= 6 and all(
        w[0].isupper() and w[1:].islower() and w.isalpha() for w in words
    )


def _numbered(text: str) -> bool:
    roman = _ROMANISH.match(text)
    if roman and (roman.group(1) in ROMAN or (
        _damaged_numeral(roman.group(1)) and is_upper_text(roman.group(2))
    )):
        return True
    return any(p.match(text) for p in (_DOTTED, _ARABIC, _LETTER))


def split_document(text: str) -> Layout:
    lines = [line for line in clean_lines(text) if not is_junk(line.text)]
    texts = [line.text for line in lines]
    type_at = next(
        (i for i, t in enumerate(texts[:60]) if doc_type_of(t)), None
    )
    if type_at is not None:
        header_end, title_start = type_at, type_at + 1
    else:
        header_end = 0
        while header_end < len(texts) and (
            not texts[header_end] or is_header_line(texts[header_end])
        ):
            header_end += 1
        title_start = header_end
    title, body_start = _title(texts, title_start, type_at is not None)
    closing_start = _closing_start(texts, body_start)
    return Layout(
        header=[t for t in _cells(texts[:header_end]) if t],
        doc_type=doc_type_of(texts[type_at]) if type_at is not None else None,
        title=title,
        body=outline(lines[body_start:closing_start]),
        closing=_cells(texts[closing_start:]),
    )


def _cells(texts: list[str]) -> list[str]:
    """Header and closing are two columns; typed as a table they come as "left | right"."""
    return [cell.strip() for text in texts for cell in text.split("|")]


def _title(texts: list[str], start: int, after_type: bool) -> tuple[list[str], int]:
    """The summary lines under the document type: up to a blank line or the first body line.

    A summary may itself start with "Thực hiện …"; right under the type line that is the title
    unless it reads like a citation (a number, or the ";" that ends a "Căn cứ" clause).
    """
    i = start
    while i < len(texts) and not texts[i]:
        i += 1
    title: list[str] = []
    while i < len(texts) and len(title) < 5:
        if not texts[i]:
            # a blank line ends the summary, unless the next line carries on in lower case
            following = next((t for t in texts[i:] if t), "")
            if not (title and following[:1].islower()):
                break
            i += 1
            continue
        if _numbered(texts[i]) or (fold(texts[i]).startswith(_OPENERS) and not (
            after_type and not title and _summary_like(texts[i])
        )):
            break
        title.append(texts[i])
        i += 1
    if sum(len(t.split()) for t in title) > 60:  # a paragraph, not a summary
        return [], start
    return title, i


def _summary_like(text: str) -> bool:
    return not (
        fold(text).startswith("can cu")
        or text.rstrip().endswith((";", ","))
        or re.search(r"\bso\s+\d|\d+/\d{4}/|/[^\W\d_]+-", fold(text))
    )


def _closing_start(texts: list[str], start: int) -> int:
    """Where the body ends: at "Nơi nhận", else after the last "./.", else before the signature.

    The signature column may have been read before "Nơi nhận"; its lines are moved back into
    the closing by walking up over authority, name and "(Đã ký)" lines.
    """
    end = next((i for i in range(start, len(texts)) if NOI_NHAN.match(fold(texts[i]))), None)
    if end is None:
        ends = [i for i in range(start, len(texts)) if texts[i].rstrip().endswith(("./.", "./"))]
        end = ends[-1] + 1 if ends else len(texts)
    while end > start and (
        not texts[end - 1]
        or is_authority(texts[end - 1])
        or is_person_name(texts[end - 1])
        or _SIGNED.match(fold(texts[end - 1]))
    ):
        end -= 1
    return end


def _starts_block(text: str) -> bool:
    return bool(
        _numbered(text)
        or _DAMAGED_LETTER.match(text)
        or _BULLET.match(text)
        # "Căn cứ…"/"Thực hiện…" open a paragraph; in lower case they carry a sentence on
        or (text[:1].isupper() and fold(text).startswith(_OPENERS))
        or text.count("|") >= 2
    )


def paragraphs(lines: list[Line]) -> list[Line]:
    """Re-join lines that OCR or page breaks split mid-sentence.

    A line continues the previous one when the previous does not end a sentence and the line
    does not start a block of its own, and either it starts in lower case or the previous line
    ran to the full width of a wrapped page (OCR keeps the printed line breaks).
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
            full = wrapped and len(prev.text) >= 0.7 * wrap and not _is_heading_line(prev)
            if open_end and not _starts_block(text) and (lower or full):
                # a symbol broken at its hyphen or slash ("09-" + "NQ/TU") is rejoined tight
                split_symbol = re.search(r"\d[\w/]*[-/]$", prev.text)
                prev.text = f"{prev.text}{'' if split_symbol else ' '}{text}"
                prev.emphasised = prev.emphasised and line.emphasised
                continue
        out.append(Line(text, line.emphasised))
    return out


def _is_heading_line(line: Line) -> bool:
    numbered = _numbered(line.text) or _DAMAGED_LETTER.match(line.text)
    return line.emphasised or bool(numbered and len(line.text.split()) <= 20)


def outline(lines: list[Line]) -> list[Block]:
    paras = paragraphs(lines)
    # Roman part headings are in capitals; a damaged numeral ("|.", "TI.") still tells that
    # the document uses them, but a bare "1." in capitals needs a true numeral elsewhere.
    has_roman = any(
        (m := _ROMANISH.match(p.text)) and is_upper_text(m.group(2))
        and (m.group(1) in ROMAN or _damaged_numeral(m.group(1)))
        for p in paras
    )
    blocks: list[Block] = []
    stack: list[Block] = []
    last_roman = 0
    last_letter: str | None = None  # the previous heading's letter, if it was a letter item
    for para in paras:
        block = _heading(para, has_roman, last_roman, last_letter) or _plain(para)
        if block.kind == "heading":
            if block.level == 1:
                last_roman = ROMAN.get(block.number, last_roman + 1)
            last_letter = block.number if block.level == 4 else None
            while stack and stack[-1].level >= block.level:
                stack.pop()
            block.path = tuple(h.text for h in stack)
            stack.append(block)
        else:
            block.path = tuple(h.text for h in stack)
        blocks.append(block)
    return blocks


def _heading(
    para: Line, has_roman: bool, last_roman: int, last_letter: str | None
) -> Block | None:
    text = para.text
    roman = _ROMANISH.match(text)
    if roman:
        token, rest = roman.groups()
        damaged = has_roman and is_upper_text(rest) and (
            token.isdigit() or _damaged_numeral(token)
        )
        if token in ROMAN or damaged:
            if len(rest.split()) <= 30:
                number = token if token in ROMAN else _to_roman(last_roman + 1)
                return _make_heading(number, rest, 1, para)
            return None
    damaged = _DAMAGED_LETTER.match(text)
    if damaged and not _LETTER.match(text) and _heading_shaped(damaged.group(2)):
        return _make_heading(_next_letter(last_letter), damaged.group(2), 4, para)
    for pattern, level in ((_DOTTED, 3), (_ARABIC, 2), (_LETTER, 4)):
        match = pattern.match(text)
        if match:
            number, rest = match.groups()
            if para.emphasised or _heading_shaped(rest):
                return _make_heading(number, rest, level, para)
            return None
    return None


def _damaged_numeral(token: str) -> bool:
    """A Roman numeral as OCR or restoration left it: "|", "TI", "IlI", "TỪ", "L"."""
    return token not in ROMAN and token not in _SIGNING_MARKS and (
        set(token) <= set("IVXLTl1|!") or token.isupper()
    )


def _heading_shaped(rest: str) -> bool:
    """Short, and not "label: content" (a numbered paragraph such as "1. Năm 2023: …")."""
    words = rest.split()
    colon = rest.find(":")
    inline_content = 0 <= colon < len(rest.rstrip(" :")) - 1 and len(rest[colon:].split()) > 3
    return len(words) <= 20 and not inline_content and not rest.rstrip().endswith(";")


def _make_heading(number: str, rest: str, level: int, para: Line) -> Block:
    heading = rest.strip().rstrip(":.; ").strip()
    return Block("heading", heading, number=number, level=level, emphasised=para.emphasised)


def _plain(para: Line) -> Block:
    if para.text.count("|") >= 2:
        cells = [c.strip() for c in para.text.strip("|").split("|")]
        return Block("row", " | ".join(cells), cells=[c for c in cells if c])
    bullet = _BULLET.match(para.text)
    if bullet:
        return Block("bullet", bullet.group(2), emphasised=para.emphasised)
    return Block("para", para.text, emphasised=para.emphasised)


def _next_letter(letter: str | None) -> str:
    letters = "abcdđeghiklmnopqrstuvxy"
    if letter is None or letter not in letters[:-1]:
        return "a"
    following = letters[letters.index(letter) + 1]
    return "e" if following == "đ" else following


def _to_roman(value: int) -> str:
    return next((k for k, v in ROMAN.items() if v == value), str(value))
