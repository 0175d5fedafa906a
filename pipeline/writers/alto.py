"""ALTO 4.4 XML, the layout-and-text format libraries and archives load: one ``Page`` per page,
a ``TextBlock`` per paragraph, ``String`` words with their confidence and scan-pixel box.

A word correction changed has the corrected word as its ``CONTENT`` and Tesseract's reading in
an ``ALTERNATIVE``, so a search finds either and a reviewer sees what was changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from pipeline import __version__
from pipeline.export import atomic_writer, printable_path
from pipeline.models import Box, Document, Line, Page

NAMESPACE = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = f"{NAMESPACE} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PROCESSING_ID = "OCR_1"
# a part written on its own (the description, a page) declares the namespace it is in, or the
# XML writer would give it a prefix of its own
_NSMAP = {None: NAMESPACE}


def write_alto(document: Document, path: Path, *, settings: dict | None = None) -> None:
    """``settings`` (the batch's options) go into the processing step's description. Written
    page by page, so a long document's tree is never whole in memory."""
    with atomic_writer(path) as handle:
        with etree.xmlfile(handle, encoding="UTF-8") as xml:
            xml.write_declaration()
            with xml.element(
                _tag("alto"), nsmap={None: NAMESPACE, "xsi": _XSI},
                attrib={f"{{{_XSI}}}schemaLocation": SCHEMA_LOCATION, "SCHEMAVERSION": "4.4"},
            ):
                xml.write("\n  ")
                xml.write(_indented(_description(document, settings), 1))
                xml.write("\n  ")
                with xml.element(_tag("Layout")):
                    for page in document.pages:
                        xml.write("\n    ")
                        xml.write(_indented(_page(page), 2))
                    xml.write("\n  ")
                xml.write("\n")
        handle.write(b"\n")  # after the root element, where the XML writer writes nothing


def _indented(element: etree._Element, level: int) -> etree._Element:
    """The element indented as if ``level`` deep, two spaces a level."""
    etree.indent(element, space="  ", level=level)
    return element


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _child(parent: etree._Element, name: str, text: str | None = None, **attributes: str):
    element = etree.SubElement(parent, _tag(name), attributes)
    element.text = text
    return element


def _description(document: Document, settings: dict | None) -> etree._Element:
    description = etree.Element(_tag("Description"), nsmap=_NSMAP)
    _child(description, "MeasurementUnit", "pixel")
    source = _child(description, "sourceImageInformation")
    _child(source, "fileName", printable_path(document.source))
    processing = _child(description, "OCRProcessing", ID=_PROCESSING_ID)
    step = _child(processing, "ocrProcessingStep")
    _child(step, "processingCategory", "contentGeneration")
    if settings is not None:
        _child(step, "processingStepSettings",
               json.dumps(settings, ensure_ascii=False, sort_keys=True))
    software = _child(step, "processingSoftware")
    _child(software, "softwareName", "vnplan")
    _child(software, "softwareVersion", __version__)
    _child(software, "applicationDescription",
           "Tesseract OCR with vnplan's image cleanup, reading order and post-OCR correction")
    return description


def _page(page: Page) -> etree._Element:
    prefix = f"P{page.number}"
    element = etree.Element(_tag("Page"), nsmap=_NSMAP, attrib={
        "ID": prefix, "PHYSICAL_IMG_NR": str(page.number), "PROCESSING": _PROCESSING_ID,
        "WIDTH": str(page.width), "HEIGHT": str(page.height),
    })
    if page.text_angle:
        element.set("ROTATION", f"{page.text_angle:g}")
    space = _child(element, "PrintSpace", **_position(Box(0, 0, page.width, page.height)))
    for block_number, lines in enumerate(page.blocks, start=1):
        block_id = f"{prefix}_B{block_number}"
        block = _child(space, "TextBlock", ID=block_id,
                       **_position(Box.around(line.box for line in lines)))
        for line_number, line in enumerate(lines, start=1):
            block.append(_line(line, f"{block_id}_L{line_number}"))
    return element


def _line(line: Line, line_id: str) -> etree._Element:
    element = etree.Element(_tag("TextLine"), {"ID": line_id, **_position(line.box)})
    for number, word in enumerate(line.words, start=1):
        if number > 1:
            _child(element, "SP")
        string = _child(element, "String", ID=f"{line_id}_S{number}", **_position(word.box),
                        WC=_confidence(word.confidence), CONTENT=word.text)
        if word.corrected_from is not None:
            _child(string, "ALTERNATIVE", word.corrected_from, PURPOSE="OCR")
    return element


def _position(box: Box) -> dict[str, str]:
    return {"HPOS": str(box.left), "VPOS": str(box.top),
            "WIDTH": str(box.width), "HEIGHT": str(box.height)}


def _confidence(confidence: float) -> str:
    """Tesseract's 0-100 as ALTO's 0-1 (Tesseract gives -1 to words it did not score)."""
    return f"{round(min(max(confidence, 0.0), 100.0) / 100, 4):g}"
