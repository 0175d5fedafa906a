"""The work on one page (cleanup, Tesseract, reading order, correction) and on one document.

``ocr_page_of`` is what every batch worker runs, in a local process or on a Dask worker: it
takes a file path and a page number rather than pixels, so only a few bytes travel to the
worker and only the page's words travel back. Its options and outcome are defined in the
light :mod:`pipeline.tasks`, through which the batch's parent names it without importing this.
"""

from __future__ import annotations

import os
import resource
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from pipeline import correct, detect, hypotheses, ocr, pdftext, preprocess, reading_order
from pipeline.errors import InputError, OutputError
from pipeline.inputs import PageImage, read_pages
from pipeline.manifest import PageStore
from pipeline.models import Box, Document, Line, Page
from pipeline.preview import decoded_whole, preview_jpeg
from pipeline.restore import LanguageModel
from pipeline.tasks import LAYOUTS, KeepPage, OcrOptions, PageOutcome

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
    enlarged = scale > 1.0
    deadline = ocr.Deadline.after(options.timeout)  # for every reading of the page
    read_by: Counter[str] = Counter()  # lines read by each model, for the page's record
    lines, widening = (
        (None, 1.0) if options.raw
        else _detected_lines(pixels, options, enlarged, read_by, deadline)
    )
    layout = "detector" if lines is not None else "tesseract"
    if lines is None:
        lines = ocr.recognise(
            pixels, lang=options.lang, psm=options.psm, deadline=deadline, enlarged=enlarged
        )
        read_by = Counter({ocr.with_script_model(options.lang) if enlarged else options.lang:
                           len(lines)})
        if not options.raw:
            recovered = ocr.recover_dropped_text(
                pixels, lines, lang=options.lang, deadline=deadline
            )
            read_by[options.lang] += len(recovered) - len(lines)
            lines = reading_order.reading_order(recovered, pixels.shape[1])
            _flag_marks(lines)
    transform = np.diag([widening, 1.0, 1.0]) @ transform
    if not options.raw and options.correct:
        correct.correct_lines([line for line in lines if not line.junk], options.lang, options.lm)
    height, width = page.pixels.shape[:2]
    _boxes_to_scan(lines, transform, width, height)
    return Page(
        number=page.number, width=width, height=height, deskew_angle=angle,
        rotation=rotation, scale=scale, lines=lines,
        # PNG stores pixels per metre: its 300 dpi reads back as 299.9994
        dpi=None if page.dpi is None else round(page.dpi, 1),
        layout=layout, models={model: n for model, n in read_by.items() if n},
        widening=round(widening, 4),
    )


def _detected_lines(
    pixels: np.ndarray, options: OcrOptions, enlarged: bool, read_by: Counter[str],
    deadline: ocr.Deadline,
) -> tuple[list[Line] | None, float]:
    """The page's lines found by the detector, read line by line, junk flagged, in reading
    order, and how much the page was widened for them (``ocr.widening``; their boxes are on
    the widened page); None when Tesseract's own layout is asked for, or the detector missed
    the text. ``enlarged``: the page's letters were small and were enlarged
    (``ocr.recognise_lines``). ``read_by`` gets the lines read by each model."""
    if options.layout not in LAYOUTS:
        raise ValueError(f"unknown layout {options.layout!r} (one of: {', '.join(LAYOUTS)})")
    if options.layout == "tesseract":
        return None, 1.0
    gray = preprocess.to_grayscale(pixels)
    marks = detect.ink_marks(gray)  # the page's ink components, found once for both
    regions = detect.detect_lines(gray, marks)
    if not regions or detect.ink_covered(gray, regions, marks) < MIN_INK_COVERED:
        return None, 1.0
    models: dict[int, str] = {}  # each line's model, by its region
    lines = ocr.recognise_lines(
        gray, regions, lang=options.lang, deadline=deadline, enlarged=enlarged,
        models=models,
    )
    if not lines:
        return None, 1.0
    widening = 1.0
    if enlarged:  # only a photo or a low-resolution scan may have letters of the wrong width
        factor = ocr.widening(gray, regions, lines, lang=options.lang, deadline=deadline)
        if factor != 1.0:
            wide, wide_regions, exact = _widened(gray, regions, factor)
            wide_models: dict[int, str] = {}
            wide_lines = ocr.recognise_lines(
                wide, wide_regions, lang=options.lang, deadline=deadline,
                enlarged=enlarged, models=wide_models,
            )
            if wide_lines:
                gray, regions, lines, widening = wide, wide_regions, wide_lines, exact
                models = wide_models
    # a 300-dpi scan is read at its own size, and a clean low-resolution one surely: not here
    lm = _language_model(options) if enlarged and hypotheses.doubted(lines) else None
    if lm is not None:
        hypotheses.choose_readings(gray, regions, lines, lm, lang=options.lang,
                                   deadline=deadline, models=models)
    read_by.update(models.values())
    detect.flag_junk(lines)  # pieces: a seal's marks make no table cell when joined
    lines = reading_order.join_pieces(lines, gray.shape[1])
    detect.flag_junk(lines)  # on whole lines: a misread piece of a real one is no junk
    ordered = reading_order.order_lines(lines, gray.shape[1], reading_order.rules_by_band(gray))
    return ordered, widening


