"""Searchable PDF (PDF/A-2b by default): the original page images, unchanged, under an invisible
layer of the corrected words, each placed on its box, so a reader finds and copies what we read.

The pages are the input's own: a PDF's pages as they are, images embedded without re-encoding by
img2pdf (PNG and JPEG data are copied byte for byte; TIFF pixels losslessly). OCRmyPDF does the
rest through its public API: an OCR-engine plugin (:mod:`pipeline.writers.ocrmypdf_engine`)
answers each page with our words from its hOCR instead of running Tesseract, OCRmyPDF's renderer
lays them over the page, and it makes the file PDF/A, first with pikepdf alone (fast, checked
by pikepdf's validator) and only if that fails with Ghostscript. No optimisation pass runs, so
no image is recompressed.

Pages whose text came from the PDF's own text layer keep it as it is; only the pages vnplan
OCR'd get a new layer (replacing an old, unusable OCR layer if the page had one).
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import img2pdf
import ocrmypdf
import pikepdf
import pypdfium2
from ocrmypdf.exceptions import ExitCode, ExitCodeException, PdfaConversionFailedError
from PIL import Image

from pipeline.errors import InputError
from pipeline.export import file_mode, utf8_name
from pipeline.inputs import read_pages
from pipeline.models import Document, Page
from pipeline.writers.hocr import hocr_text
from pipeline.writers.ocrmypdf_engine import hocr_path

OUTPUT_TYPES = ("pdfa", "pdf", "none")  # OCRmyPDF's names; "none": no PDF is written
ASSUMED_DPI = 300.0  # page size of an image that declares no resolution
PLUGIN = "pipeline.writers.ocrmypdf_engine"

logging.getLogger("ocrmypdf").setLevel(logging.WARNING)  # its progress is not ours to print
logging.getLogger("img2pdf").setLevel(logging.ERROR)  # notes such as "computing a /SMask"


def write_pdf(document: Document, path: Path, output_type: str = "pdfa") -> None:
    """Write the searchable PDF of ``document`` to ``path`` atomically.

    ``output_type`` is ``pdfa`` (PDF/A-2b) or ``pdf``. InputError when the document's pages
    cannot be made into one (a source PDF qpdf cannot read, a PDF/A conversion that fails).
    """
    if output_type not in ("pdfa", "pdf"):
        raise ValueError(f"output type {output_type!r}: expected pdfa or pdf")
    with tempfile.TemporaryDirectory(prefix="vnplan-pdf-") as work_dir:
        work = Path(work_dir)
        pages_pdf = work / "pages.pdf"
        try:
            _original_pages(document, pages_pdf)
        except pikepdf.PdfError as error:
            raise _pdf_failure(document, error) from error
        ocr_pages = []
        for index, page in enumerate(document.pages):
            if page.text_source == "ocr":
                ocr_pages.append(index + 1)
                single = Document(source=document.source, pages=[page])
                hocr_path(work, index).write_text(hocr_text(single), encoding="utf-8")
        # OCRmyPDF reopens the file by its name, which must be UTF-8
        name = utf8_name(path.name)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        os.close(descriptor)
        try:
            code = _ocrmypdf(pages_pdf, Path(temporary), output_type, ocr_pages)
            if code != ExitCode.ok:  # a PDF/A that does not claim to be one, or a damaged file
                raise InputError(document.source, f"cannot make its PDF (OCRmyPDF: {code.name})")
            os.chmod(temporary, file_mode())
            os.replace(temporary, path)
        except ExitCodeException as error:
            Path(temporary).unlink(missing_ok=True)
            raise _pdf_failure(document, error) from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _pdf_failure(document: Document, error: Exception) -> InputError:
    """The document fails with the first line of what OCRmyPDF or qpdf said."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return InputError(document.source, f"cannot make its PDF ({type(error).__name__}: {message})")


