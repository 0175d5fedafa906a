"""hOCR: the corrected words with their boxes as XHTML, the format archive viewers, search
indexers and OCRmyPDF read (https://kba.github.io/hocr-spec/1.2/).

Each word's text is the corrected one; Tesseract's own reading of a word correction changed is
kept in ``data-original`` (XHTML5 allows ``data-*``; a ``class="alternatives"`` span would make
readers that concatenate a word's text see both). Boxes are scan pixels, the frame of
``Page.width``/``Page.height``, so the hOCR lies over the input image as it is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from pipeline import __version__
from pipeline.export import atomic_writer, printable_path
from pipeline.models import Box, Document, Page

CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang"
DOCTYPE = "<!DOCTYPE html>"


def write_hocr(document: Document, path: Path) -> None:
    """Write the document's hOCR to ``path`` atomically, a page at a time."""
    with atomic_writer(path) as handle:
        for piece in _pieces(document, "vie"):
            handle.write(piece.encode("utf-8", "backslashreplace"))


def hocr_text(document: Document, lang: str = "vie") -> str:
    """The whole document as one hOCR file: one ``ocr_page`` per page, in order."""
    return "".join(_pieces(document, lang))


def _pieces(document: Document, lang: str) -> Iterator[str]:
    """The hOCR text in pieces: the head, each page, the end; indented one space a level."""
    head = ET.Element("head")
    ET.SubElement(head, "title").text = printable_path(Path(document.source.name))
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"vnplan {__version__}"})
    ET.SubElement(head, "meta", {"name": "ocr-capabilities", "content": CAPABILITIES})
    ET.SubElement(head, "meta", {"name": "ocr-number-of-pages",
                                 "content": str(len(document.pages))})
    ET.SubElement(head, "meta", {"name": "ocr-langs", "content": lang})
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n' + DOCTYPE + "\n"
           '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="vi" lang="vi">\n ')
    yield _indented(head, 1) + "\n <body>"
    for index, page in enumerate(document.pages, start=1):
        yield "\n  " + _indented(_page(page, index, page.source or document.source, lang), 2)
    yield "\n </body>\n</html>\n"


def _indented(element: ET.Element, level: int) -> str:
    """The element as text, indented as if ``level`` deep, without trailing white space."""
    ET.indent(element, space=" ", level=level)
    element.tail = None
    return ET.tostring(element, encoding="unicode")


def _page(page: Page, index: int, source: Path, lang: str) -> ET.Element:
    """``ppageno`` is 0-based, as Tesseract writes it; ids carry the position in this file."""
    title = (f'image "{printable_path(source)}"; bbox 0 0 {page.width} {page.height}; '
             f"ppageno {page.number - 1}")
    if page.dpi:
        title += f"; scan_res {round(page.dpi)} {round(page.dpi)}"
    element = ET.Element("div", {"class": "ocr_page", "id": f"page_{index}", "title": title})
    angle = page.text_angle
    line_number = word_number = 0
    for block_number, lines in enumerate(page.blocks, start=1):
        block_id = f"{index}_{block_number}"
        box = _bbox(Box.around(line.box for line in lines))
        area = ET.SubElement(element, "div", {"class": "ocr_carea", "id": f"block_{block_id}",
                                              "title": box})
        paragraph = ET.SubElement(area, "p", {"class": "ocr_par", "id": f"par_{block_id}",
                                              "lang": lang, "title": box})
        for line in lines:
            line_number += 1
            line_title = _bbox(line.box)
            if angle:
                line_title += f"; textangle {angle:g}"
            span = ET.SubElement(paragraph, "span", {
                "class": "ocr_line", "id": f"line_{index}_{line_number}", "title": line_title,
            })
            for word in line.words:
                word_number += 1
                attributes = {
                    "class": "ocrx_word", "id": f"word_{index}_{word_number}",
                    "title": f"{_bbox(word.box)}; x_wconf {round(word.confidence)}",
                }
                if word.corrected_from is not None:
                    attributes["data-original"] = word.corrected_from
                ET.SubElement(span, "span", attributes).text = word.text
    return element


def _bbox(box: Box) -> str:
    return f"bbox {box.left} {box.top} {box.left + box.width} {box.top + box.height}"
