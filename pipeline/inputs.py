"""Finding input documents and reading their pages as pixel arrays.

The file type is decided by content, not by name, so a text file called ``scan.png`` or a PDF
called ``scan.tif`` gets an accurate error or is read for what it is.

NumPy and OpenCV are imported where pixels are decoded: a batch's parent only finds documents
and counts their pages, which Pillow and PDFium do from the files' headers.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2
from PIL import Image, ImageSequence, UnidentifiedImageError

from pipeline.errors import InputError

if TYPE_CHECKING:
    import numpy as np

STDIN = "-"
SUPPORTED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"})
PDF_DPI = 300
# Pillow refuses larger images as decompression bombs; an A0 sheet at 600 dpi is ~ 0.5 Gpx.
MAX_PIXELS = 20000 * 20000 - 1
MAX_PDF_PIXELS = 150_000_000  # an A0 page at 300 dpi is 139 Mpx


@dataclass
class PageImage:
    """One page as read: RGB or grayscale uint8 pixels and the resolution the file declares."""

    number: int
    pixels: np.ndarray
    dpi: float | None


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[InputError]]:
    """Expand directories (recursively, supported types only) and keep explicit files as given.

    Missing paths come back as errors rather than exceptions so a batch can report them and
    go on with the rest.
    """
    found: list[Path] = []
    problems: list[InputError] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not inside:
                problems.append(InputError(path, "no PNG, JPEG, TIFF or PDF file in this folder"))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            problems.append(InputError(path, "not a regular file or directory"))
        else:
            problems.append(InputError(path, "no such file or directory"))
    return found, problems


def read_pages(path: Path, numbers: Container[int] | None = None) -> Iterator[PageImage]:
    """Yield the pages of an image, multi-page TIFF or PDF one at a time, to bound memory.

    ``numbers`` (1-based) limits which pages are decoded, so a batch worker given one page of a
    long PDF renders only that page.
    """
    if _is_pdf(path):
        yield from _read_pdf(path, numbers)
    else:
        yield from _read_image(path, numbers)


def count_pages(path: Path) -> int:
    """Pages in the document, read from its header; InputError for a file with none."""
    if _is_pdf(path):
        with _open_pdf(path) as pdf:
            return len(pdf)
    with _open_image(path) as image:
        return getattr(image, "n_frames", 1)


def missing_pdf_pages(path: Path) -> list[int]:
    """Pages (1-based) a PDF's page count promises but its page tree does not hold (a /Count
    of 100 over 10 pages): [] for a sound PDF and for any other file. Asks for each page's
    size, which finds the page without parsing it."""
    if not _is_pdf(path):
        return []
    with _open_pdf(path) as pdf:
        missing = []
        for index in range(len(pdf)):
            try:
                pdf.get_page_size(index)
            except pypdfium2.PdfiumError:
                missing.append(index + 1)
        return missing


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            magic = handle.read(5)
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror or error})") from error
    if not magic:
        raise InputError(path, "file is empty")
    return magic == b"%PDF-"


@contextmanager
def _open_pdf(path: Path) -> Iterator[pypdfium2.PdfDocument]:
    try:
        pdf = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as error:
        raise InputError(path, _pdf_load_reason(path)) from error
    try:
        if len(pdf) == 0:
            raise InputError(path, "PDF has no pages")
        yield pdf
    finally:
        pdf.close()


def _read_pdf(path: Path, numbers: Container[int] | None) -> Iterator[PageImage]:
    import numpy as np

    with _open_pdf(path) as pdf:
        for index in range(len(pdf)):
            if numbers is not None and index + 1 not in numbers:
                continue
            try:
                page = pdf[index]
            except pypdfium2.PdfiumError as error:
                raise InputError(path, f"page {index + 1} cannot be read ({error})") from error
            try:
                dpi = pdf_render_dpi(*page.get_size())
                bitmap = page.render(scale=dpi / 72)
                pixels = np.array(bitmap.to_pil().convert("RGB"))
            except pypdfium2.PdfiumError as error:
                raise InputError(path, f"page {index + 1} cannot be drawn ({error})") from error
            finally:
                page.close()
            yield PageImage(number=index + 1, pixels=pixels, dpi=dpi)


def pdf_render_dpi(width_pt: float, height_pt: float) -> float:
    """300 dpi, lower for a page so large it would pass MAX_PDF_PIXELS (A0 still gets 300): a
    page's size is whatever the file claims, and a 200-inch page would need 10 GB."""
    pixels = (width_pt / 72 * PDF_DPI) * (height_pt / 72 * PDF_DPI)
    if pixels <= MAX_PDF_PIXELS:
        return PDF_DPI
    return PDF_DPI * (MAX_PDF_PIXELS / pixels) ** 0.5 * 0.999  # rounding up stays under


