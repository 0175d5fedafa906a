"""An OCRmyPDF plugin that reads nothing: its OCR engine hands OCRmyPDF the words vnplan already
has, from the hOCR files :mod:`pipeline.writers.pdf` puts beside the PDF it asks OCRmyPDF to
process (``page-0001.hocr`` for its first page, and so on).

OCRmyPDF rasterises each page for the engine, at the page image's resolution. The engine only
needs that image's size (our boxes are scan pixels, scaled to it; they stay fractional, so no
precision is lost), and the page shown in the PDF is the original, not the raster; so the
plugin's rasteriser writes a blank page of the right size instead of rendering one, which
saves about a second per A4 page at 300 dpi.

Each line is handed over with a baseline. Without one OCRmyPDF's renderer places the line by
its default font's ascent and descent, which it looks up on every line through a search of the
system's font folders: about 60 ms per document, a fifth of the PDF's cost. The baseline we
give is the one it would compute (the same font, the same proportion of the line's height).

OCRmyPDF's own Tesseract plugin is blocked: it reads nothing here, but its option check ran
``tesseract --version`` three times for every PDF (40 ms of CPU a document, a fifth of the
PDF's cost). Its options are registered here instead, as OCRmyPDF's checks still read them.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache
from pathlib import Path

import ocrmypdf
import pypdfium2
from fontTools.ttLib import TTFont
from ocrmypdf import hookimpl
from ocrmypdf.hocrtransform import BoundingBox, HocrParser, OcrClass, OcrElement
from ocrmypdf.models.ocr_element import Baseline
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image

from pipeline import __version__

try:  # where OCRmyPDF 17 defines them; elsewhere its own plugin is left as it is
    from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOptions
except ImportError:  # pragma: no cover - another OCRmyPDF
    TesseractOptions = None
TESSERACT_PLUGIN = "ocrmypdf.builtin_plugins.tesseract_ocr"


def hocr_path(folder: Path, index: int) -> Path:
    """The hOCR of the PDF's page ``index`` (0-based) in the folder of the PDF."""
    return folder / f"page-{index + 1:04d}.hocr"


class VnplanEngine(OcrEngine):
    """The words of vnplan's own OCR (corrected), or of a PDF's own text layer."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"vnplan {__version__}"

    def __str__(self) -> str:
        return f"vnplan {__version__}"

    @staticmethod
    def languages(options) -> set[str]:
        return set(options.languages)

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        return OrientationConfidence(angle=0, confidence=0.0)  # pages are never turned

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0) -> tuple[OcrElement, str]:
        with Image.open(input_file) as image:
            width, height = image.size
            dpi = float(image.info.get("dpi", (72, 72))[0])
        hocr = hocr_path(Path(options.input_file).parent, page_number)
        if not hocr.exists():  # a page we have no words for
            return OcrElement(ocr_class=OcrClass.PAGE, bbox=BoundingBox(0, 0, width, height),
                              dpi=dpi, page_number=page_number), ""
        page = HocrParser(hocr).parse()  # its bbox is the scan's size, in which the boxes are
        _scale(page, width / page.bbox.width, height / page.bbox.height)
        _set_baselines(page)
        page.dpi, page.page_number = dpi, page_number
        return page, "\n".join(" ".join(w.text for w in line.words) for line in page.lines)

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        raise NotImplementedError("vnplan supplies OcrElement trees (generate_ocr)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("vnplan supplies OcrElement trees (generate_ocr)")


def _scale(element: OcrElement, x: float, y: float) -> None:
    if element.bbox is not None:
        box = element.bbox
        element.bbox = BoundingBox(box.left * x, box.top * y, box.right * x, box.bottom * y)
    for child in element.children:
        _scale(child, x, y)


def _set_baselines(page: OcrElement) -> None:
    """Lines without a baseline get the one OCRmyPDF would give them: its default font's
    descent as a share of the line's height, above the box's bottom."""
    share = _descent_share()
    for line in page.lines:
        if line.baseline is None and line.bbox is not None:
            line.baseline = Baseline(slope=0.0, intercept=-share * line.bbox.height)


@cache
def _descent_share() -> float:
    """Descent / (ascent + descent) of OCRmyPDF's default text font, NotoSans."""
    font = TTFont(Path(ocrmypdf.__file__).parent / "data" / "NotoSans-Regular.ttf", lazy=True)
    ascent, descent = font["hhea"].ascent, abs(font["hhea"].descent)
    font.close()
    return descent / (ascent + descent)


@hookimpl
def initialize(plugin_manager) -> None:
    """Block OCRmyPDF's Tesseract plugin, whose only work here is checking Tesseract's
    version, by running it (see the module docstring)."""
    if TesseractOptions is not None:
        plugin_manager.set_blocked(TESSERACT_PLUGIN)


@hookimpl
def register_options() -> dict:
    """The blocked plugin's options, which OCRmyPDF's validation reads."""
    return {} if TesseractOptions is None else {"tesseract": TesseractOptions}


@hookimpl
def get_ocr_engine(options) -> OcrEngine:
    """Registered last, so asked first: this plugin is only ever loaded to write our PDFs."""
    return VnplanEngine()


@hookimpl
def rasterize_pdf_page(
    input_file: Path, output_file: Path, raster_device, raster_dpi, pageno: int, page_dpi,
    rotation: int | None, filter_vector: bool, stop_on_soft_error: bool, options,
    use_cropbox: bool,
) -> Path:
    """A blank image of the size OCRmyPDF's own rasteriser would make (its media box at
    ``raster_dpi``, turned by ``rotation``), with the resolution it would declare."""
    pdf = pypdfium2.PdfDocument(input_file)
    try:
        page = pdf[pageno - 1]
        if not use_cropbox:
            page.set_cropbox(*page.get_mediabox())
        width_pt, height_pt = page.get_size()
        page.close()
    finally:
        pdf.close()
    dpi = raster_dpi.round(6)
    size = (round(width_pt * dpi.x / 72), round(height_pt * dpi.y / 72))
    if rotation and rotation % 180 == 90:
        size = size[::-1]
    declared = page_dpi or raster_dpi
    jpeg = "jpeg" in str(raster_device).lower()
    Path(output_file).write_bytes(
        _blank(size, (float(declared.x), float(declared.y)), "JPEG" if jpeg else "PNG")
    )
    return output_file


@lru_cache(maxsize=16)
def _blank(size: tuple[int, int], dpi: tuple[float, float], image_format: str) -> bytes:
    """A white page of this size and resolution, encoded once: the pages of a batch are
    mostly of a few sizes, and Pillow takes some 40 ms to encode an A4 page at 300 dpi."""
    buffer = io.BytesIO()
    Image.new("L" if image_format == "JPEG" else "1", size, 255).save(
        buffer, image_format, dpi=dpi
    )
    return buffer.getvalue()
