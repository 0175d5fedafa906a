"""A document's own work once its pages are read: the pages gathered, the plan fields parsed,
every output written. A batch worker does it, as it reads pages, so the parent only schedules
and keeps the manifest: it never holds the workers up while it writes, and its memory does not
grow with a document's length (the pages of a long document go from the workers that read them
to the page store, and from there to the worker that writes the document). The task and its
answer, ``DocumentWork`` and ``Written``, are defined in the light :mod:`pipeline.tasks`.
"""

from __future__ import annotations

import json
import resource
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pipeline.correct import Corrections, apply_corrections, recorrect_page
from pipeline.errors import InputError, OutputError
from pipeline.manifest import PageStore
from pipeline.models import Box, Document, Line, Page, Word, WordCounts
from pipeline.pages import hold_to_one_thread
from pipeline.parse import parse_plan
from pipeline.tasks import DocumentWork, Written
from pipeline.writers import write_document_outputs
from pipeline.writers.html import word_counts
from pipeline.writers.pdf import write_pdf


def write_document(work: DocumentWork) -> Written:
    """Parse and write the document from its pages; a page or PDF that cannot be had is an
    error of this document, a folder that cannot be written (OutputError) stops the batch.

    The pages are read from the page store one at a time, by each output as it writes them, so
    the worker's memory does not grow with the document's length; only the text of its lines
    (for the fields and the plain text) and the words' confidences are held for the whole."""
    hold_to_one_thread()
    pages, outline, counts, errors = _pages(work)
    outputs: list[Path] = []
    fields = None
    if pages:
        document = Document(work.source, pages)  # type: ignore[arg-type]  # read as needed
        fields = parse_plan(outline.text).to_dict() if work.parse else None
        try:
            (work.out_dir / work.stem).parent.mkdir(parents=True, exist_ok=True)  # ids are paths
            outputs = write_document_outputs(
                document, fields, work.out_dir, work.stem, settings=json.loads(work.settings),
                previews=_Previews(work), outline=outline, counts=counts,
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
    return Written(outputs, fields, errors, counts if pages else None,
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kB


class _StoredPages(Sequence[Page]):
    """The document's pages in order, each read from the page store when asked for (a page
    sent along is in memory already) and told where it came from; never all held at once."""

    def __init__(self, work: DocumentWork, positions: list[int],
                 corrections: dict[int, Corrections]) -> None:
        self._work = work
        self._store = PageStore(work.out_dir)
        self._positions = positions
        self._corrections = corrections

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, index):  # type: ignore[override]  # an int: slices are not asked for
        return _page(self._work, self._store, self._positions[index], self._corrections)

    def __iter__(self) -> Iterator[Page]:
        for position in self._positions:
            yield _page(self._work, self._store, position, self._corrections)


def _page(work: DocumentWork, store: PageStore, position: int,
          corrections: dict[int, Corrections]) -> Page:
    """The page at ``position``; one removed from the store while the document is written
    fails the document (InputError), as when it is missing from the start.

    With the batch's adapted model (--adapt) the page is corrected again from Tesseract's
    readings the first time it is read, and its changes kept in ``corrections``; every later
    read (each output reads the pages anew) puts the same changes back without the model.
    Only the changes are held, not the pages: the worker's memory does not grow with the
    document."""
    page = work.given.get(position) or store.page(work.sha256, work.settings, position)
    if page is None:
        raise InputError(work.source, f"page {position} was lost from {store.root}; run again")
    if work.model is not None:
        if position in corrections:
            apply_corrections(page, corrections[position])
        else:
            corrections[position] = recorrect_page(page, work.lang, work.model)
    page.source, page.source_page = work.page_refs[position - 1]
    page.number = position
    return page


_NO_BOX = Box(0, 0, 0, 0)


def _pages(work: DocumentWork) -> tuple[_StoredPages, Document, WordCounts, list[str]]:
    """The document's pages as they are read (those that can be), its outline (each line's
    text, corrected and raw, with its paragraph and whether it is junk: what the parser, the
    fields' provenance and the plain text need) and its word counts, from one pass over the
    pages; a kept page that cannot be read back (its file removed or damaged since) is an
    error, read again next run."""
    store = PageStore(work.out_dir)
    positions: list[int] = []
    corrections: dict[int, Corrections] = {}  # --adapt: each page's, once it is corrected
    outline: list[Page] = []
    errors = []

    def readable() -> Iterator[Page]:
        for position in sorted({*work.given, *work.kept}):
            try:
                page = _page(work, store, position, corrections)
            except InputError as error:
                errors.append(error.reason)
                continue
            positions.append(position)
            outline.append(_outline(page))
            yield page

    counts = word_counts(readable())
    pages = _StoredPages(work, positions, corrections)
    return pages, Document(work.source, outline), counts, errors


def _outline(page: Page) -> Page:
    """The page with each line one word, the line's text, whose Tesseract reading is the
    line's: the same ``text`` and ``raw_text``, lines and paragraphs, a tenth of the memory."""
    lines = []
    for line in page.lines:
        text, raw = line.text, line.raw_text
        lines.append(Line([Word(text, 0.0, _NO_BOX, raw if raw != text else None)], _NO_BOX,
                          line.paragraph, line.junk))
    return Page(page.number, page.width, page.height, page.deskew_angle, page.rotation,
                page.scale, lines, page.dpi, page.text_source, page.source, page.source_page)


class _Previews(Mapping[int, bytes]):
    """The review-page images by page number: those sent along, then those kept with the
    pages, each read when the review page asks for it."""

    def __init__(self, work: DocumentWork) -> None:
        self._work = work
        self._store = PageStore(work.out_dir)

    def __getitem__(self, number: int) -> bytes:
        found = self._work.previews.get(number)
        if found is None and number in self._work.kept:
            found = self._store.preview(self._work.sha256, self._work.settings, number)
        if found is None:
            raise KeyError(number)
        return found

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __iter__(self) -> Iterator[int]:
        return (number for number in sorted({*self._work.previews, *self._work.kept})
                if number in self)

    def __contains__(self, number: object) -> bool:
        try:
            self[number]  # type: ignore[index]
        except KeyError:
            return False
        return True


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
