"""A page as the review page shows it: a reduced JPEG of the page as read, in the frame its
word boxes are in (before any cleanup turned it).

The worker that reads a raster page makes it then, from the pixels it has just decoded (a 300
dpi PNG takes longer to decode than to OCR-clean); the review page makes the others from the
file: a PDF page rendered at the preview's size, a JPEG decoded at a fraction of its size.
Both ways give the same bytes for the same page, so a page made in either is the same.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
import pypdfium2
from PIL import Image, ImageSequence

from pipeline.errors import InputError
from pipeline.inputs import read_pages, to_uint8

PREVIEW_SIDE = 1400  # pixels of a page image's longer side
JPEG_QUALITY = 50
_PDF, _JPEG = b"%PDF-", b"\xff\xd8\xff"


def preview_of_file(source: Path, number: int) -> bytes | None:
    """Page ``number`` of ``source`` as a preview JPEG; None when the file is gone or no longer
    readable."""
    try:
        with source.open("rb") as handle:
            is_pdf = handle.read(5) == _PDF
        pixels = _pdf_pixels(source, number) if is_pdf else _image_pixels(source, number)
    except (OSError, ValueError, SyntaxError, IndexError, EOFError, pypdfium2.PdfiumError,
            Image.DecompressionBombError):
        return None
    return None if pixels is None else preview_jpeg(pixels)


def decoded_whole(source: Path) -> bool:
    """Whether :func:`preview_of_file` would draw ``source``'s pages from the pixels a worker
    decodes (``read_pages``): not a PDF nor a JPEG, which it reads at the preview's size."""
    try:
        with source.open("rb") as handle:
            head = handle.read(5)
    except OSError:
        return False
    return not head.startswith((_PDF, _JPEG))


def preview_jpeg(pixels: np.ndarray) -> bytes:
    """The pixels as a JPEG no longer than PREVIEW_SIDE."""
    height, width = pixels.shape[:2]
    scale = PREVIEW_SIDE / max(width, height)
    if scale < 1:
        size = (max(round(width * scale), 1), max(round(height * scale), 1))
        while max(pixels.shape[:2]) >= 2 * PREVIEW_SIDE:  # halving first: 4 times faster
            pixels = cv2.resize(pixels, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _image_pixels(source: Path, number: int) -> np.ndarray | None:
    """The page's pixels; a JPEG's decoded at a fraction of its size when that still gives
    PREVIEW_SIDE (libjpeg's DCT scaling, several times faster); other images as a worker
    reads them (``read_pages``: a PNG by OpenCV, twice as fast as Pillow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the worker read it
        with Image.open(source) as image:
            if image.format == "JPEG":
                scale = PREVIEW_SIDE / max(image.size)
                image.draft(None, (round(image.width * scale), round(image.height * scale)))
                for index, frame in enumerate(ImageSequence.Iterator(image), start=1):
                    if index == number:
                        return to_uint8(frame)
                return None
        try:
            page = next(read_pages(source, {number}), None)
        except InputError:  # damaged or changed since the worker read it
            return None
        return None if page is None else page.pixels


def _pdf_pixels(source: Path, number: int) -> np.ndarray | None:
    pdf = pypdfium2.PdfDocument(source)
    try:
        if not 1 <= number <= len(pdf):
            return None
        page = pdf[number - 1]
        try:
            scale = PREVIEW_SIDE / max(page.get_size())
            return to_uint8(page.render(scale=scale).to_pil().convert("RGB"))
        finally:
            page.close()
    finally:
        pdf.close()
