"""The library API behind the CLI: what a user imports to use vnplan from Python.

    >>> from pipeline.api import run_batch, BatchOptions
    >>> run_batch([Path("scans")], Path("out"), batch=BatchOptions(jobs=2))  # doctest: +SKIP

``ocr_document`` OCRs one file in this process; ``run_batch`` is ``vnplan run``: parallel,
resumable, with outputs and tables in a folder; ``restore_text`` and ``parse_plan`` work on text.
"""

from __future__ import annotations

from pipeline.batch import BatchOptions, ProgressCallback, available_cores, run_batch
from pipeline.documents import DocumentSpec, find_documents
from pipeline.export import prepare_output_dir
from pipeline.inputs import discover
from pipeline.pages import OcrOptions, ocr_document, ocr_page
from pipeline.parse import parse_plan
from pipeline.restore import restore_text

__all__ = [
    "BatchOptions", "DocumentSpec", "OcrOptions", "ProgressCallback", "available_cores",
    "discover", "find_documents", "ocr_document", "ocr_page", "parse_plan", "prepare_output_dir",
    "restore_text", "run_batch",
]