def _language_model(options: OcrOptions) -> LanguageModel | None:
    """The correction's language model, which also chooses among a doubted line's readings
    (:mod:`pipeline.hypotheses`); None when the page is not corrected. A missing or broken
    model stops the batch here as the correction would."""
    return correct.language_model(options.lm) if options.correct else None


READING_LETTERS = 3


def _flag_marks(lines: list[Line]) -> None:
    """Flag as junk, in place, the lines of Tesseract's own layout that are marks read as text
    (a seal's ring, a form's red outline), by :func:`detect.flag_junk`'s rules; but a line
    here may hold a seal's marks and the text under them together ("đ KTTRƯỞNG BAN", "⁄ —
    CHÙTỊCH", where the detector's pieces keep them apart), so one holding a word of
    READING_LETTERS letters or more that is a Vietnamese syllable or in capitals stays text
    (a seal's ring or a signature reads as lone letters and pairs: "VU", "uH MU")."""
    detect.flag_junk(lines)
    for line in lines:
        if line.junk and any(_reads(word.text) for word in line.words):
            line.junk = False


def _reads(word: str) -> bool:
    letters = "".join(ch for ch in word if ch.isalpha())
    return len(letters) >= READING_LETTERS and (letters.isupper() or detect.is_syllable(word))


def _widened(
    gray: np.ndarray, regions: list[detect.LineRegion], factor: float
) -> tuple[np.ndarray, list[detect.LineRegion], float]:
    """The page and its lines ``factor`` times as wide, and the exact factor (the width is
    rounded)."""
    wide = ocr.widened(gray, factor)
    width = wide.shape[1]
    exact = width / gray.shape[1]
    moved = []
    for region in regions:
        box = region.box
        left = int(box.left * exact)
        right = min(int(np.ceil((box.left + box.width) * exact)), width)
        moved.append(detect.LineRegion(Box(left, box.top, right - left, box.height), region.score))
    return wide, moved, exact


_ROUNDING_SLACK = 1e-6  # px: float noise must not widen an exactly mapped box by a pixel


def _boxes_to_scan(lines: list[Line], transform: np.ndarray, width: int, height: int) -> None:
    """Put word and line boxes found on the cleaned page back on the scan, in place.

    Everything before this (recovery, reading order, correction) works on the cleaned page,
    where lines are level; only the results move.
    """
    if np.array_equal(transform, np.eye(3)):
        return
    boxes = [box for line in lines for box in (line.box, *(word.box for word in line.words))]
    mapped = iter(_boxes_on_scan(boxes, np.linalg.inv(transform), width, height))
    for line in lines:
        line.box = next(mapped)
        for word in line.words:
            word.box = next(mapped)


def _boxes_on_scan(boxes: list[Box], inverse: np.ndarray, width: int, height: int) -> list[Box]:
    """The upright rectangle around each box's four corners mapped through ``inverse``,
    clipped to the scan and at least one pixel wide and tall; all of a page's boxes in one
    product (a page has hundreds: one at a time, NumPy's call overhead was 20 ms a page)."""
    if not boxes:
        return []
    left, top, width_, height_ = np.array(
        [(box.left, box.top, box.width, box.height) for box in boxes], dtype=np.float64
    ).T
    right, bottom, one = left + width_, top + height_, np.ones(len(boxes))
    corners = np.stack([np.stack(corner, axis=1) for corner in (
        (left, top, one), (right, top, one), (right, bottom, one), (left, bottom, one)
    )], axis=1).reshape(-1, 3) @ inverse.T  # each box's four corners, in turn
    xs = (corners[:, 0] / corners[:, 2]).reshape(-1, 4)
    ys = (corners[:, 1] / corners[:, 2]).reshape(-1, 4)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("the cleanup's transform sends a box to infinity")
    lefts = np.clip(np.floor(xs.min(axis=1) + _ROUNDING_SLACK), 0, width - 1)
    tops = np.clip(np.floor(ys.min(axis=1) + _ROUNDING_SLACK), 0, height - 1)
    rights = np.maximum(np.minimum(np.ceil(xs.max(axis=1) - _ROUNDING_SLACK), width), lefts + 1)
    bottoms = np.maximum(np.minimum(np.ceil(ys.max(axis=1) - _ROUNDING_SLACK), height),
                         tops + 1)
    edges = np.stack([lefts, tops, rights - lefts, bottoms - tops], axis=1).astype(np.int64)
    return [Box(*box) for box in edges.tolist()]


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
    except ocr.TesseractFailed as error:
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
