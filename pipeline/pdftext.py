"""The text layer of a born-digital PDF page, read instead of OCR'd.

A PDF exported from a word processor, or one a scanner already OCR'd well, carries its own
text: reading it is exact and takes milliseconds where OCR takes seconds and makes mistakes.
Characters and their boxes come from PDFium; they are grouped into words (at spaces), lines (at
PDFium's line breaks, or where the next character does not follow on the same baseline) and
paragraphs (at a larger gap), and the boxes are mapped to the pixels of the page rendered at
``inputs.pdf_render_dpi``, the frame an OCR'd page of the same file would have.

Not every text layer is worth keeping: an old OCR layer made with an English model, or a font
without a Unicode map, gives text no reader can use. :func:`usable` decides per page.
"""

from __future__ import annotations

import ctypes
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c

from pipeline.inputs import pdf_render_dpi
from pipeline.models import Box, Line, Page, Word
from pipeline.restore.align import core
from pipeline.restore.syllable import has_diacritics, is_valid_syllable

MIN_LETTERS = 40  # fewer letters than this: a stamp or a page number, not a text layer
MIN_SYLLABLES = 0.6  # share of a Vietnamese page's words that must be syllables
MIN_MARKED = 0.25  # and carry marks: an English-model OCR layer has almost none
WORD_GAP = 0.6  # gap between characters, in character heights, that splits a word
PARAGRAPH_GAP = 0.9  # vertical gap between lines, in line heights, that starts a paragraph
PDF_CONFIDENCE = 100.0  # a word the file states is taken as certain
_PRECISION = 16  # PDFium maps to integer pixels: map to a 16x larger frame, then divide


@dataclass
class _Char:
    text: str
    left: float
    top: float
    right: float
    bottom: float


def text_layer_page(path: Path, number: int, lang: str = "vie") -> Page | None:
    """Page ``number`` (1-based) built from the PDF's own text, or None when ``path`` is no
    PDF, cannot be read, or the page's text layer is missing or not :func:`usable`."""
    try:
        with path.open("rb") as handle:
            if handle.read(5) != b"%PDF-":
                return None
        pdf = pypdfium2.PdfDocument(path)
    except (OSError, pypdfium2.PdfiumError):
        return None
    try:
        if not 1 <= number <= len(pdf):
            return None
        page = pdf[number - 1]
        try:
            return _page_from_text(page, number, lang)
        finally:
            page.close()
    finally:
        pdf.close()


def usable(words: list[str], lang: str = "vie") -> bool:
    """Enough letters, and for Vietnamese, mostly syllables with a fair share of marks."""
    letters = sum(ch.isalpha() for word in words for ch in word)
    if letters < MIN_LETTERS:
        return False
    if "vie" not in lang.split("+"):
        return True
    tokens = [token for token in (core(word) for word in words) if token.isalpha()]
    if not tokens:
        return False
    syllables = [token for token in tokens if is_valid_syllable(token)]
    marked = sum(has_diacritics(token) for token in syllables)
    return (
        len(syllables) >= MIN_SYLLABLES * len(tokens) and marked >= MIN_MARKED * len(tokens)
    )


def _page_from_text(page: pypdfium2.PdfPage, number: int, lang: str) -> Page | None:
    dpi = pdf_render_dpi(page.get_width(), page.get_height())  # the frame OCR would have
    scale = dpi / 72
    width = math.ceil(page.get_width() * scale)
    height = math.ceil(page.get_height() * scale)
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage)
    finally:
        textpage.close()
    to_pixels = _page_to_pixels(page, width, height)
    lines = [
        Line(words=[_word(word, to_pixels) for word in row],
             box=_pixel_box(_around([c for word in row for c in word]), to_pixels),
             paragraph=paragraph)
        for row, paragraph in _rows(chars)
    ]
    if not usable([word.text for line in lines for word in line.words], lang):
        return None
    # A page shown turned (/Rotate, clockwise) is upright once turned back counter-clockwise by
    # as much: as if the cleanup had, so Page.text_angle tells how its text stands.
    return Page(number=number, width=width, height=height, deskew_angle=0.0,
                rotation=page.get_rotation(), lines=lines, dpi=dpi, text_source="pdf")


