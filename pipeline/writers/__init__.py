"""The output formats, one module each with one ``write_<format>(document, path, ...)``, all
written atomically; boxes are in the scan's pixels (``Page.width`` x ``Page.height``).

``write_document_outputs`` is what a batch writes for each document.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from pipeline.models import Document, WordCounts
from pipeline.provenance import field_provenance
from pipeline.writers.alto import write_alto
from pipeline.writers.hocr import write_hocr
from pipeline.writers.html import write_html
from pipeline.writers.json import write_json
from pipeline.writers.txt import write_txt

INDEX_NAME = "index.html"  # the batch's review report, pipeline.report
# every file a document may have in the output folder: a new document's id must find them free
# (".pages" is the folder of its review page's images)
OUTPUT_SUFFIXES = (".txt", ".raw.txt", ".json", ".alto.xml", ".hocr", ".pdf", ".html",
                   ".document.html", ".pages")


def write_document_outputs(
    document: Document, fields: dict | None, out_dir: Path, stem: str,
    settings: dict | None = None, previews: Mapping[int, bytes] | None = None,
    outline: Document | None = None, counts: WordCounts | None = None,
) -> list[Path]:
    """``<stem>.txt`` (corrected text), ``<stem>.raw.txt`` (Tesseract's own reading),
    ``<stem>.json`` (words, boxes, confidences, how it was made and, if parsed, the fields
    and the lines each was read from), ``<stem>.alto.xml`` (ALTO 4.4), ``<stem>.hocr`` (hOCR)
    and the review page ``<stem>.html`` with its page images in ``<stem>.pages/`` (those of
    ``previews`` as they are, by page number).

    Each output goes through ``document.pages`` once, a page at a time, so pages read as they
    are asked for are never all in memory. ``outline``, the same pages with only their lines'
    texts, serves the plain texts and the fields' provenance, and ``counts`` (the document's
    word counts) the review page's summary, without another pass over the full pages."""
    suffixes = (".txt", ".raw.txt", ".json", ".alto.xml", ".hocr")
    text, raw, record, alto, hocr = (out_dir / f"{stem}{suffix}" for suffix in suffixes)
    lines = outline if outline is not None else document
    provenance = field_provenance(lines, fields) if fields is not None else None
    write_txt(lines, text)
    write_txt(lines, raw, raw=True)
    write_json(document, record, fields=fields, settings=settings, provenance=provenance)
    write_alto(document, alto, settings=settings)
    write_hocr(document, hocr)
    page = out_dir / review_page_name(stem)
    images = write_html(document, page, fields=fields, provenance=provenance, name=stem,
                        index=index_link(stem), previews=previews, counts=counts)
    return [text, raw, record, alto, hocr, page, *images]


def review_page_name(stem: str) -> str:
    """``<stem>.html``; a document named "index" at the top of the folder would take the
    batch index's name, so its page is ``index.document.html``."""
    if stem.casefold() == PurePosixPath(INDEX_NAME).stem:
        return f"{stem}.document.html"
    return f"{stem}.html"


def index_link(stem: str) -> str:
    """The batch index as a link from the review page of ``stem`` (ids are paths)."""
    return "../" * stem.count("/") + INDEX_NAME
