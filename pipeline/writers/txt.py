"""Plain text: the corrected reading, or Tesseract's own, pages separated by form feeds."""

from __future__ import annotations

from pathlib import Path

from pipeline.export import atomic_write_text
from pipeline.models import Document


def write_txt(document: Document, path: Path, *, raw: bool = False) -> None:
    """The corrected text (``raw``: as Tesseract read it, for comparing), one form feed between
    pages so page boundaries survive in plain text."""
    atomic_write_text(path, (document.raw_text if raw else document.text) + "\n")