def _pdf_load_reason(path: Path) -> str:
    """Why PDFium could not open the file, asked of pikepdf (qpdf): PDFium's own error code is
    a global that some failures leave as the last one set, so a PDF without pages read after a
    password-protected one would be called password-protected too."""
    import pikepdf  # only on this failure path

    try:
        with path.open("rb") as handle, pikepdf.open(handle) as pdf:  # any file name
            if len(pdf.pages) == 0:
                return "PDF has no pages"
    except pikepdf.PasswordError:
        return "PDF is password-protected; remove the password and try again"
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError):
        pass
    return "not a readable PDF (damaged or not a PDF)"


def _open_image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise InputError(path, f"image is too large ({error})") from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise InputError(path, "not a readable image (unknown or damaged format)") from error
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise InputError(path, f"image is too large ({image.width}x{image.height} pixels)")
    return image


def _read_image(path: Path, numbers: Container[int] | None) -> Iterator[PageImage]:
    with _open_image(path) as image:
        dpi = _declared_dpi(image)
        several = getattr(image, "n_frames", 1) > 1
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if numbers is not None and number not in numbers:
                continue
            try:
                pixels = _decoded_by_opencv(path, frame) if not several else None
                if pixels is None:
                    pixels = to_uint8(frame)
            except (OSError, SyntaxError, ValueError) as error:
                where = f"page {number}: " if several else ""
                raise InputError(path, f"{where}image data is damaged ({error})") from error
            yield PageImage(number=number, pixels=pixels, dpi=dpi)


def _decoded_by_opencv(path: Path, image: Image.Image) -> np.ndarray | None:
    """An 8-bit gray or RGB PNG's pixels, decoded by OpenCV; None for anything else, which
    Pillow decodes (:func:`to_uint8`)."""
    import cv2
    import numpy as np

    # PNG modes OpenCV decodes to the same pixels as Pillow, in half the time (Pillow's decode
    # and its copy into numpy cost about 80 ms on a 300-dpi A4 page, OpenCV's about 40)
    flag = {"L": cv2.IMREAD_GRAYSCALE, "RGB": cv2.IMREAD_COLOR}.get(image.mode)
    if image.format != "PNG" or flag is None:
        return None
    pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
    if pixels is None or pixels.shape[:2] != (image.height, image.width):
        raise ValueError("OpenCV cannot decode it")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if pixels.ndim == 3 else pixels


def _declared_dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    value = float(dpi[0])
    return value if value > 1 else None


def to_uint8(frame: Image.Image) -> np.ndarray:
    """Bring any Pillow mode (16-bit, CMYK, palette, alpha, 1-bit) to 8-bit gray or RGB."""
    import numpy as np

    mode = frame.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(frame, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        return ((array - low) * scale).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode in ("L", "RGB"):
        return np.asarray(frame)
    if mode == "1":
        return np.asarray(frame.convert("L"))
    return np.asarray(frame.convert("RGB"))

def read_text(source: str, max_bytes: int | None = None) -> str:
    """The text of a UTF-8 file (BOM allowed) or of stdin for "-"; an empty file is "".

    Anything over ``max_bytes``, binary data or another encoding is an InputError naming
    the file, so a batch can report it and go on.
    """
    limit = -1 if max_bytes is None else max_bytes + 1
    if source == STDIN:
        data = sys.stdin.buffer.read(limit)
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(path, "no such file")
        if path.is_dir():
            raise InputError(path, "is a directory, not a text file")
        try:
            with path.open("rb") as handle:
                data = handle.read(limit)
        except OSError as error:
            raise InputError(path, f"cannot read ({error.strerror or error})") from error
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(source, f"too large (over {max_bytes // 1_000_000} MB)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(source, f"damaged UTF-16 text (at offset {error.start})") from error
    if b"\x00" in data:
        raise InputError(source, "binary data, not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            source, f"not UTF-8 text (bad byte at offset {error.start}); convert it to UTF-8"
        ) from error