def _ocrmypdf(source: Path, target: Path, output_type: str, ocr_pages: list[int]) -> ExitCode:
    """OCRmyPDF over ``source`` with our engine; PDF/A by pikepdf first, then Ghostscript.

    OCRmyPDF raises for what stops it, and returns a code for an output that failed its final
    checks.
    """
    settings = dict(
        language=["vie"], plugins=[PLUGIN], optimize=0, progress_bar=False, jobs=1,
        output_type=output_type,
    )
    if not ocr_pages:  # every page keeps its own text layer
        settings.update(mode="skip")
    else:  # only our pages get a layer, replacing an old unusable one; "redo" only when there
        # is one, since Ghostscript 10.0-10.02 (the PDF/A fallback) refuses that mode
        mode = "redo" if _has_text(source, ocr_pages) else "default"
        settings.update(mode=mode, pages=",".join(map(str, ocr_pages)))
    # OCRmyPDF's final check calls pikepdf's Pdf.check_linearization(stream), which leaves
    # sys.stderr pointing at that stream (pikepdf 10.18): every later message would vanish.
    stderr = sys.stderr
    try:
        if output_type == "pdfa":
            # Written to a stream, OCRmyPDF leaves out its last checks of the file: a PDF/A
            # claim read back, and every stream decompressed, page images included (about
            # 20 ms a page). pikepdf's PDF/A writer has validated what it wrote just before.
            with open(target, "wb") as stream:
                return ocrmypdf.ocr(source, stream, pdfa_backend="internal", **settings)
        return ocrmypdf.ocr(source, target, **settings)
    except PdfaConversionFailedError:  # Ghostscript's PDF/A is checked as OCRmyPDF checks it
        return ocrmypdf.ocr(source, target, pdfa_backend="ghostscript", **settings)
    finally:
        sys.stderr = stderr


def _has_text(path: Path, numbers: list[int]) -> bool:
    """Whether any of these pages (1-based) of the PDF has text of its own."""
    pdf = pypdfium2.PdfDocument(path)
    try:
        for number in numbers:
            page = pdf[number - 1]
            textpage = page.get_textpage()
            count = textpage.count_chars()
            textpage.close()
            page.close()
            if count:
                return True
        return False
    finally:
        pdf.close()


def _original_pages(document: Document, target: Path) -> None:
    """One PDF of the document's pages as they are in its source files: the source itself,
    linked, when the document is every page of one PDF in order (the common case, and a long
    PDF copied page by page would pass through memory whole)."""
    sources = {_page_source(document, page)[0] for page in document.pages}
    if len(sources) == 1:
        source = sources.pop()
        numbers = [_page_source(document, page)[1] for page in document.pages]
        if _whole_pdf(source, numbers):
            target.symlink_to(source.absolute())
            return
    output = pikepdf.new()
    opened: dict[Path, pikepdf.Pdf] = {}
    with ExitStack() as files:
        try:
            for page in document.pages:
                source, number = _page_source(document, page)
                if source not in opened:
                    opened[source] = _as_pdf(source, page.dpi, files)
                output.pages.append(opened[source].pages[number - 1])
            output.save(target)
        finally:
            for pdf in opened.values():
                pdf.close()
            output.close()


def _whole_pdf(source: Path, numbers: list[int]) -> bool:
    """Whether ``numbers`` are every page of ``source``, a PDF, in order."""
    with open(source, "rb") as handle:  # by an open file: its name may not be UTF-8
        if handle.read(5) != b"%PDF-":
            return False
        handle.seek(0)
        with pikepdf.open(handle) as pdf:
            return numbers == list(range(1, len(pdf.pages) + 1))


def _page_source(document: Document, page: Page) -> tuple[Path, int]:
    """The file a page was read from, and its 1-based page number there (a document read by
    ``ocr_document`` is one file, numbered as it is)."""
    return page.source or document.source, page.source_page or page.number


def _as_pdf(source: Path, dpi: float | None, files: ExitStack) -> pikepdf.Pdf:
    """A PDF opened as it is, read as needed (a long one is never whole in memory); an image
    as img2pdf embeds it, each frame a page. Both by an open file, not by name: a file name
    that is not UTF-8 trips both libraries."""
    handle = files.enter_context(open(source, "rb"))  # noqa: SIM115 - closed by files
    if handle.read(5) == b"%PDF-":
        handle.seek(0)
        return pikepdf.open(handle)
    handle.seek(0)
    layout = (
        img2pdf.default_layout_fun if dpi
        else img2pdf.get_fixed_dpi_layout_fun((ASSUMED_DPI, ASSUMED_DPI))
    )
    try:
        data = img2pdf.convert(handle.read(), rotation=img2pdf.Rotation.none, layout_fun=layout)
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError):
        data = _converted(source, layout)
    return pikepdf.open(io.BytesIO(data))


def _converted(source: Path, layout) -> bytes:
    """Images img2pdf refuses as they are (16-bit with alpha, odd modes): each frame brought to
    8-bit gray or RGB as vnplan read it, stored as lossless PNG."""
    with tempfile.TemporaryDirectory(prefix="vnplan-img-") as folder:
        frames = []
        for image in read_pages(source):
            frame = Path(folder) / f"{image.number:05d}.png"
            Image.fromarray(image.pixels).save(
                frame, dpi=(image.dpi or ASSUMED_DPI, image.dpi or ASSUMED_DPI)
            )
            frames.append(str(frame))
        return img2pdf.convert(frames, rotation=img2pdf.Rotation.none, layout_fun=layout)
