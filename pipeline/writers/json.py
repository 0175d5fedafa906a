"""The document as JSON: pages, lines and words with confidences and scan-pixel boxes, what
correction changed, how the pages were made, and the plan's fields when parsed, each with the
lines it was read from; and :func:`read_json`, which reads it back (any schema version) for the
review report of an earlier batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.export import atomic_writer, printable_path
from pipeline.models import Box, Document, Line, Page, Word
from pipeline.provenance import Provenance, Span

# 3: provenance of the fields, each page's source file and page, each line's paragraph
# 2: boxes in the scan's pixels (1: in the cleaned image's), vnplan_version, settings, dpi
SCHEMA_VERSION = 3


def write_json(
    document: Document, path: Path, *, fields: dict | None = None, settings: dict | None = None,
    provenance: Provenance | None = None,
) -> None:
    """``settings`` are the options the batch ran with, so a reader knows how it was made;
    ``provenance`` (:func:`pipeline.provenance.field_provenance`) where each field came from."""
    with atomic_writer(path) as handle:
        for piece in _pieces(document, fields, settings, provenance):
            handle.write(piece.encode("utf-8", "backslashreplace"))


def _pieces(
    document: Document, fields: dict | None, settings: dict | None,
    provenance: Provenance | None,
) -> Iterator[str]:
    """The JSON text in pieces, a page each, so a long document's record is never whole in
    memory; together they are ``json.dumps`` of the whole record, byte for byte."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "vnplan_version": __version__,
        "source": printable_path(document.source),
        "settings": settings,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "pages": ['
    for index, page in enumerate(document.pages):
        yield (", " if index else "") + json.dumps(_page_record(page), ensure_ascii=False)
    yield "]"
    if fields is not None:
        yield ', "fields": ' + json.dumps(fields, ensure_ascii=False)
        if provenance is not None:
            spans = {key: _spans_record(value) for key, value in provenance.items()}
            yield ', "provenance": ' + json.dumps(spans, ensure_ascii=False)
    yield "}"


def _spans_record(value: object) -> object:
    """Spans as ``[{"page": 0, "lines": [3, 4]}]``, a list field's as a list of those."""
    if value is None:
        return None
    if value and all(isinstance(span, Span) for span in value):
        return [span.to_record() for span in value]
    return [_spans_record(item) for item in value]


def _page_record(page: Page) -> dict:
    return {
        "number": page.number,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "text_source": page.text_source,  # "ocr", or "pdf": the file's own text layer, not OCR'd
        "source": printable_path(page.source) if page.source is not None else None,
        "source_page": page.source_page,  # 1-based, in that file
        "deskew_angle": page.deskew_angle,
        "rotation": page.rotation,
        "scale": page.scale,
        # what read it: whose layout found the lines ("detector"/"tesseract"; null: not OCR'd),
        # the Tesseract models (as its -l) and how many lines each read, the page's widening
        "layout": page.layout,
        "models": page.models,
        "widening": page.widening,
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
                "paragraph": line.paragraph,
                "junk": line.junk,  # a seal's or a signature's marks read as text: not in "text"
                "words": [_word_record(word) for word in line.words],
            }
            for line in page.lines
        ],
    }


def _word_record(word: Word) -> dict:
    """Text, confidence and box; the correction fields only on words correction changed.
    (Built by hand, in Word's field order: ``asdict`` deep-copies, a tenth of the writing.)"""
    box = word.box
    record = {"text": word.text, "confidence": word.confidence,
              "box": {"left": box.left, "top": box.top, "width": box.width,
                      "height": box.height}}
    if word.corrected_from is not None:
        record["corrected_from"] = word.corrected_from
        record["correction_score"] = word.correction_score
    return record


@dataclass
class StoredDocument:
    """A document's JSON read back: enough to draw its review page again."""

    document: Document
    fields: dict | None
    provenance: Provenance | None  # None in files of schema 2 and earlier
    schema_version: int


def read_json(path: Path) -> StoredDocument:
    """The document in ``path`` (written by :func:`write_json`, schema 2 or later). Raises
    OSError, ValueError (not JSON) or KeyError/TypeError (not a vnplan document)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    pages = [_page_of(page) for page in record["pages"]]
    provenance = record.get("provenance")
    return StoredDocument(
        document=Document(Path(record["source"]), pages),
        fields=record.get("fields"),
        provenance=None if provenance is None else {
            key: _spans_of(value) for key, value in provenance.items()
        },
        schema_version=int(record["schema_version"]),
    )


def _spans_of(value: object) -> object:
    if value is None:
        return None
    if value and all(isinstance(item, dict) for item in value):
        return [Span.from_record(item) for item in value]
    return [_spans_of(item) for item in value]


def _page_of(record: dict) -> Page:
    """A page of the JSON; lines of schema 2 carry no paragraph, so it is read from the blank
    lines of the page's text, which separate paragraphs."""
    paragraphs = _paragraphs(record["text"])
    lines = [
        Line(
            words=[Word(w["text"], w["confidence"], Box(**w["box"]), w.get("corrected_from"),
                        w.get("correction_score")) for w in line["words"]],
            box=Box(**line["box"]),
            paragraph=line.get("paragraph", paragraphs[n] if n < len(paragraphs) else 0),
            junk=line.get("junk", False),
        )
        for n, line in enumerate(record["lines"])
    ]
    source = record.get("source")
    return Page(
        number=record["number"], width=record["width"], height=record["height"],
        deskew_angle=record["deskew_angle"], rotation=record.get("rotation", 0),
        scale=record.get("scale", 1.0), lines=lines, dpi=record.get("dpi"),
        text_source=record.get("text_source", "ocr"),
        source=Path(source) if source is not None else None,
        source_page=record.get("source_page"), layout=record.get("layout"),
        models=record.get("models", {}), widening=record.get("widening", 1.0),
    )


def _paragraphs(text: str) -> list[int]:
    """The paragraph of each non-blank line of a page's text."""
    paragraph, result = 0, []
    for line in text.split("\n"):
        if line:
            result.append(paragraph)
        else:
            paragraph += 1
    return result
