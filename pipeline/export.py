"""Writing results to disk: atomically, and never over another input's results."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from pipeline.errors import OutputError
from pipeline.models import Document, Word

T = TypeVar("T")


def unique_stems(
    sources: Iterable[T],
    stem_of: Callable[[T], str] = lambda path: path.stem,
    taken: Iterable[str] = (),
) -> dict[T, str]:
    """Output stem per input: its own stem, with -2, -3... when an earlier input (or one of
    the ``taken`` stems, already in the output folder) has it."""
    stems: dict[T, str] = {}
    used = {stem.casefold() for stem in taken}
    for source in sources:
        base = stem_of(source)
        stem, counter = base, 1
        while stem.casefold() in used:
            counter += 1
            stem = f"{base}-{counter}"
        used.add(stem.casefold())
        stems[source] = stem
    return stems


def output_stem(path: Path) -> str:
    """The input's stem, but never one ending in ``.raw``: ``a.raw.txt`` is the raw text of a."""
    stem = path.stem
    return f"{stem[:-4]}-raw" if stem.casefold().endswith(".raw") else stem


def write_document_outputs(
    document: Document, fields: dict | None, out_dir: Path, stem: str
) -> list[Path]:
    """``<stem>.txt`` (corrected text, pages split by form feed), ``<stem>.raw.txt`` (Tesseract's
    own reading) and ``<stem>.json`` (words, boxes, confidences and, if parsed, the fields)."""
    paths = [out_dir / f"{stem}.txt", out_dir / f"{stem}.raw.txt", out_dir / f"{stem}.json"]
    record = document_record(document)
    if fields is not None:
        record["fields"] = fields
    atomic_write_text(paths[0], document.text + "\n")
    atomic_write_text(paths[1], document.raw_text + "\n")
    atomic_write_text(paths[2], json.dumps(record, ensure_ascii=False))
    return paths


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


_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what atomic_write_text names them


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


def remove_stale_temporaries(out_dir: Path) -> None:
    """Delete temporary files a killed run left behind (never a finished output)."""
    for path in out_dir.glob(".*.tmp"):
        if _TEMPORARY.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)


def prepare_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = f"cannot create output directory ({error.strerror})"
        raise OutputError(f"{out_dir}: {reason}") from error
