"""The work on one page (cleanup, Tesseract, reading order, correction) and on one document.

``ocr_page_of`` is what every batch worker runs, in a local process or on a Dask worker: it
takes a file path and a page number rather than pixels, so only a few bytes travel to the
worker and only the page's words travel back.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytesseract

from pipeline import correct, detect, ocr, pdftext, preprocess, reading_order
from pipeline.errors import InputError, OutputError
from pipeline.inputs import PageImage, read_pages
from pipeline.manifest import PageStore
from pipeline.models import Box, Document, Line, Page
from pipeline.preview import decoded_whole, preview_jpeg
from pipeline.selection import PageSelection


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
    force_ocr: bool = False  # OCR a PDF page even when it has a usable text layer of its own
    pages: PageSelection | None = None  # which pages of each document (--pages); None: all
    lm: Path | None = None  # syllable language model for the correction; None: the default
    # "detector": a text-line detector finds the lines, Tesseract reads each (psm ignored);
    # "tesseract": Tesseract's own layout analysis, also the fallback when the detector fails
    layout: str = "detector"


LAYOUTS = ("detector", "tesseract")
# The detector's lines must hold at least this share of the page's letter-sized ink, or the
# page is read with Tesseract's layout: something (a photo, an odd script) defeated it.
MIN_INK_COVERED = 0.8


def ocr_page(
    page: PageImage, options: OcrOptions = OcrOptions(), source: Path = Path("page")
) -> Page:
    """Clean, read, order and correct one page; its boxes come back in the scan's pixels."""
    if options.clean and not options.raw:
        cleaned = preprocess.clean_page(
            page.pixels, options.steps, _debug_writer(options.debug_dir, source, page.number)
        )
        pixels, angle = cleaned.pixels, cleaned.deskew_angle
        rotation, scale, transform = cleaned.rotation, cleaned.scale, cleaned.transform
    else:
        pixels, angle, rotation, scale, transform = page.pixels, 0.0, 0, 1.0, np.eye(3)
    lines = None if options.raw else _detected_lines(pixels, options)
    if lines is None:
        lines = ocr.recognise(pixels, lang=options.lang, psm=options.psm, timeout=options.timeout)
        if not options.raw:
            recovered = ocr.recover_dropped_text(
                pixels, lines, lang=options.lang, timeout=options.timeout
            )
            lines = reading_order.reading_order(recovered, pixels.shape[1])
    if not options.raw and options.correct:
        correct.correct_lines([line for line in lines if not line.junk], options.lang, options.lm)
    height, width = page.pixels.shape[:2]
    _boxes_to_scan(lines, transform, width, height)
    return Page(
        number=page.number, width=width, height=height, deskew_angle=angle,
        rotation=rotation, scale=scale, lines=lines,
        # PNG stores pixels per metre: its 300 dpi reads back as 299.9994
        dpi=None if page.dpi is None else round(page.dpi, 1),
    )


def _detected_lines(pixels: np.ndarray, options: OcrOptions) -> list[Line] | None:
    """The page's lines found by the detector, read line by line, junk flagged, in reading
    order; None when Tesseract's own layout is asked for, or the detector missed the text."""
    if options.layout not in LAYOUTS:
        raise ValueError(f"unknown layout {options.layout!r} (one of: {', '.join(LAYOUTS)})")
    if options.layout == "tesseract":
        return None
    gray = preprocess.to_grayscale(pixels)
    marks = detect.ink_marks(gray)  # the page's ink components, found once for both
    regions = detect.detect_lines(gray, marks)
    if not regions or detect.ink_covered(gray, regions, marks) < MIN_INK_COVERED:
        return None
    lines = ocr.recognise_lines(pixels, regions, lang=options.lang, timeout=options.timeout)
    if not lines:
        return None
    detect.flag_junk(lines)  # pieces: a seal's marks make no table cell when joined
    lines = reading_order.join_pieces(lines, pixels.shape[1])
    detect.flag_junk(lines)  # on whole lines: a misread piece of a real one is no junk
    return reading_order.order_lines(lines, pixels.shape[1],
                                     lambda: reading_order.find_rules(gray))


_ROUNDING_SLACK = 1e-6  # px: float noise must not widen an exactly mapped box by a pixel


