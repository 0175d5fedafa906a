"""The work on one page (cleanup, Tesseract, reading order, correction) and on one document.

``ocr_page_of`` is what every batch worker runs, in a local process or on a Dask worker: it
takes a file path and a page number rather than pixels, so only a few bytes travel to the
worker and only the page's words travel back.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytesseract

from pipeline import correct, ocr, preprocess, reading_order
from pipeline.errors import InputError, OutputError
from pipeline.inputs import PageImage, read_pages
from pipeline.models import Document, Page


@dataclass(frozen=True)
class OcrOptions:
    lang: str = "vie"
    psm: int = 3
    clean: bool = True  # OpenCV cleanup before Tesseract
    raw: bool = False  # plain Tesseract: no cleanup and none of the later correction
    correct: bool = True  # repair suspect words with the channel model and the syllable LM
    steps: tuple[str, ...] | None = None  # cleanup steps to run; None: all of preprocess.STEPS
    debug_dir: Path | None = None  # where to write each cleanup step's image
    timeout: float = 0  # seconds one Tesseract run may take; 0: no limit


def ocr_page(
    page: PageImage, options: OcrOptions = OcrOptions(), source: Path = Path("page")
) -> Page:
    if options.clean and not options.raw:
        cleaned = preprocess.clean_page(
            page.pixels, options.steps, _debug_writer(options.debug_dir, source, page.number)
        )
        pixels, angle = cleaned.pixels, cleaned.deskew_angle
        rotation, scale = cleaned.rotation, cleaned.scale
    else:
        pixels, angle, rotation, scale = page.pixels, 0.0, 0, 1.0
    lines = ocr.recognise(pixels, lang=options.lang, psm=options.psm, timeout=options.timeout)
    height, width = pixels.shape[:2]
    if not options.raw:
        recovered = ocr.recover_dropped_text(
            pixels, lines, lang=options.lang, timeout=options.timeout
        )
        lines = reading_order.reading_order(recovered, width)
        if options.correct:
            correct.correct_lines(lines, options.lang)
    return Page(
        number=page.number, width=width, height=height, deskew_angle=angle,
        rotation=rotation, scale=scale, lines=lines,
    )


def _debug_writer(
    debug_dir: Path | None, source: Path, page_number: int
) -> preprocess.DebugSink | None:
    """Write each cleanup step's image as <stem>-p<N>-<k>-<step>.png, for a user to inspect."""
    if debug_dir is None:
        return None
    debug_dir.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def write(step: str, pixels) -> None:
        name = f"{source.stem}-p{page_number}-{next(counter):02d}-{step}.png"
        if not cv2.imwrite(str(debug_dir / name), _as_bgr(pixels)):
            raise OutputError(f"{debug_dir}: cannot write debug image {name}")

    return write


def _as_bgr(pixels):
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pixels.ndim == 3 else pixels


def _ocr_checked(page: PageImage, options: OcrOptions, source: Path) -> Page:
    """ocr_page, with Tesseract's own failures turned into an InputError naming file and page."""
    try:
        return ocr_page(page, options, source)
    except pytesseract.TesseractError as error:
        reason = f"Tesseract failed on page {page.number} ({error.message.strip()})"
        raise InputError(source, reason) from error
    except ocr.TesseractTimeout as error:
        raise InputError(source, f"page {page.number}: {error}") from error


def ocr_document(path: Path, options: OcrOptions = OcrOptions()) -> Document:
    """OCR every page of an image, multi-page TIFF or PDF; raises InputError for a bad file."""
    return Document(
        source=path, pages=[_ocr_checked(page, options, path) for page in read_pages(path)]
    )


@dataclass(frozen=True)
class PageOutcome:
    """A worker's answer for one page: the page, or why it failed, and the memory it took."""

    source: Path
    number: int
    page: Page | None
    error: str | None
    peak_memory_mb: float  # the worker process's peak resident memory so far (not Tesseract's)


def ocr_page_of(source: Path, number: int, options: OcrOptions) -> PageOutcome:
    """Read page ``number`` of ``source`` and OCR it; errors come back as data, not raised.

    Tesseract is held to one thread, as ocrmypdf does: N workers then use N cores instead of
    fighting over them.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    page: Page | None = None
    error: str | None = None
    try:
        for image in read_pages(source, {number}):
            page = _ocr_checked(image, options, source)
        if page is None:
            error = f"page {number} is missing"
    except InputError as failure:
        error = failure.reason
    return PageOutcome(
        source=source, number=number, page=page, error=error,
        peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: kB
    )
