"""Writing results to disk: atomically, and never over another input's results."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from pipeline.models import Document, Word

T = TypeVar("T")


def unique_stems(
    sources: Iterable[T], stem_of: Callable[[T], str] = lambda path: path.stem
) -> dict[T, str]:
    """Output stem per input: its own stem, with -2, -3... when an earlier input has it."""
    stems: dict[T, str] = {}
    taken: set[str] = set()
    for source in sources:
        base = stem_of(source)
        stem, counter = base, 1
        while stem.casefold() in taken:
            counter += 1
            stem = f"{base}-{counter}"
        taken.add(stem.casefold())
        stems[source] = stem
    return stems


def write_ocr_outputs(document: Document, out_dir: Path, stem: str) -> list[Path]:
    """``<stem>.txt`` (pages split by form feed) and ``<stem>.json`` (words, boxes, confidences)."""
    text_path = out_dir / f"{stem}.txt"
    json_path = out_dir / f"{stem}.json"
    atomic_write_text(text_path, document.text + "\n")
    atomic_write_text(json_path, json.dumps(document_record(document), ensure_ascii=False))
    return [text_path, json_path]


def document_record(document: Document) -> dict:
    return {
        "source": str(document.source),
        "pages": [
            {
                "number": page.number,
                "width": page.width,
                "height": page.height,
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
            for page in document.pages
        ],
    }


def _word_record(word: Word) -> dict:
    """Text, confidence and box; the correction fields only on words correction changed."""
    record = asdict(word)
    if word.corrected_from is None:
        del record["corrected_from"], record["correction_score"]
    return record


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a kill never leaves a truncated file."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
