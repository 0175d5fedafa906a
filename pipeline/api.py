"""The library API behind the CLI: what a user imports to use vnplan from Python.

    >>> from pipeline.api import run_batch, BatchOptions
    >>> run_batch([Path("scans")], Path("out"), batch=BatchOptions(jobs=2))  # doctest: +SKIP

``ocr_document`` OCRs one file in this process; ``run_batch`` is ``vnplan run``: parallel,
resumable, with outputs and tables in a folder (``BatchOptions(adapt=True)`` is ``--adapt``:
the correction's model adapted to the batch and saved as ``out/lm.npz``); ``restore_text`` and
``parse_plan`` work on text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.batch import BatchOptions, ProgressCallback, available_cores, run_batch
from pipeline.documents import DocumentSpec, find_documents
from pipeline.errors import InputError
from pipeline.export import prepare_output_dir
from pipeline.inputs import discover
from pipeline.manifest import MANIFEST_NAME, Manifest
from pipeline.models import Document
from pipeline.tasks import OcrOptions

if TYPE_CHECKING:
    from pipeline.pages import ocr_document, ocr_page
    from pipeline.parse import parse_plan
    from pipeline.restore import restore_text

__all__ = [
    "BatchOptions", "DocumentSpec", "OcrOptions", "ProgressCallback", "available_cores",
    "discover", "find_documents", "ocr_document", "ocr_page", "parse_plan", "prepare_output_dir",
    "restore_text", "run_batch", "run_documents",
]


def __getattr__(name: str) -> object:
    """``ocr_document`` and ``ocr_page``, ``parse_plan`` and ``restore_text``, imported on
    first use: they bring the page's whole work (OpenCV, the line detector, Tesseract), the
    parser and the correction's models (NumPy), which ``run_batch``'s process, and so the
    ``vnplan`` command, leaves to its workers or needs only at its end."""
    if name in ("ocr_document", "ocr_page"):
        from pipeline import pages

        return getattr(pages, name)
    if name == "parse_plan":
        from pipeline.parse import parse_plan

        return parse_plan
    if name == "restore_text":
        from pipeline.restore import restore_text

        return restore_text
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_documents(out_dir: Path) -> list[Document]:
    """The documents a batch wrote into ``out_dir``, read back from their JSON (done ones, and
    the pages written of failed ones); InputError when it is not a batch's output folder."""
    from pipeline.writers.json import read_json  # the writers bring the review page's OpenCV

    if not (out_dir / MANIFEST_NAME).is_file():
        raise InputError(out_dir, f"no {MANIFEST_NAME}: not the output folder of a vnplan batch")
    documents = []
    with Manifest(out_dir) as manifest:
        for entry in manifest.entries():
            if f"{entry.stem}.json" in entry.outputs:
                try:
                    documents.append(read_json(out_dir / f"{entry.stem}.json").document)
                except (OSError, ValueError, KeyError, TypeError) as error:
                    raise InputError(out_dir / f"{entry.stem}.json",
                                     f"cannot be read ({error})") from error
    return documents
