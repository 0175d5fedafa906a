"""The library API behind the CLI: OCR one document, or a batch into an output folder."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytesseract

from pipeline import correct, layout, ocr, preprocess
from pipeline.errors import InputError, OutputError
from pipeline.export import unique_stems, write_ocr_outputs
from pipeline.inputs import PageImage, discover, read_pages
from pipeline.models import BatchResult, Document, DocumentResult, Failure, Page


@dataclass(frozen=True)
class OcrOptions:
    lang: str = "vie"
    psm: int = 3
    clean: bool = True  # OpenCV cleanup before Tesseract
    raw: bool = False  # plain Tesseract: no cleanup and none of the later correction
    correct: bool = True  # repair suspect words with the channel model and the syllable LM
    steps: tuple[str, ...] | None = None  # cleanup steps to run; None: all of preprocess.STEPS
    debug_dir: Path | None = None  # where to write each cleanup step's image


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
    lines = ocr.recognise(pixels, lang=options.lang, psm=options.psm)
    height, width = pixels.shape[:2]
    if not options.raw:
        lines = layout.reading_order(
            ocr.recover_dropped_text(pixels, lines, lang=options.lang), width
        )
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


def ocr_document(path: Path, options: OcrOptions = OcrOptions()) -> Document:
    """OCR every page of an image, multi-page TIFF or PDF; raises InputError for a bad file."""
    pages: list[Page] = []
    for page in read_pages(path):
        try:
            pages.append(ocr_page(page, options, path))
        except pytesseract.TesseractError as error:
            raise InputError(
                path, f"Tesseract failed on page {page.number} ({error.message.strip()})"
            ) from error
    return Document(source=path, pages=pages)


ProgressCallback = Callable[[Path, Failure | None], None]


def run_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    options: OcrOptions = OcrOptions(),
    on_document: ProgressCallback | None = None,
) -> BatchResult:
    """Process every input, writing each document's outputs as soon as it is done.

    A bad document becomes a Failure and the batch goes on; only an unwritable output folder
    or a missing Tesseract stops it, since every later document would fail the same way.
    """
    started = time.perf_counter()
    sources, problems = discover(inputs)
    result = BatchResult(failures=[Failure(p.path, p.reason) for p in problems])
    prepare_output_dir(out_dir)
    if sources:
        ocr.check_tesseract(options.lang)
    stems = unique_stems(sources)
    for source in sources:
        failure: Failure | None = None
        try:
            document = ocr_document(source, options)
        except InputError as error:
            failure = Failure(source, error.reason)
            result.failures.append(failure)
        else:
            outputs = _write(document, out_dir, stems[source])
            result.done.append(DocumentResult(source, len(document.pages), outputs))
        if on_document is not None:
            on_document(source, failure)
    result.seconds = time.perf_counter() - started
    return result


def _write(document: Document, out_dir: Path, stem: str) -> list[Path]:
    try:
        return write_ocr_outputs(document, out_dir, stem)
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write outputs ({error.strerror or error})") from error


def prepare_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = f"cannot create output directory ({error.strerror})"
        raise OutputError(f"{out_dir}: {reason}") from error
