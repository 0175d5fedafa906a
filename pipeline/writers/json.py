"""The document as JSON: pages, lines and words with confidences and scan-pixel boxes, what
correction changed, how the pages were made, and the plan's fields when parsed."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline import __version__
from pipeline.export import atomic_write_text, printable_path
from pipeline.models import Document, Page, Word

# 2: boxes in the scan's pixels (1: in the cleaned image's), vnplan_version, settings, dpi
SCHEMA_VERSION = 2


def write_json(
    document: Document, path: Path, *, fields: dict | None = None, settings: dict | None = None
) -> None:
    """``settings`` are the options the batch ran with, so a reader knows how it was made."""
    record = {
        "schema_version": SCHEMA_VERSION,
        "vnplan_version": __version__,
        "source": printable_path(document.source),
        "settings": settings,
        "pages": [_page_record(page) for page in document.pages],
    }
    if fields is not None:
        record["fields"] = fields
    atomic_write_text(path, json.dumps(record, ensure_ascii=False))


def _page_record(page: Page) -> dict:
    return {
        "number": page.number,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "text_source": page.text_source,  # "ocr", or "pdf": the file's own text layer, not OCR'd
        "deskew_angle": page.deskew_angle,
        "rotation": page.rotation,
        "scale": page.scale,
        "text": page.text,
        "corrections": [  # what post-OCR correction changed, for reviewers
            {"line": n, "word": k, "original": word.corrected_from,
             "corrected": word.text, "score": word.correction_score}
            for n, line in enumerate(page.lines)
            for k, word in enumerate(line.words)
            if word.corrected_from is not None
        ],
        "lines": [
            {
                "text": line.text,
                "box": asdict(line.box),
                "words": [_word_record(word) for word in line.words],
            }
            for line in page.lines
        ],
    }


def _word_record(word: Word) -> dict:
    """Text, confidence and box; the correction fields only on words correction changed."""
    record = asdict(word)
    if word.corrected_from is None:
        del record["corrected_from"], record["correction_score"]
    return record
