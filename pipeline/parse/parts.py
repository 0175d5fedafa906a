"""The parts of an administrative document, as Decree 30/2020/NĐ-CP (Appendix I) lays them out.

Every type is laid out the same way: the header (issuing body, number and, for a letter, its
"V/v" summary on the left; national motto, place and date on the right), the type word and its
summary (title), the addressees ("Kính gửi:") of a letter or a submission, the body (opening
"Căn cứ…"/"Thực hiện…" paragraphs, then numbered sections or a decision's "Điều N."), the
closing (the "Nơi nhận" list on the left, authority and signature on the right), and
appendices after the signature. OCR reads the two columns in either order, splits lines
mid-sentence and damages keywords; the rules below work on the folded text and on the shape of
each line, not on any one document's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.parse.outline import Block, numbered, outline
from pipeline.parse.text import clean_lines, collapse, fold, is_junk, is_upper_text, keyword_end

# Types of administrative documents (Appendix III, table of abbreviations), folded -> printed.
DOC_TYPES = {
    fold(name): name
    for name in (
        "Kế hoạch", "Quyết định", "Nghị quyết", "Chỉ thị", "Quy chế", "Quy định", "Thông báo",
        "Hướng dẫn", "Chương trình", "Phương án", "Đề án", "Dự án", "Báo cáo", "Tờ trình",
        "Công văn", "Thông cáo", "Biên bản", "Công điện", "Giấy mời", "Giấy giới thiệu",
        "Giấy ủy quyền", "Giấy nghỉ phép", "Phiếu gửi", "Phiếu chuyển", "Phiếu báo", "Thư công",
        "Bản ghi nhớ", "Bản thỏa thuận", "Hợp đồng", "Kết luận", "Nghị định", "Thông tư",
        "Luật", "Pháp lệnh", "Lệnh", "Điều lệ",
    )
}
LETTER = "Công văn"  # a letter prints no type word: its "V/v" line gives it away
_OPENERS = ("can cu", "thuc hien", "noi nhan")
MOTTO = re.compile(
    r"cong hoa xa hoi chu nghia viet nam|doc lap\s*[-–—]\s*tu do\s*[-–—]\s*hanh phuc"
    r"|dang cong san viet nam|doan (?:tncs|thanh nien cong san) ho chi minh$"
)
_NUMBER_LINE = re.compile(r"^s[o6ô0]\s*(?:[:;.]|\s+\d+\s*/)")
_PLACE_DATE = re.compile(r",\s*ngay\b.*\bnam\s+\d{4}")
_SIGNING_MARKS = {"TM", "KT", "TL", "TUQ", "Q", "TP"}  # "TM. ỦY BAN…", "KT. CHỦ TỊCH"
_SIGNED = re.compile(r"^\((?:da ky|ky[,\s].*|ky ten.*)\)$")
# the number printed in the top margin of every page after the first (Decree 30, Appendix I)
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?\s*$|^\s*trang\s+\d{1,3}\s*$",
                          re.IGNORECASE)
_VV = re.compile(r"^v\s*/\s*v\b\s*[:.]?\s*")
_APPENDIX = re.compile(r"^(?:phu luc\b|\(\s*(?:ban hanh )?kem theo\b)")
_ROLE_WORDS = re.compile(
    r"\b(chu tich|truong|giam doc|bi thu|thuong truc|tm\.|kt\.|tl\.|tuq\.|q\.|pho|uy vien)"
)


def noi_nhan_end(text: str) -> int | None:
    """End of a "Nơi nhận:" heading at the start of the line, OCR damage tolerated."""
    return keyword_end(text, "noi nhan", 2)


def kinh_gui_end(text: str) -> int | None:
    """End of a "Kính gửi:" at the start of the line, OCR damage tolerated."""
    return keyword_end(text, "kinh gui", 2)


_MOTTO_LINES = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc")
_MOTTO_CUTOFF = 80  # rapidfuzz partial ratio of a motto line read through OCR damage


def motto_spans(folded: str) -> list[tuple[int, int]]:
    """Where the national motto (or a party's or union's name in its place) stands in a folded
    header line, exact or through OCR damage ("Dạ: lập - Tài đờ - Hạnh [chúc")."""
    spans = [m.span() for m in MOTTO.finditer(folded)]
    if spans:
        return spans
    for motto in _MOTTO_LINES:
        if len(folded) < 0.6 * len(motto):
            continue
        found = fuzz.partial_ratio_alignment(motto, folded, score_cutoff=_MOTTO_CUTOFF)
        if found:
            spans.append((found.dest_start, found.dest_end))
    return spans


@dataclass
class DocumentParts:
    header: list[str]
    doc_type: str | None
    title: list[str]
    addressees: list[str]  # "Kính gửi:" of a letter or a submission, one body each
    body: list[Block]
    closing: list[str]  # "Nơi nhận" list and signature block, in the order they were read
    appendix: list[Block]  # appendices and notes after the signature


def doc_type_of(line: str) -> str | None:
    """The type word of a line set in capitals on its own: "KẾ HOẠCH", and with a qualifier of
    one or two words, "CHƯƠNG TRÌNH CÔNG TÁC", "KẾ HOẠCH LIÊN TỊCH", "THÔNG BÁO KẾT LUẬN"."""
    if not is_upper_text(line):
        return None
    words = collapse(re.sub(r"[^\w\s]", " ", fold(line))).split()
    for size in (3, 2, 1):
        name = DOC_TYPES.get(" ".join(words[:size]))
        if name and len(words) - size <= 2 and not re.search(r"\d", line):
            return name
    return None


def is_header_line(text: str) -> bool:
    folded = fold(text)
    return bool(
        motto_spans(folded)
        or _NUMBER_LINE.match(folded)
        or _PLACE_DATE.search(folded)
        or (is_upper_text(text) and len(text.split()) <= 12 and not numbered(text))
        or re.fullmatch(r"[-_=—–.\s]+", text)
    )


def is_authority(text: str) -> bool:
    """An authority or position line of the signature block (TM. ỦY BAN NHÂN DÂN, CHỦ TỊCH)."""
    return (
        is_upper_text(text)
        and len(text.split()) <= 10
        and not numbered(text)
        and noi_nhan_end(text) is None
        and bool(_ROLE_WORDS.search(fold(text)) or re.match(r"^[A-ZĐ]{1,4}\.\s", text))
    )


def is_person_name(text: str) -> bool:
    """2-6 capitalised words and nothing else: how the signer's name is printed."""
    words = text.split()
    return 2 <= len(words) <= 6 and all(
        w[0].isupper() and w[1:].islower() and w.isalpha() for w in words
    )


