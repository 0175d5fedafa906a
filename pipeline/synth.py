"""Synthetic scan-like page images of Vietnamese plan documents (kế hoạch).

Samples, test fixtures and OCR evaluation need page images whose exact text is known. This module
lays plan text out the way Nghị định 30/2020/NĐ-CP prescribes (two-column header, title, body,
recipients beside the signature), draws it with a Times-compatible font and can then make the page
look scanned (tilt, blur, grey paper, uneven light, noise, a seal, JPEG artefacts).

Two ways of writing the input text are understood:

- blocks separated by one empty line - header left column, header right column, title
  ("KẾ HOẠCH" + title lines), body blocks, recipients ("Nơi nhận:" ...), signature;
- plain lines, as documents are usually typed out (header columns as separate lines, left block
  first, blank lines optional or anywhere, markdown emphasis allowed): :func:`find_parts` tells
  the parts apart by what each line says, and appendices after the signer's name (headings,
  "(Kèm theo …)", table rows "a | b | c") go on a page of their own.

Text with neither shape (no header, no closing, fewer than five blocks) is laid out as body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.parse.parts import MOTTO, doc_type_of, is_authority, is_person_name, noi_nhan_end
from pipeline.parse.text import Line, clean_lines, fold, is_upper_text

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
FONT_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
    "bolditalic": "LiberationSerif-BoldItalic.ttf",
}
A4_MM = (210.0, 297.0)
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}  # Nghị định 30, Phụ lục I
LINE_SPACING = 1.15  # multiple of the font's natural line height (ascent + descent)
LEFT_COLUMN = 0.45  # share of the text width used by the left header / recipients column
INDENT_MM = 12.7  # first-line paragraph indent
SIGNATURE_SPACE = 2.5  # blank lines left for the handwritten signature, in line heights
SIGNATURE_KEY = "vnplan.signature_box"  # Image.info key: where degrade() puts the stamp
MIN_STRUCTURED_BLOCKS = 5
GRAY_LEVELS = 16  # levels kept in written PNGs: small files, still OCR-able
PAPER_TOLERANCE = 12  # grey values within which a written pixel counts as bare paper
PDF_JPEG_QUALITY = 90  # pages are already JPEG-damaged by degrade(); little more is added

HEADING_RE = re.compile(r"^(?:[IVXLCDM]+\.|\d+(?:\.\d+)*\.)\s")

Key = tuple[int, int]  # (block index, line index) of a source line
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


@dataclass
class RenderedPage:
    """One rendered page and the source text printed on it (lines in reading order)."""

    image: Image.Image
    truth: str
    lines: list[tuple[str, Box]] = field(default_factory=list)  # each drawn line and its box


@dataclass(frozen=True)
class _Styled:
    """A source line with the typography its role in the document calls for."""

    key: Key
    text: str
    style: str
    size_pt: float
    space_before: float = 0.0  # in line heights
    underline: float = 0.0  # rule under the line, as a fraction of its width (0 = none)


@dataclass
class _Piece:
    """One drawn line of text; ``justify_to`` spreads its words over that many pixels."""

    text: str
    font: ImageFont.FreeTypeFont
    x: int
    baseline: int
    justify_to: int | None = None


@dataclass
class _Band:
    """A vertical slice of the page that a page break must not split (coordinates band-relative)."""

    height: int = 0
    pieces: list[_Piece] = field(default_factory=list)
    rules: list[Box] = field(default_factory=list)
    truth: list[tuple[Key, str]] = field(default_factory=list)
    signature: Box | None = None
    gap: bool = False  # blank spacing, dropped at the top of a page
    new_page: bool = False  # starts a page (an appendix)


@dataclass(frozen=True)
class _Geometry:
    """Page size and margins in pixels for a resolution and body font size."""

    dpi: int
    font_size_pt: float

    def mm(self, value: float) -> int:
        return round(value * self.dpi / 25.4)

    def pt(self, value: float) -> int:
        return round(value * self.dpi / 72)

    @property
    def size(self) -> tuple[int, int]:
        return self.mm(A4_MM[0]), self.mm(A4_MM[1])

    @property
    def left(self) -> int:
        return self.mm(MARGIN_MM["left"])

    @property
    def top(self) -> int:
        return self.mm(MARGIN_MM["top"])

    @property
    def bottom(self) -> int:
        return self.size[1] - self.mm(MARGIN_MM["bottom"])

    @property
    def text_width(self) -> int:
        return self.size[0] - self.mm(MARGIN_MM["right"]) - self.left

    @property
    def split(self) -> int:
        """Width of the left column; the right column takes the rest of the text width."""
        return round(self.text_width * LEFT_COLUMN)


def font_path(style: str = "regular") -> Path:
    """Locate a Liberation Serif face, failing with the fix rather than a bare OSError."""
    name = FONT_FILES[style]
    for directory in FONT_DIRS:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"{name} not found in {', '.join(map(str, FONT_DIRS))}; "
        "install the fonts-liberation2 package (apt-get install fonts-liberation2)"
    )


@lru_cache(maxsize=64)
def _font(style: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(style)), size_px)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return round((ascent + descent) * LINE_SPACING)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, indent: int = 0) -> list[str]:
    """Greedy word wrap; the first line is ``indent`` pixels shorter. Over-long words overflow."""
    lines: list[str] = []
    current: list[str] = []
    for word in text.split():
        available = width - (indent if not lines else 0)
        if current and font.getlength(" ".join([*current, word])) > available:
            lines.append(" ".join(current))
            current = []
        current.append(word)
    return [*lines, " ".join(current)] if current else lines


def _column(lines: list[_Styled], x0: int, width: int, geo: _Geometry, *, center: bool) -> _Band:
    """Stack lines in a column, each wrapped to the column and centred or flush left."""
    band = _Band()
    for line in lines:
        font = _font(line.style, geo.pt(line.size_pt))
        step = _line_height(font)
        band.height += round(line.space_before * step)
        segments = _wrap(line.text, font, width)
        for segment in segments:
            shift = (width - round(font.getlength(segment))) // 2 if center else 0
            baseline = band.height + font.getmetrics()[0]
            band.pieces.append(_Piece(segment, font, x0 + shift, baseline))
            band.truth.append((line.key, segment))
            band.height += step
        if line.underline:
            longest = max(font.getlength(segment) for segment in segments)
            _add_rule(band, line.underline * longest, x0 + width // 2, step)
    return band


def _add_rule(band: _Band, length: float, centre: int, step: int) -> None:
    """Horizontal rule on a strip of its own, clear of descenders and of the next line."""
    gap = step // 3
    y = band.height + gap // 3
    band.rules.append((round(centre - length / 2), y, round(centre + length / 2), y))
    band.height += gap


def _side_by_side(left: _Band, right: _Band) -> _Band:
    """Join two columns into one band; the left column comes first in reading order."""
    return _Band(
        height=max(left.height, right.height),
        pieces=left.pieces + right.pieces,
        rules=left.rules + right.rules,
        truth=left.truth + right.truth,
        signature=right.signature,
    )


def _gap(height: int) -> _Band:
    return _Band(height=height, gap=True)


def _header(left: list[str], right: list[str], geo: _Geometry) -> _Band:
    """Issuing body + number (left) beside national motto + place/date (right)."""
    small = geo.font_size_pt - 1
    issuer = [
        _Styled((0, i), text, "regular" if text.startswith("Số") else "bold", small)
        for i, text in enumerate(left)
    ]
    last_issuer = max((i for i, s in enumerate(issuer) if s.style == "bold"), default=None)
    if last_issuer is not None:
        issuer[last_issuer] = replace(issuer[last_issuer], underline=0.4)
    motto = [
        _Styled((1, i), text, *_motto_style(i, len(right), geo.font_size_pt))
        for i, text in enumerate(right)
    ]
    if len(motto) > 1:
        motto[1] = replace(motto[1], underline=1.0)
    return _side_by_side(
        _column(issuer, geo.left, geo.split, geo, center=True),
        _column(motto, geo.left + geo.split, geo.text_width - geo.split, geo, center=True),
    )


def _motto_style(index: int, count: int, size_pt: float) -> tuple[str, float]:
    """Motto line 12pt bold, slogan 13pt bold, the place/date line (last) 13pt italic."""
    if index == count - 1 and count > 2:
        return "italic", size_pt
    return "bold", size_pt - 1 if index == 0 else size_pt


def _title(lines: list[str], geo: _Geometry) -> _Band:
    """Document type and subject, bold and centred, with a short rule underneath."""
    styled = [_Styled((2, i), text, "bold", geo.font_size_pt) for i, text in enumerate(lines)]
    styled[-1] = replace(styled[-1], underline=0.3)
    width = round(geo.text_width * 0.85)
    return _column(styled, geo.left + (geo.text_width - width) // 2, width, geo, center=True)


def _is_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(HEADING_RE.match(text)) or (bool(letters) and text.upper() == text)


def _paragraph(key: Key, text: str, geo: _Geometry, style: str | None = None) -> list[_Band]:
    """One band per wrapped line: indented first line, justified except the last line."""
    style = style or ("bold" if _is_heading(text) else "regular")
    font = _font(style, geo.pt(geo.font_size_pt))
    indent = geo.mm(INDENT_MM)
    segments = _wrap(text, font, geo.text_width, indent)
    bands = []
    for i, segment in enumerate(segments):
        x = geo.left + (indent if i == 0 else 0)
        last = i == len(segments) - 1 or " " not in segment
        justify = None if last else geo.left + geo.text_width - x
        piece = _Piece(segment, font, x, font.getmetrics()[0], justify)
        bands.append(_Band(height=_line_height(font), pieces=[piece], truth=[(key, segment)]))
    return bands


def _body(blocks: list[list[str]], first_index: int, geo: _Geometry) -> list[_Band]:
    """Paragraph bands for the body blocks, with a half-line gap between blocks."""
    gap = _line_height(_font("regular", geo.pt(geo.font_size_pt))) // 2
    bands: list[_Band] = []
    for b, block in enumerate(blocks, start=first_index):
        if bands:
            bands.append(_gap(gap))
        for i, text in enumerate(block):
            bands.extend(_paragraph((b, i), text, geo))
    return bands


def _closing(
    recipients: list[str], signature: list[str], first_index: int, geo: _Geometry
) -> _Band:
    """Recipients list (left, small) beside the signature block (right, with signing space)."""
    size = geo.font_size_pt
    rec = [  # "Nơi nhận:" 12pt bold italic, the list itself 11pt
        _Styled((first_index, i), text, "bolditalic", size - 1)
        if i == 0
        else _Styled((first_index, i), text, "regular", size - 2)
        for i, text in enumerate(recipients)
    ]
    sig = [
        _Styled((first_index + 1, i), text, _signature_style(text), size)
        for i, text in enumerate(signature)
    ]
    if sig:
        sig[-1] = replace(sig[-1], space_before=SIGNATURE_SPACE)
    right = _column(sig, geo.left + geo.split, geo.text_width - geo.split, geo, center=True)
    right.signature = (geo.left + geo.split, 0, geo.left + geo.text_width, right.height)
    return _side_by_side(_column(rec, geo.left, geo.split, geo, center=False), right)


def _signature_style(text: str) -> str:
    return "italic" if text.startswith("(") and text.endswith(")") else "bold"


def _split_blocks(text: str) -> list[list[str]]:
    """NFC-normalised, whitespace-collapsed lines grouped into blank-line separated blocks."""
    blocks = re.split(r"\n\s*\n", unicodedata.normalize("NFC", text).strip())
    lines = [[" ".join(line.split()) for line in block.splitlines()] for block in blocks]
    return [[line for line in block if line] for block in lines if any(block)]


def _layout(text: str, geo: _Geometry) -> list[_Band]:
    """The whole document as a sequence of unbreakable bands in reading order."""
    blocks = _split_blocks(text)
    if _is_block_format(blocks):
        return _block_layout(blocks, geo)
    parts = find_parts(text)
    if parts.framed:
        return _plain_layout(parts, geo)
    return _body(blocks, 0, geo)


def _is_block_format(blocks: list[list[str]]) -> bool:
    """Header, motto, title, body, recipients and signature each written as one block."""
    return (
        len(blocks) >= MIN_STRUCTURED_BLOCKS
        and bool(MOTTO.search(fold(blocks[1][0])))
        and noi_nhan_end(blocks[-2][0]) is not None
    )


def _block_layout(blocks: list[list[str]], geo: _Geometry) -> list[_Band]:
    line = _line_height(_font("regular", geo.pt(geo.font_size_pt)))
    return [
        _header(blocks[0], blocks[1], geo),
        _gap(line),
        _title(blocks[2], geo),
        _gap(line // 2),
        *_body(blocks[3:-2], 3, geo),
        _gap(line // 2),
        _closing(blocks[-2], blocks[-1], len(blocks) - 2, geo),
    ]


def _paginate(bands: list[_Band], geo: _Geometry) -> list[list[tuple[int, _Band]]]:
    """Place bands top to bottom, starting a new page when the next band does not fit."""
    pages: list[list[tuple[int, _Band]]] = [[]]
    y = geo.top
    for band in bands:
        if pages[-1] and (band.new_page or y + band.height > geo.bottom):
            pages.append([])
            y = geo.top
        if band.gap and not pages[-1]:
            continue
        pages[-1].append((y, band))
        y += band.height
    return pages


def _draw_piece(draw: ImageDraw.ImageDraw, piece: _Piece, top: int) -> None:
    y = top + piece.baseline
    if piece.justify_to is None:
        draw.text((piece.x, y), piece.text, font=piece.font, fill=0, anchor="ls")
        return
    words = piece.text.split()
    spare = piece.justify_to - sum(piece.font.getlength(w) for w in words)
    space = spare / (len(words) - 1)
    x = float(piece.x)
    for word in words:
        draw.text((round(x), y), word, font=piece.font, fill=0, anchor="ls")
        x += piece.font.getlength(word) + space


def _truth(placed: list[tuple[int, _Band]]) -> str:
    """Source lines on the page; wrapped pieces of one source line are joined back together."""
    lines: list[str] = []
    previous: Key | None = None
    for _, band in placed:
        for key, segment in band.truth:
            if key == previous:
                lines[-1] = f"{lines[-1]} {segment}"
            else:
                lines.append(segment)
            previous = key
    return "\n".join(lines)


def _render_page(placed: list[tuple[int, _Band]], geo: _Geometry) -> RenderedPage:
    image = Image.new("L", geo.size, 255)
    draw = ImageDraw.Draw(image)
    rule_width = max(1, geo.pt(0.75))
    lines = []
    for top, band in placed:
        for piece in band.pieces:
            _draw_piece(draw, piece, top)
            lines.append((piece.text, _piece_box(piece, top)))
        for x0, y0, x1, y1 in band.rules:
            draw.line((x0, top + y0, x1, top + y1), fill=0, width=rule_width)
        if band.signature:
            x0, y0, x1, y1 = band.signature
            image.info[SIGNATURE_KEY] = (x0, top + y0, x1, top + y1)
    image.info["dpi"] = (geo.dpi, geo.dpi)
    return RenderedPage(image=image, truth=_truth(placed), lines=lines)


def _piece_box(piece: _Piece, top: int) -> Box:
    ascent, descent = piece.font.getmetrics()
    width = piece.justify_to or round(piece.font.getlength(piece.text))
    y = top + piece.baseline
    return piece.x, y - ascent, piece.x + width, y + descent


def render_pages(text: str, *, dpi: int = 300, font_size_pt: float = 13.0) -> list[RenderedPage]:
    """Lay plan text out on A4 pages (mode "L"); the signature box goes in ``image.info``."""
    geo = _Geometry(dpi, font_size_pt)
    return [_render_page(placed, geo) for placed in _paginate(_layout(text, geo), geo)]


# --- plain-lines documents -------------------------------------------------------------------

_NUMBER_LINE = re.compile(r"^so\s*:")  # "Số: 12/KH-UBND", folded
_SUBJECT_LINE = re.compile(r"^v\s*/\s*v\b")  # "V/v …": a letter's subject under its number
_PLACE_DATE = re.compile(r",\s*ngay\b.*\bnam\s+\d{4}")
_SALUTATION = re.compile(r"^kinh\s+gui\b")
_OPENER = re.compile(r"^(?:can cu|thuc hien|xet|kinh gui)\b")
_SIGNED = re.compile(r"^\((?:da ky|ky\b.*)\)$")  # "(Đã ký)", "(Ký, ghi rõ họ tên)"
_ANNEX_NOTE = re.compile(r"^\(kem theo\b")
_ANNEX_NAME = re.compile(r"^phu luc\b")
_NUMBERED = re.compile(r"^(?:[IVXLC]+|[A-Z]|\d{1,2}(?:\.\d{1,2})*)\s*[.)]\s|^[a-zđ]\)\s|^Điều \d")
_BULLET = re.compile(r"^[-+•*–]\s*\S")
# Words that open the name of a body under its parent in the issuer block ("UBND TỈNH X" /
# "SỞ Y"): the parent's lines are set regular, the body's bold (Decree 30, Appendix I, II.3).
_SUBORDINATE = re.compile(
    r"^(?:so|phong|ban|van phong|chi cuc|cuc|vu|trung tam|truong|tram|hoi|dang uy|uy ban|ubnd)\b"
)
SENTENCE_END = (".", ";", ":", "!", "?")
PARAGRAPH_GAP_PT = 6.0  # Decree 30: at least 6 pt between paragraphs
TABLE_PAD_MM = 1.5  # space between a table cell's rules and its text
WRAPPED_MAX = 130  # a source line this long at most is a printed line (hard-wrapped text)

# Keys of the parts of a plain-lines document: (part, line) for headers, titles and closings,
# (part, paragraph) for body and appendix; 2 is the title's and 6 the signature's (_title and
# _closing number them).
_LEFT, _RIGHT, _SALUTE, _BODY, _CLOSING, _ANNEX = 0, 1, 3, 4, 5, 7


@dataclass
class PrintedParts:
    """A plain-lines document cut into the parts Decree 30 places on the page."""

    left: list[str] = field(default_factory=list)  # issuing body, "Số: …", "V/v …"
    right: list[str] = field(default_factory=list)  # motto, slogan, place and date
    title: list[str] = field(default_factory=list)  # type word (when printed) and summary
    salutation: list[str] = field(default_factory=list)  # "Kính gửi:" and the addressees
    body: list[Line] = field(default_factory=list)  # paragraphs, wrapped lines re-joined
    recipients: list[str] = field(default_factory=list)  # "Nơi nhận:" and its bullets
    signature: list[str] = field(default_factory=list)  # authority lines, then the name
    appendix: list[Line] = field(default_factory=list)  # everything after the name

    @property
    def framed(self) -> bool:
        """A header or a closing was found: the text is a document, not loose paragraphs."""
        return bool(self.left or self.right or self.recipients or self.signature)


def find_parts(text: str) -> PrintedParts:
    """Tell header, title, salutation, body, closing and appendix apart by what lines say.

    Plain-lines text carries no layout, only the reading order of the printed page, so each
    part is recognised by its wording: the motto, "Số:", the place-and-date line, the type
    word, "Kính gửi", "Nơi nhận", authority lines in capitals and the signer's name.
    """
    lines = clean_lines(text)
    parts = PrintedParts()
    start = _find_header(lines, parts)
    start = _find_title(lines, start, parts)
    start = _find_salutation(lines, start, parts)
    end = _find_closing(lines, start, parts)
    parts.body = _paragraphs(lines[start:end])
    return parts


def _anchor(text: str) -> bool:
    """A line only a header prints: motto, slogan, number, subject, place and date."""
    folded = fold(text)
    return bool(
        MOTTO.search(folded) or _NUMBER_LINE.match(folded) or _SUBJECT_LINE.match(folded)
        or _PLACE_DATE.search(folded)
    )


def _header_like(text: str) -> bool:
    return _anchor(text) or (
        is_upper_text(text) and len(text.split()) <= 14 and not _NUMBERED.match(text)
    )


def _find_header(lines: list[Line], parts: PrintedParts) -> int:
    """Header lines up to the type word, or up to the last header-only line when there is
    none (a letter); returns where the title starts."""
    texts = [line.text for line in lines]
    type_at = next((i for i, t in enumerate(texts[:40]) if t and doc_type_of(t)), None)
    if type_at is not None and all(not t or _header_like(t) for t in texts[:type_at]):
        end = type_at
    else:
        end = 0
        subject = False  # inside a "V/v" subject, whose lines may wrap
        for i, text in enumerate(texts):
            wrapped_subject = subject and bool(text) and text[0].islower()
            if text and not (_header_like(text) or wrapped_subject):
                break
            if _anchor(text) or wrapped_subject:
                end = i + 1
            if text:
                subject = bool(_SUBJECT_LINE.match(fold(text))) or wrapped_subject
    right_seen = False
    for text in filter(None, texts[:end]):
        folded = fold(text)
        if MOTTO.search(folded) or _PLACE_DATE.search(folded):
            parts.right.append(text)
            right_seen = True
        elif right_seen and not (_NUMBER_LINE.match(folded) or _SUBJECT_LINE.match(folded)):
            parts.right.append(text)
        else:
            parts.left.append(text)
    return end


def _find_title(lines: list[Line], start: int, parts: PrintedParts) -> int:
    """The type word and the summary under it; without a type word, a short opening block
    followed by a blank line and a "Căn cứ"/"Thực hiện" paragraph is the summary."""
    i = _skip_blank(lines, start)
    if i < len(lines) and doc_type_of(lines[i].text):
        title = [lines[i]]
        i = _skip_blank(lines, i + 1)
    else:
        block_end = next((k for k in range(i, len(lines)) if not lines[k].text), len(lines))
        after = _skip_blank(lines, block_end)
        block = [line.text for line in lines[i:block_end]]
        if not (
            1 <= len(block) <= 4 and sum(len(t.split()) for t in block) <= 50
            and after < len(lines) and _OPENER.match(fold(lines[after].text))
            and not any(
                _OPENER.match(fold(t)) or _SALUTATION.match(fold(t)) or _NUMBERED.match(t)
                or _BULLET.match(t) for t in block
            )
        ):
            return start
        title = []
    while i < len(lines) and len(title) < 6:
        line = lines[i]
        if not line.text or _NUMBERED.match(line.text) or _BULLET.match(line.text):
            break
        summary = [t for t in title if not doc_type_of(t.text)]
        if not summary:
            if fold(line.text).startswith("can cu"):
                break
        elif not _continues_title(summary[-1], line):
            break
        title.append(line)
        i += 1
    parts.title = [line.text for line in title]
    return i


def _continues_title(previous: Line, line: Line) -> bool:
    """A wrapped summary line: lower-case start, or the same case and emphasis as the line
    before, short, and not a body opener."""
    text = line.text
    if text[0].islower() or text[0] in "“\"(":
        return True
    return (
        not _OPENER.match(fold(text))
        and not previous.text.endswith(SENTENCE_END)
        and is_upper_text(text) == is_upper_text(previous.text)
        and line.emphasised == previous.emphasised
        and len(text.split()) <= 25
    )


def _find_salutation(lines: list[Line], start: int, parts: PrintedParts) -> int:
    """"Kính gửi: X" on one line, or "Kính gửi:" and one addressee or a list of bullets."""
    i = _skip_blank(lines, start)
    if i >= len(lines) or not _SALUTATION.match(fold(lines[i].text)):
        return start
    salutation = [lines[i].text]
    i += 1
    if salutation[0].endswith(":"):
        while i < len(lines):
            text = lines[i].text
            if _BULLET.match(text) or (len(salutation) == 1 and text):
                salutation.append(text)
            elif text and text[0].islower() and len(salutation) > 1:
                salutation[-1] = f"{salutation[-1]} {text}"
            elif text:
                break
            i += 1
    parts.salutation = salutation
    return i


def _find_closing(lines: list[Line], start: int, parts: PrintedParts) -> int:
    """Recipients, signature and appendix; returns where the body ends."""
    texts = [line.text for line in lines]
    at = next((i for i in range(start, len(texts)) if noi_nhan_end(texts[i]) is not None), None)
    if at is None:
        return _find_signature_only(lines, start, parts)
    end = at
    while end > start and (not texts[end - 1] or _signature_line(texts[end - 1], strict=True)):
        end -= 1
    signed_before = [t for t in texts[end:at] if t]  # its column came first in the text
    if not any(is_authority(t) for t in signed_before):
        end, signed_before = at, []
    i = _find_recipients(texts, at, parts)
    if signed_before:
        parts.signature = signed_before
    else:
        i = _find_signature(texts, i, parts)
    parts.appendix = _paragraphs(lines[i:])
    return end


def _signature_line(text: str, *, strict: bool) -> bool:
    """An authority or position line; outside ``strict`` any short line in capitals counts
    (titles the parser's list does not know, "CHÁNH VĂN PHÒNG")."""
    if is_authority(text) or _SIGNED.match(fold(text)) or (strict and is_person_name(text)):
        return True
    return not strict and is_upper_text(text) and len(text.split()) <= 8 and not (
        _NUMBERED.match(text) or "|" in text
    )


def _find_recipients(texts: list[str], at: int, parts: PrintedParts) -> int:
    """"Nơi nhận:" and its bullets (a wrapped bullet joined); short notes ("08 KH") stay."""
    recipients = [texts[at]]
    i = at + 1
    while i < len(texts):
        text = texts[i]
        if text:
            ended = recipients[-1].endswith((";", "."))
            if _BULLET.match(text):
                recipients.append(text)
            elif _signature_line(text, strict=True):
                break
            elif len(recipients) > 1 and (text[0].islower() or not ended):
                recipients[-1] = f"{recipients[-1]} {text}"
            elif len(text.split()) <= 4 and "|" not in text:
                recipients.append(text)
            else:
                break
        i += 1
    parts.recipients = recipients
    return i


def _find_signature(texts: list[str], i: int, parts: PrintedParts) -> int:
    """Authority lines and "(Đã ký)" down to the signer's name; returns the line after."""
    signature: list[str] = []
    while i < len(texts):
        text = texts[i]
        if not text:
            i += 1
        elif is_authority(text) or _SIGNED.match(fold(text)):
            signature.append(text)
            i += 1
        elif is_person_name(text) or (signature and _name_like(text)):
            signature.append(text)
            i += 1
            break
        elif _signature_line(text, strict=False):
            signature.append(text)
            i += 1
        else:
            break
    parts.signature = signature
    return i


def _name_like(text: str) -> bool:
    """A name the strict rule misses ("Y Ngông Niê Kdăm", "Nguyễn thị Hoa"): a few words of
    letters only, not in capitals."""
    words = text.split()
    return 2 <= len(words) <= 6 and all(w.isalpha() for w in words) and not is_upper_text(text)


def _find_signature_only(lines: list[Line], start: int, parts: PrintedParts) -> int:
    """No "Nơi nhận": the first run of authority lines ending in a name is the signature."""
    texts = [line.text for line in lines]
    for k in range(start, len(texts)):
        if not is_person_name(texts[k]):
            continue
        first = k
        while first > start and (not texts[first - 1] or _signature_line(
            texts[first - 1], strict=False
        ) and not is_person_name(texts[first - 1])):
            first -= 1
        signature = [t for t in texts[first : k + 1] if t]
        if any(is_authority(t) for t in signature):
            parts.signature = signature
            parts.appendix = _paragraphs(lines[k + 1 :])
            return first
    return len(texts)


def _skip_blank(lines: list[Line], i: int) -> int:
    while i < len(lines) and not lines[i].text:
        i += 1
    return i


def _starts_block(text: str) -> bool:
    return bool(
        _NUMBERED.match(text) or _BULLET.match(text) or "|" in text
        or (text[0].isupper() and _OPENER.match(fold(text)))
        or (is_upper_text(text) and len(text.split()) <= 15)
    )


def _paragraphs(lines: list[Line]) -> list[Line]:
    """Source lines to paragraphs. Text typed as printed (hard-wrapped, as OCR gives it) breaks
    paragraphs mid-sentence: a line continues the one before when that one has no final
    stop, the line starts no block of its own, and it starts in lower case or follows a line
    that ran the full printed width. After a blank line only a lower-case start continues."""
    lengths = sorted(len(line.text) for line in lines if line.text)
    wrap = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    hard_wrapped = 0 < wrap <= WRAPPED_MAX
    out: list[Line] = []
    last = 0  # length of the last source line joined
    blank = False
    for line in lines:
        text = line.text
        if not text:
            blank = True
            continue
        if out and not out[-1].text.endswith(SENTENCE_END) and not _starts_block(text):
            full = hard_wrapped and last >= 0.7 * wrap and not _heading_style(out[-1])
            if text[0].islower() or (full and not blank):
                out[-1] = Line(f"{out[-1].text} {text}", out[-1].emphasised and line.emphasised)
                last, blank = len(text), False
                continue
        out.append(Line(text, line.emphasised))
        last, blank = len(text), False
    return out


def _heading_style(para: Line) -> bool:
    """Bold in the body: numbered headings without running text, lines in capitals, and
    what the source emphasised."""
    text = para.text
    if para.emphasised or (is_upper_text(text) and len(text.split()) <= 30):
        return True
    if not _NUMBERED.match(text):
        return False
    colon = text.find(":")
    inline = 0 <= colon < len(text.rstrip(" :")) - 1 and len(text[colon:].split()) > 3
    return len(text.split()) <= 20 and not inline and not text.endswith(";")


def _plain_layout(parts: PrintedParts, geo: _Geometry) -> list[_Band]:
    """Bands of a plain-lines document in Decree 30's order; an appendix starts a page."""
    line = _line_height(_font("regular", geo.pt(geo.font_size_pt)))
    bands: list[_Band] = []
    if parts.left or parts.right:
        bands += [_plain_header(parts.left, parts.right, geo), _gap(line)]
    if parts.title:
        bands += [_title(parts.title, geo), _gap(line // 2)]
    if parts.salutation:
        bands += [_salutation(parts.salutation, geo), _gap(line // 2)]
    bands += _plain_body(parts.body, _BODY, geo)
    if parts.recipients or parts.signature:
        bands += [_gap(line // 2), _closing(parts.recipients, parts.signature, _CLOSING, geo)]
    if parts.appendix:
        annex = _plain_body(parts.appendix, _ANNEX, geo)
        annex[0].new_page = True
        bands += annex
    return bands


def _plain_header(left: list[str], right: list[str], geo: _Geometry) -> _Band:
    """Issuer (parent body regular, issuing body bold and underlined) over number and subject,
    beside motto and underlined slogan over the italic place and date; the number and the
    place-and-date lines share a row."""
    size = geo.font_size_pt
    split = next((i for i, t in enumerate(left) if _NUMBER_LINE.match(fold(t))), len(left))
    split = min(split, next(
        (i for i, t in enumerate(left) if _SUBJECT_LINE.match(fold(t))), len(left)
    ))
    issuer, below = left[:split], left[split:]
    body_at = next((i for i, t in enumerate(issuer) if i and _SUBORDINATE.match(fold(t))), 0)
    top_left = [
        _Styled((_LEFT, i), t, "regular" if i < body_at else "bold", size - 1)
        for i, t in enumerate(issuer)
    ]
    if top_left:
        top_left[-1] = replace(top_left[-1], underline=0.4)
    date_at = next((i for i, t in enumerate(right) if _PLACE_DATE.search(fold(t))), len(right))
    top_right = [_motto_line((_RIGHT, i), t, size) for i, t in enumerate(right[:date_at])]
    left_width, right_width = geo.split, geo.text_width - geo.split
    heights = (
        _column(top_left, geo.left, left_width, geo, center=True).height,
        _column(top_right, geo.left + left_width, right_width, geo, center=True).height,
    )
    row = max(heights) + geo.pt(3)
    bottom_left = [
        _Styled((_LEFT, split + i), t, "regular", size - (0 if _NUMBER_LINE.match(fold(t)) else 1))
        for i, t in enumerate(below)
    ]
    bottom_right = [
        _Styled((_RIGHT, i), t, "italic", _fitting_size(t, "italic", size, right_width, geo))
        for i, t in enumerate(right[date_at:], start=date_at)
    ]
    for column, height in ((bottom_left, heights[0]), (bottom_right, heights[1])):
        if column:
            step = _line_height(_font(column[0].style, geo.pt(column[0].size_pt)))
            column[0] = replace(column[0], space_before=(row - height) / step)
    return _side_by_side(
        _column(top_left + bottom_left, geo.left, left_width, geo, center=True),
        _column(top_right + bottom_right, geo.left + left_width, right_width, geo, center=True),
    )


def _fitting_size(text: str, style: str, size: float, width: int, geo: _Geometry) -> float:
    """The size, down by up to 2 pt, at which a line fits on one line, as typists shrink a
    long place name ("Thành phố Hồ Chí Minh, ngày …") rather than wrap the date."""
    smallest = size - 2
    while size > smallest and _font(style, geo.pt(size)).getlength(text) > width:
        size -= 0.5
    return size


def _motto_line(key: Key, text: str, size: float) -> _Styled:
    """National name bold in capitals (12 pt), slogan bold 13 pt with a rule of its length."""
    if "doc lap" in fold(text):
        return _Styled(key, text, "bold", size, underline=1.0)
    return _Styled(key, text, "bold", size - 1 if is_upper_text(text) else size)


def _salutation(lines: list[str], geo: _Geometry) -> _Band:
    """"Kính gửi: X." centred, or "Kính gửi:" with the addressees lined up under its colon."""
    size = geo.font_size_pt
    styled = [_Styled((_SALUTE, i), t, "regular", size) for i, t in enumerate(lines)]
    if len(lines) == 1:
        return _column(styled, geo.left, geo.text_width, geo, center=True)
    x = geo.left + geo.text_width // 6
    under = round(_font("regular", geo.pt(size)).getlength(lines[0] + " "))
    label = _column(styled[:1], x, geo.text_width - (x - geo.left), geo, center=False)
    names = _column(styled[1:], x + under, geo.left + geo.text_width - x - under, geo,
                    center=False)
    return _stack(label, names)


def _stack(upper: _Band, lower: _Band) -> _Band:
    """One band of two, the second under the first."""
    shift = upper.height
    return _Band(
        height=upper.height + lower.height,
        pieces=upper.pieces + [replace(p, baseline=p.baseline + shift) for p in lower.pieces],
        rules=upper.rules + [(x0, y0 + shift, x1, y1 + shift) for x0, y0, x1, y1 in lower.rules],
        truth=upper.truth + lower.truth,
    )


def _plain_body(paras: list[Line], part: int, geo: _Geometry) -> list[_Band]:
    """Paragraphs 6 pt apart: bold headings, italic "Căn cứ" preamble, centred lines in
    capitals ("QUYẾT ĐỊNH:", appendix names, set close together like a title) and "(Kèm theo …)"
    notes, ruled tables."""
    size = geo.font_size_pt
    bands: list[_Band] = []
    preamble = True
    centred = False  # the previous paragraph was a centred line
    k = 0
    while k < len(paras):
        para, key = paras[k], (part, k)
        text, folded = para.text, fold(para.text)
        style = None if " | " in text else _centred_style(text)
        if bands and not (centred and style):
            bands.append(_gap(geo.pt(PARAGRAPH_GAP_PT)))
        centred = style is not None
        if " | " in text:
            rows = []
            while k < len(paras) and " | " in paras[k].text:
                rows.append(((part, k), paras[k].text))
                k += 1
            bands.extend(_table(rows, geo))
            continue
        if style:
            bands.append(_column([_Styled(key, text, style, size)], geo.left, geo.text_width,
                                 geo, center=True))
        else:
            heading = _heading_style(para)
            preamble = preamble and not heading
            style = "bold" if heading else "regular"
            if preamble and folded.startswith("can cu"):
                style = "italic"
            bands.extend(_paragraph(key, text, geo, style))
        k += 1
    return bands


def _centred_style(text: str) -> str | None:
    """Lines set centred on their own: "(Kèm theo …)" italic; appendix names and lines in
    capitals ("QUYẾT ĐỊNH:", a decision's "CHỦ TỊCH ỦY BAN NHÂN DÂN …") bold."""
    folded = fold(text)
    if _ANNEX_NOTE.match(folded):
        return "italic"
    if _ANNEX_NAME.match(folded) or (
        is_upper_text(text) and len(text.split()) <= 40 and not _NUMBERED.match(text)
    ):
        return "bold"
    return None


def _table(rows: list[tuple[Key, str]], geo: _Geometry) -> list[_Band]:
    """A ruled table, one unbreakable band per row, cells wrapped within their columns;
    the first row is the bold, centred column heads."""
    cells = [[cell.strip() for cell in text.split("|")] for _, text in rows]
    count = max(len(row) for row in cells)
    cells = [row + [""] * (count - len(row)) for row in cells]
    size_px = geo.pt(geo.font_size_pt - 1)
    regular, bold = _font("regular", size_px), _font("bold", size_px)
    pad = geo.mm(TABLE_PAD_MM)
    columns = list(zip(*cells, strict=True))
    natural = [max(bold.getlength(c) for c in column) + 2 * pad for column in columns]
    narrowest = [
        max((bold.getlength(w) for c in column for w in c.split()), default=0) + 2 * pad
        for column in columns
    ]
    widths = _column_widths(natural, narrowest, geo.text_width)
    edges = [geo.left + sum(widths[:j]) for j in range(count + 1)]
    bands = []
    for r, ((key, text), row) in enumerate(zip(rows, cells, strict=True)):
        font = bold if r == 0 else regular
        step = _line_height(font)
        wrapped = [_wrap(cell, font, w - 2 * pad) for cell, w in zip(row, widths, strict=True)]
        band = _Band(height=max(map(len, wrapped), default=0) * step + 2 * pad,
                     truth=[(key, text)])
        for j, segments in enumerate(wrapped):
            for s, segment in enumerate(segments):
                width = widths[j] - round(font.getlength(segment))
                x = edges[j] + (width // 2 if r == 0 else pad)
                baseline = pad + s * step + font.getmetrics()[0]
                band.pieces.append(_Piece(segment, font, x, baseline))
        band.rules = [(edges[0], 0, edges[-1], 0), (edges[0], band.height, edges[-1], band.height)]
        band.rules += [(x, 0, x, band.height) for x in edges]
        bands.append(band)
    return bands


def _column_widths(natural: list[float], narrowest: list[float], total: int) -> list[int]:
    """Share the text width among table columns: in proportion to their text when it all
    fits on one line, else each its longest word plus a share of the rest by text length."""
    if sum(natural) <= total:
        shares = natural
    else:
        spare = max(total - sum(narrowest), 0)
        extra = [n - m for n, m in zip(natural, narrowest, strict=True)]
        shares = [m + spare * e / (sum(extra) or 1) for m, e in zip(narrowest, extra, strict=True)]
    scale = total / sum(shares)
    widths = [round(s * scale) for s in shares]
    widths[-1] += total - sum(widths)
    return widths


# --- scan simulation -------------------------------------------------------------------------


LEVELS = (
    "clean", "scan", "photocopy", "skewed", "rotated90", "rotated180",
    "low-dpi", "colour-stamp", "heavy-noise", "shadowed",
)


def degrade(
    image: Image.Image, *, seed: int, level: str = "scan", red_seal: bool = False
) -> Image.Image:
    """Make a rendered page look scanned the way ``level`` names; "clean" returns it unchanged.

    Every level starts from the ordinary "scan" look (slight tilt, blur, grey paper, noise,
    JPEG) and adds its own damage. Deterministic per seed. "colour-stamp" gives an RGB page
    with the seal in red, the others grey; ``red_seal`` makes every level but the black-and-white
    "photocopy" a colour scan of the red seal, as issued documents carry it.
    """
    if level == "clean":
        return image
    if level not in LEVELS:
        raise ValueError(f"unknown degradation level {level!r} (one of: {', '.join(LEVELS)})")
    rng = np.random.default_rng(seed)
    dpi = image.info.get("dpi", (300, 300))[0]
    scale = dpi / 300
    page = np.asarray(image.convert("L"), dtype=np.float32) / 255  # 1 = paper, 0 = ink
    box = image.info.get(SIGNATURE_KEY)
    colour_stamp = None
    if box and (level == "colour-stamp" or (red_seal and level != "photocopy")):
        colour_stamp = _stamp_alpha(page.shape, box, rng, scale, darkness=0.9)
    elif box:
        page *= 1 - _stamp_alpha(page.shape, box, rng, scale, darkness=rng.uniform(0.35, 0.5))
    if level == "photocopy":
        page = _photocopy(page, rng, scale)
    tilt = rng.uniform(0.3, 1.2) * rng.choice([-1, 1])
    if level == "skewed":
        tilt = rng.uniform(4.0, 12.0) * rng.choice([-1, 1])
    page = _rotate(page, tilt)
    ink, paper = rng.uniform(15, 40), rng.uniform(235, 245)
    page = _illuminate(ink + (paper - ink) * page, rng, strong=level == "shadowed")
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.6, 1.0) * scale)
    noise, quality = rng.uniform(2, 4), int(rng.integers(60, 76))
    if level == "heavy-noise":
        noise, quality = rng.uniform(14, 22), int(rng.integers(20, 35))
    page += rng.standard_normal(page.shape, dtype=np.float32) * noise
    if colour_stamp is not None:
        result = _jpeg(_tint(page, colour_stamp), quality)
    else:
        result = _jpeg(page, quality)
    if level == "low-dpi":
        dpi = 150
        result = result.resize((result.width // 2, result.height // 2), Image.Resampling.BOX)
    elif level in ("rotated90", "rotated180"):
        result = result.transpose(
            Image.Transpose.ROTATE_90 if level == "rotated90" else Image.Transpose.ROTATE_180
        )
    result.info["dpi"] = (dpi, dpi)
    return result


def _photocopy(page: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Hard contrast, thickened strokes, toner specks and a dark band along one edge."""
    page = np.where(page < rng.uniform(0.55, 0.7), 0.0, 1.0).astype(np.float32)
    page = cv2.erode(page, np.ones((2, 2), np.uint8))
    specks = rng.random(page.shape) < rng.uniform(0.0005, 0.0015)
    page[specks] = 0.0
    band = max(4, round(rng.uniform(25, 60) * scale))
    edge = rng.integers(4)
    if edge == 0:
        page[:, :band] = 0.1
    elif edge == 1:
        page[:, -band:] = 0.1
    elif edge == 2:
        page[:band, :] = 0.1
    else:
        page[-band:, :] = 0.1
    return page


def _tint(page: np.ndarray, stamp_alpha: np.ndarray) -> np.ndarray:
    """Grey page (0..255) to RGB with a red seal laid over it (ink under the seal stays dark)."""
    red = np.array([200.0, 30.0, 40.0], np.float32)
    rgb = np.repeat(page[:, :, None], 3, axis=2)
    alpha = stamp_alpha[:, :, None]
    return rgb * (1 - alpha) + np.minimum(rgb, red) * alpha


def _stamp_alpha(
    shape: tuple[int, ...], box: Box, rng: np.random.Generator, scale: float, darkness: float
) -> np.ndarray:
    """Opacity (0..1) of a round seal pressed over the left part of the signature block."""
    radius = round(rng.uniform(190, 215) * scale)
    x0, y0, x1, y1 = box
    cx = round(x0 + (x1 - x0) * rng.uniform(0.25, 0.4))
    cy = round((y0 + y1) / 2 + rng.uniform(-0.15, 0.15) * (y1 - y0))
    mask = _seal_mask(radius, rng)
    ink = cv2.resize(rng.uniform(0.45, 1.0, (6, 6)).astype(np.float32), mask.shape[::-1])
    alpha = cv2.GaussianBlur(mask, (0, 0), 1.2 * scale) * ink * darkness
    top, left = cy - mask.shape[0] // 2, cx - mask.shape[1] // 2
    t, lft = max(top, 0), max(left, 0)
    b, r = min(top + mask.shape[0], shape[0]), min(left + mask.shape[1], shape[1])
    page_alpha = np.zeros(shape[:2], np.float32)
    page_alpha[t:b, lft:r] = alpha[t - top : b - top, lft - left : r - left]
    return page_alpha


def _seal_mask(radius: int, rng: np.random.Generator) -> np.ndarray:
    """Outer ring, inner ring, a circle of letter-like marks and a centre star, as 0..1 floats."""
    size = 2 * radius + 8
    c = size // 2
    mask = np.zeros((size, size), np.uint8)
    thick = max(2, radius // 28)
    cv2.circle(mask, (c, c), radius, 255, thick, cv2.LINE_AA)
    cv2.circle(mask, (c, c), round(radius * 0.66), 255, max(1, thick // 2), cv2.LINE_AA)
    angles = np.linspace(0, 2 * np.pi, 46, endpoint=False) + rng.uniform(0, 2 * np.pi)
    angles = angles[rng.random(angles.size) > 0.15]  # word gaps
    inner, outer = radius * 0.74, radius * (0.88 + rng.uniform(-0.03, 0.03, angles.size))
    ends = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    marks = np.stack([c + ends * inner, c + ends * outer[:, None]], axis=1).round().astype(np.int32)
    cv2.polylines(mask, list(marks), False, 255, thick, cv2.LINE_AA)
    star = np.arange(10) * np.pi / 5 - np.pi / 2
    star_r = np.where(np.arange(10) % 2 == 0, radius * 0.3, radius * 0.12)
    points = np.stack([c + star_r * np.cos(star), c + star_r * np.sin(star)], axis=1)
    cv2.fillPoly(mask, [points.round().astype(np.int32)], 255, cv2.LINE_AA)
    return mask.astype(np.float32) / 255


def _illuminate(page: np.ndarray, rng: np.random.Generator, strong: bool = False) -> np.ndarray:
    """Darken the page linearly towards one random side, as an uneven scanner lamp does;
    ``strong`` is the shadow of a book fold or a hand over a photographed page."""
    h, w = page.shape
    angle = rng.uniform(0, 2 * np.pi)
    cos, sin = np.cos(angle), np.sin(angle)
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :] * np.float32(cos)
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None] * np.float32(sin)
    depth = np.float32(rng.uniform(*((0.45, 0.6) if strong else (0.05, 0.12))))
    depth /= np.float32(abs(cos) + abs(sin))
    return page * (1 - depth * (xs + ys + np.float32((abs(cos) + abs(sin)) / 2)))


def _rotate(page: np.ndarray, degrees: float) -> np.ndarray:
    """Tilt the sheet as if fed askew; uncovered corners become blank paper."""
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=1.0)


def _jpeg(page: np.ndarray, quality: int) -> Image.Image:
    """JPEG round trip of a grey (H, W) or RGB (H, W, 3) page of 0..255 floats."""
    pixels = np.clip(page, 0, 255).round().astype(np.uint8)
    colour = pixels.ndim == 3
    if colour:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not JPEG-encode the page")
    if colour:
        decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        return Image.fromarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), mode="RGB")
    return Image.fromarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE), mode="L")


def _compact(image: Image.Image, levels: int = GRAY_LEVELS) -> Image.Image:
    """Posterise for small committed PNGs: pixels close to the local paper tone take the smooth
    paper tone (noise and JPEG ringing compress badly), all pixels are cut to ``levels`` greys."""
    pixels = np.asarray(image, dtype=np.uint8)
    paper = _paper_tone(pixels)
    near = np.abs(pixels.astype(np.int16) - paper) <= PAPER_TOLERANCE
    step = 255 / (levels - 1)
    lut = (np.round(np.arange(256) / step) * step).round().astype(np.uint8)
    result = Image.fromarray(lut[np.where(near, paper, pixels)], mode="L")
    result.info["dpi"] = image.info.get("dpi", (300, 300))
    return result


def _paper_tone(pixels: np.ndarray) -> np.ndarray:
    """Smooth paper brightness: local maximum of a 1/16-scale copy (no text), blurred, upscaled."""
    h, w = pixels.shape
    small = cv2.resize(pixels, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(cv2.dilate(small, np.ones((5, 5), np.uint8)), (0, 0), 2)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def write_scans(
    text_path: Path, out_dir: Path, *, seed: int = 0, level: str = "scan"
) -> list[Path]:
    """Render a plan text file, degrade each page and write ``<stem>-p<N>.png`` + ``.gt.txt``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(text_path.read_text(encoding="utf-8"))
    paths = []
    for number, page in enumerate(pages, start=1):
        # Page N uses seed + N - 1: every page looks different, yet reruns are byte-identical.
        image = degrade(page.image, seed=seed + number - 1, level=level)
        if image.mode == "L":
            image = _compact(image)
        png = out_dir / f"{text_path.stem}-p{number}.png"
        image.save(png, optimize=True, dpi=image.info["dpi"])
        png.with_suffix(".gt.txt").write_text(page.truth + "\n", encoding="utf-8")
        paths.append(png)
    return paths


def write_pdf(text: str, path: Path, *, level: str = "scan", seed: int = 0, dpi: int = 300) -> Path:
    """Render a document, degrade every page at ``level`` (page N with seed + N - 1, the seal
    red as in a colour scan) and write them as one multi-page PDF at ``path``, the way scanned
    documents arrive; ``<stem>.gt.txt`` beside it holds the true text of each page, pages
    separated by form feeds (as ``vnplan ocr`` writes them)."""
    pages = render_pages(text, dpi=dpi)
    images = [
        degrade(page.image, seed=seed + number, level=level, red_seal=True)
        for number, page in enumerate(pages)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    first, *rest = images
    first.save(path, "PDF", save_all=True, append_images=rest,
               resolution=float(first.info["dpi"][0]), quality=PDF_JPEG_QUALITY)
    path.with_suffix(".gt.txt").write_text(
        "\f".join(page.truth for page in pages) + "\n", encoding="utf-8"
    )
    return path