def _boxes_to_scan(lines: list[Line], transform: np.ndarray, width: int, height: int) -> None:
    """Put word and line boxes found on the cleaned page back on the scan, in place.

    Everything before this (recovery, reading order, correction) works on the cleaned page,
    where lines are level; only the results move.
    """
    if np.array_equal(transform, np.eye(3)):
        return
    inverse = np.linalg.inv(transform)
    for line in lines:
        line.box = _box_on_scan(line.box, inverse, width, height)
        for word in line.words:
            word.box = _box_on_scan(word.box, inverse, width, height)


def _box_on_scan(box: Box, inverse: np.ndarray, width: int, height: int) -> Box:
    """The upright rectangle around the box's four corners mapped through ``inverse``,
    clipped to the scan and at least one pixel wide and tall."""
    right, bottom = box.left + box.width, box.top + box.height
    corners = np.array(
        [[box.left, box.top, 1], [right, box.top, 1], [right, bottom, 1], [box.left, bottom, 1]],
        dtype=np.float64,
    ) @ inverse.T
    xs, ys = corners[:, 0] / corners[:, 2], corners[:, 1] / corners[:, 2]
    left = min(max(math.floor(xs.min() + _ROUNDING_SLACK), 0), width - 1)
    top = min(max(math.floor(ys.min() + _ROUNDING_SLACK), 0), height - 1)
    right = max(min(math.ceil(xs.max() - _ROUNDING_SLACK), width), left + 1)
    bottom = max(min(math.ceil(ys.max() - _ROUNDING_SLACK), height), top + 1)
    return Box(left, top, right - left, bottom - top)


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
    return Document(source=path, pages=[
        _text_layer(path, page.number, options) or _ocr_checked(page, options, path)
        for page in read_pages(path)
    ])


def _text_layer(source: Path, number: int, options: OcrOptions) -> Page | None:
    """The page from a born-digital PDF's own text, unless OCR is forced (see pdftext)."""
    return None if options.force_ocr else pdftext.text_layer_page(source, number, options.lang)


def start_worker(parent_pid: int, temp_dir: str) -> None:
    """A local worker's set-up: Ctrl-C is the parent's to handle; temporary page images go to
    the run's own folder, which the parent removes however the run ends; and the worker leaves
    as soon as the parent is gone, killed too, rather than live on holding memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tempfile.tempdir = temp_dir

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


PARENT_CHECK_SECONDS = 0.5


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


def hold_to_one_thread() -> None:
    """Hold Tesseract (OpenMP) and OpenCV to one thread each, as ocrmypdf does Tesseract: N
    workers then use N cores instead of fighting over them (the line detector's session is
    held to one thread where it is made, :mod:`pipeline.detect`)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cv2.setNumThreads(1)


def ocr_page_of(
    source: Path, number: int, options: OcrOptions, keep: KeepPage | None = None,
    with_preview: bool = False,
) -> PageOutcome:
    """Read page ``number`` of ``source`` and OCR it (a born-digital PDF page: read its own
    text); errors come back as data, not raised; a page that cannot be kept stops the batch
    (OutputError), as every later page would fail alike. ``with_preview``: its review-page
    image too, where that is drawn from the pixels just read (:mod:`pipeline.preview`), so
    that the review page does not decode the scan again.

    Tesseract and OpenCV are held to one thread (see ``hold_to_one_thread``).
    """
    hold_to_one_thread()
    page: Page | None = None
    error: str | None = None
    thumbnail: bytes | None = None
    try:
        page = _text_layer(source, number, options)
        if page is None:
            for image in read_pages(source, {number}):
                if with_preview and decoded_whole(source):
                    thumbnail = preview_jpeg(image.pixels)
                page = _ocr_checked(image, options, source)
        if page is None:
            error = f"page {number} is missing"
    except InputError as failure:
        error = failure.reason
    kept = False
    if page is not None and keep is not None:
        page.number = keep.position
        PageStore(keep.out_dir).save(keep.sha256, keep.settings, keep.position, page,
                                     thumbnail)
        page, kept, thumbnail = None, True, None
    return PageOutcome(
        source=source, number=number, page=page, error=error,
        peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: kB
        kept=kept, preview=thumbnail if page is not None else None,
    )