def _chars(textpage: pypdfium2.PdfTextPage) -> list[str | _Char]:
    """Each character with its box in the page's text space, y downwards (so lines are level
    whatever the page's /Rotate); a break (space, line end) as its text."""
    chars: list[str | _Char] = []
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    rect = pdfium_c.FS_RECTF()
    for index in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        text = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if text.isspace() or not text.isprintable():
            chars.append(text)
            continue
        if pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, rect):
            box = (rect.left, rect.bottom, rect.right, rect.top)
        elif pdfium_c.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top):
            box = (left.value, bottom.value, right.value, top.value)
        else:
            continue
        chars.append(_Char(text, box[0], -box[3], box[2], -box[1]))
    return chars


def _page_to_pixels(page: pypdfium2.PdfPage, width: int, height: int):
    """The affine map from text space (y downwards) to the rendered page's pixels, rotation and
    crop box included, found from three points PDFium maps."""
    size_x, size_y = width * _PRECISION, height * _PRECISION

    def device(x: float, y: float) -> tuple[float, float]:
        out_x, out_y = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, size_x, size_y, 0, x, -y, out_x, out_y)
        return out_x.value / _PRECISION, out_y.value / _PRECISION

    origin, unit_x, unit_y = device(0, 0), device(1000, 0), device(0, 1000)
    ax, bx = ((unit_x[i] - origin[i]) / 1000 for i in (0, 1))
    ay, by = ((unit_y[i] - origin[i]) / 1000 for i in (0, 1))

    def to_pixels(x: float, y: float) -> tuple[float, float]:
        return origin[0] + ax * x + ay * y, origin[1] + bx * x + by * y

    return to_pixels


def _rows(chars: list[str | _Char]) -> list[tuple[list[list[_Char]], int]]:
    """Characters to lines of words, in the file's order, each with its paragraph index."""
    rows: list[list[list[_Char]]] = []
    word: list[_Char] = []
    last: _Char | None = None  # the last character, across spaces
    line_break = True
    for char in chars:
        if isinstance(char, str):  # a space or a line end
            if word:
                rows[-1].append(word)
                word = []
            line_break = line_break or char in "\r\n"
            continue
        if line_break or last is None or _new_line(last, char):
            if word:
                rows[-1].append(word)
                word = []
            rows.append([])
        elif word and char.left - last.right > WORD_GAP * (last.bottom - last.top):
            rows[-1].append(word)
            word = []
        word.append(char)
        last, line_break = char, False
    if word:
        rows[-1].append(word)
    # Left to right: PDFium gives the words of an upside-down page (/Rotate 180) right to left.
    rows = [sorted(row, key=lambda word: word[0].left) for row in rows if row]
    paragraphs, paragraph = [], 0
    for above, below in zip([None, *rows], rows, strict=False):
        if above is not None and _new_paragraph(_around([c for w in above for c in w]),
                                                _around([c for w in below for c in w])):
            paragraph += 1
        paragraphs.append(paragraph)
    return list(zip(rows, paragraphs, strict=True))


def _new_line(previous: _Char, char: _Char) -> bool:
    """The character is not on the previous one's line: a line break."""
    height = max(previous.bottom - previous.top, char.bottom - char.top, 1.0)
    middle = (char.top + char.bottom) / 2
    return not previous.top - 0.2 * height <= middle <= previous.bottom + 0.2 * height


def _new_paragraph(above: _Char, below: _Char) -> bool:
    """A gap of more than ``PARAGRAPH_GAP`` line heights, or a line that goes back up."""
    gap = below.top - above.bottom
    return gap > PARAGRAPH_GAP * max(above.bottom - above.top, 1.0) or below.top < above.top


def _around(chars: list[_Char]) -> _Char:
    """The rectangle around characters (its text unused)."""
    return _Char("", min(c.left for c in chars), min(c.top for c in chars),
                 max(c.right for c in chars), max(c.bottom for c in chars))


def _word(chars: list[_Char], to_pixels) -> Word:
    text = unicodedata.normalize("NFC", "".join(char.text for char in chars))
    return Word(text=text, confidence=PDF_CONFIDENCE, box=_pixel_box(_around(chars), to_pixels))


def _pixel_box(rect: _Char, to_pixels) -> Box:
    """The upright pixel rectangle around a text-space rectangle's corners."""
    xs, ys = zip(*(to_pixels(x, y) for x in (rect.left, rect.right)
                   for y in (rect.top, rect.bottom)), strict=True)
    left, top = math.floor(min(xs)), math.floor(min(ys))
    return Box(left, top, max(math.ceil(max(xs)) - left, 1), max(math.ceil(max(ys)) - top, 1))
