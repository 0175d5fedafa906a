"""The output formats, one module each with one ``write_<format>(document, path, ...)``, all
written atomically; boxes are in the scan's pixels (``Page.width`` x ``Page.height``).

``write_document_outputs`` is what a batch writes for each document.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.models import Document
from pipeline.writers.alto import write_alto
from pipeline.writers.hocr import write_hocr
from pipeline.writers.json import write_json
from pipeline.writers.txt import write_txt

# every file a document may have in the output folder: a new document's id must find them free
OUTPUT_SUFFIXES = (".txt", ".raw.txt", ".json", ".alto.xml", ".hocr", ".pdf")


def write_document_outputs(
    document: Document, fields: dict | None, out_dir: Path, stem: str,
    settings: dict | None = None,
) -> list[Path]:
    """``<stem>.txt`` (corrected text), ``<stem>.raw.txt`` (Tesseract's own reading),
    ``<stem>.json`` (words, boxes, confidences, how it was made and, if parsed, the fields),
    ``<stem>.alto.xml`` (ALTO 4.4) and ``<stem>.hocr`` (hOCR)."""
    suffixes = (".txt", ".raw.txt", ".json", ".alto.xml", ".hocr")
    text, raw, record, alto, hocr = (out_dir / f"{stem}{suffix}" for suffix in suffixes)
    write_txt(document, text)
    write_txt(document, raw, raw=True)
    write_json(document, record, fields=fields, settings=settings)
    write_alto(document, alto, settings=settings)
    write_hocr(document, hocr)
    return [text, raw, record, alto, hocr]