def split_document(text: str) -> DocumentParts:
    lines = [line for line in clean_lines(text)
             if not is_junk(line.text) and not _PAGE_NUMBER.match(line.text)]
    texts = [line.text for line in lines]
    type_at = next((i for i, t in enumerate(texts[:60]) if doc_type_of(t)), None)
    letter_at = next(
        (i for i, t in enumerate(texts[:type_at if type_at is not None else 30])
         if _VV.match(fold(t))), None
    )
    doc_type = doc_type_of(texts[type_at]) if type_at is not None else None
    if letter_at is not None:
        doc_type = LETTER
        title, after = _letter_title(texts, letter_at)
        body_start = _header_end(texts, after)
        header = texts[:letter_at] + texts[after:body_start]
    else:
        if type_at is not None:
            header_end, title_start = type_at, type_at + 1
        else:
            header_end = _header_end(texts, 0)
            title_start = header_end
        header = texts[:header_end]
        title, body_start = _title(texts, title_start, type_at is not None)
    addressees, body_start = _addressees(texts, body_start)
    closing_start = _closing_start(texts, body_start)
    closing = texts[closing_start:]
    appendix_at = _appendix_start(closing)
    return DocumentParts(
        header=[t for t in _cells(header) if t],
        doc_type=doc_type,
        title=title,
        addressees=addressees,
        body=outline(lines[body_start:closing_start]),
        closing=_cells(closing[:appendix_at]),
        appendix=outline(lines[closing_start + appendix_at:]),
    )


def _header_end(texts: list[str], start: int) -> int:
    end = start
    while end < len(texts) and (not texts[end] or is_header_line(texts[end])):
        end += 1
    return end


def _letter_title(texts: list[str], at: int) -> tuple[list[str], int]:
    """A letter's summary: the "V/v" line and the lines it wraps onto, up to the motto, the
    place and date, the addressees or a blank line."""
    first = texts[at][_VV.match(fold(texts[at])).end():].strip()
    title = [first] if first else []
    i = at + 1
    while i < len(texts) and texts[i] and kinh_gui_end(texts[i]) is None and not (
        motto_spans(fold(texts[i])) or _PLACE_DATE.search(fold(texts[i]))
        or _NUMBER_LINE.match(fold(texts[i])) or is_upper_text(texts[i])
    ) and len(title) < 4:
        title.append(texts[i])
        i += 1
    return title, i


def _addressees(texts: list[str], start: int) -> tuple[list[str], int]:
    """"Kính gửi: A" or "Kính gửi:" over "- A;" lines: the bodies addressed, one each."""
    i = start
    while i < len(texts) and not texts[i]:
        i += 1
    head = kinh_gui_end(texts[i]) if i < len(texts) else None
    if head is None:
        return [], start
    names = [texts[i][head:].strip()]
    i += 1
    while i < len(texts) and re.match(r"^[-+•–]\s*\S", texts[i]) and len(texts[i]) < 160:
        names.append(texts[i])
        i += 1
    cleaned = [re.sub(r"^[-+•–]\s*", "", n).strip().rstrip(" ;,.") for n in names]
    return [n for n in cleaned if n], i


def _appendix_start(closing: list[str]) -> int:
    """Where the appendices begin after the signature: a "PHỤ LỤC" line, or a caps title over
    "(Kèm theo …)"; else the end."""
    for i, text in enumerate(closing):
        if _APPENDIX.match(fold(text)) and i > 0:
            before = i - 1
            while before > 0 and not closing[before]:
                before -= 1
            title_line = closing[before]
            if fold(text).startswith("(") and is_upper_text(title_line) and not (
                is_authority(title_line) or is_person_name(title_line.title())
            ):
                return before
            return i
    return len(closing)


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
    while i < len(texts) and len(title) < 8:
        if not texts[i]:
            # a blank line ends the summary, unless the next line carries it on: in lower
            # case, or in capitals under a summary in capitals (OCR splits a centred block)
            following = next((t for t in texts[i:] if t), "")
            carries_on = following[:1].islower() or (
                is_upper_text(title[-1]) and is_upper_text(following) and not numbered(following)
                and not title[-1].rstrip().endswith((".", ";", ":"))
                and not is_authority(following)
            ) if title else False
            if not carries_on:
                break
            i += 1
            continue
        if numbered(texts[i]) or (fold(texts[i]).startswith(_OPENERS) and not (
            after_type and not title and _summary_like(texts[i])
        )) or kinh_gui_end(texts[i]) is not None:
            break
        if title and is_upper_text(texts[i]) and not is_upper_text(title[0]):
            break  # "Về việc …" then "CHỦ TỊCH ỦY BAN NHÂN DÂN …": the decision's authority
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
    end = next((i for i in range(start, len(texts)) if noi_nhan_end(texts[i]) is not None), None)
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


