"""What a batch's parent and its workers pass each other: the options a page is read with, what
comes back for a page and for a document, and the workers' functions, named.

Light on purpose (dataclasses over :mod:`pipeline.models`): the parent only plans, schedules and
keeps the manifest, so it imports this rather than the modules that do the work (OpenCV,
Tesseract, the correction models, OCRmyPDF), which the workers import once, in the forkserver
(:mod:`pipeline.pool`). A class that travels must be defined here for the same reason: the
parent unpickling a worker's answer imports the module that defines its class.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import Page, WordCounts
from pipeline.pool import hold_malloc
from pipeline.selection import PageSelection

# "detector": a text-line detector finds the lines, Tesseract reads each (psm ignored);
# "tesseract": Tesseract's own layout analysis, also the fallback when the detector fails
LAYOUTS = ("detector", "tesseract")
OUTPUT_TYPES = ("pdfa", "pdf", "none")  # OCRmyPDF's names; "none": no PDF is written


@dataclass(frozen=True)
class OcrOptions:
    lang: str = "vie"
    psm: int = 3
    clean: bool = True  # OpenCV cleanup before Tesseract
    raw: bool = False  # plain Tesseract: no cleanup and none of the later correction
    correct: bool = True  # repair suspect words with the channel model and the syllable LM
    steps: tuple[str, ...] | None = None  # cleanup steps to run; None: all of preprocess.STEPS
    debug_dir: Path | None = None  # where to write each cleanup step's image
    timeout: float = 0  # seconds the reading of one page may take, all its stages; 0: no limit
    force_ocr: bool = False  # OCR a PDF page even when it has a usable text layer of its own
    pages: PageSelection | None = None  # which pages of each document (--pages); None: all
    lm: Path | None = None  # syllable language model for the correction; None: the default
    layout: str = "detector"  # one of LAYOUTS


@dataclass(frozen=True)
class PageOutcome:
    """A worker's answer for one page: the page (or that it is kept), or why it failed, and
    the memory it took."""

    source: Path
    number: int
    page: Page | None
    error: str | None
    peak_memory_mb: float  # the worker process's peak resident memory so far (not Tesseract's)
    kept: bool = False  # the page is in the page store (see KeepPage), not sent back
    preview: bytes | None = None  # its review-page image, when made from the pixels read


@dataclass(frozen=True)
class KeepPage:
    """Where the worker that reads a page of a long document keeps it: in the output folder's
    page store, as position ``position`` of the document, rather than sending it back. The
    document's pages then wait on disk, not in the parent's memory, and a run killed mid-way
    keeps them."""

    out_dir: Path
    sha256: str
    settings: str
    position: int


@dataclass(frozen=True)
class DocumentWork:
    """What a worker needs to finish one document; small, since it travels to the worker."""

    source: Path  # the document as the user named it (a file or a folder)
    stem: str  # its id: the outputs are <out_dir>/<stem>.*
    out_dir: Path
    settings: str  # the batch's settings, as the manifest records them
    sha256: str  # the document's content: with the settings, the key of its kept pages
    page_refs: tuple[tuple[Path, int], ...]  # (file, page in it) of every position
    kept: tuple[int, ...]  # positions whose pages are in the page store
    given: dict[int, Page] = field(default_factory=dict)  # pages sent along instead
    previews: dict[int, bytes] = field(default_factory=dict)  # the given pages' images
    parse: bool = True
    output_type: str = "pdfa"
    # --adapt: the batch's adapted model, with which every page is corrected again, from
    # Tesseract's readings, as it is read for the outputs; None: the pages as they were kept
    model: Path | None = None
    lang: str = "vie"


@dataclass(frozen=True)
class Written:
    """The files written (every one, also when the document failed part-way), the fields, and
    what went wrong."""

    outputs: list[Path]
    fields: dict | None
    errors: list[str]
    counts: WordCounts | None = None  # for the batch report
    peak_memory_mb: float = 0.0  # the worker process's peak resident memory so far


@dataclass(frozen=True)
class WorkerFunction:
    """A function the workers run, named by its module: it pickles as these two names (a
    local pool's pipe, Dask), and only the process that calls it imports the module."""

    module: str
    name: str

    def __call__(self, *arguments: object) -> object:
        hold_malloc()  # once per process: a Dask worker's malloc as a local worker's
        return getattr(importlib.import_module(self.module), self.name)(*arguments)


# pipeline.pages.ocr_page_of(source, number, options, keep, with_preview) -> PageOutcome
ocr_page_of = WorkerFunction("pipeline.pages", "ocr_page_of")
# pipeline.finish.write_document(work: DocumentWork) -> Written
write_document = WorkerFunction("pipeline.finish", "write_document")
