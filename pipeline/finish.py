"""A document's own work once its pages are read: the pages gathered, the plan fields parsed,
every output written. A batch worker does it, as it reads pages, so the parent only schedules
and keeps the manifest: it never holds the workers up while it writes, and its memory does not
grow with a document's length (the pages of a long document go from the workers that read them
to the page store, and from there to the worker that writes the document).
"""

from __future__ import annotations

import json
import resource
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, OutputError
from pipeline.manifest import PageStore
from pipeline.models import Document, Page, WordCounts
from pipeline.pages import hold_to_one_thread
from pipeline.parse import parse_plan
from pipeline.report import word_counts
from pipeline.writers import write_document_outputs
from pipeline.writers.pdf import write_pdf


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


@dataclass(frozen=True)
class Written:
    """The files written (every one, also when the document failed part-way), the fields, and
    what went wrong."""

    outputs: list[Path]
    fields: dict | None
    errors: list[str]
    counts: WordCounts | None = None  # for the batch report
    peak_memory_mb: float = 0.0  # the worker process's peak resident memory so far


def write_document(work: DocumentWork) -> Written:
    """Parse and write the document from its pages; a page or PDF that cannot be had is an
    error of this document, a folder that cannot be written (OutputError) stops the batch."""
    hold_to_one_thread()
    pages, previews, errors = _pages(work)
    outputs: list[Path] = []
    fields = counts = None
    if pages:
        document = Document(work.source, pages)
        counts = word_counts(document)
        fields = parse_plan(document.text).to_dict() if work.parse else None
        try:
            (work.out_dir / work.stem).parent.mkdir(parents=True, exist_ok=True)  # ids are paths
            outputs = write_document_outputs(
                document, fields, work.out_dir, work.stem, settings=json.loads(work.settings),
                previews=previews,
            )
        except OSError as error:
            raise OutputError(
                f"{work.out_dir}: cannot write outputs ({error.strerror or error})"
            ) from error
        if work.output_type != "none":
            path = work.out_dir / f"{work.stem}.pdf"
            error = _write_pdf(document, path, work.output_type)
            if error is None:
                outputs.append(path)
            else:
                errors.append(error)
    return Written(outputs, fields, errors, counts,
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kB


def _pages(work: DocumentWork) -> tuple[list[Page], dict[int, bytes], list[str]]:
    """The document's pages in order, each told where it came from, and the review-page
    images made as they were read; a kept page that cannot be read back (its file removed or
    damaged since) is an error, read again next run."""
    store = PageStore(work.out_dir)
    pages = {**work.given, **store.load(work.sha256, work.settings, work.kept)}
    previews = {**work.previews, **store.previews(work.sha256, work.settings, work.kept)}
    errors = [f"page {position} was lost from {store.root}; run again"
              for position in work.kept if position not in pages]
    for position, page in pages.items():
        page.source, page.source_page = work.page_refs[position - 1]
        page.number = position
    return [pages[position] for position in sorted(pages)], previews, errors


def _write_pdf(document: Document, path: Path, output_type: str) -> str | None:
    """The searchable PDF, or why it could not be made from these pages."""
    try:
        write_pdf(document, path, output_type)
    except InputError as error:  # OCRmyPDF could not make a PDF of these pages
        return error.reason
    except OSError as error:
        if error.errno is not None:  # the file system's: every document would fail
            raise OutputError(
                f"{path.parent}: cannot write outputs ({error.strerror or error})"
            ) from error
        return f"cannot make its PDF ({error})"  # an input it could not decode
    return None
