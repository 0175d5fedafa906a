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

import contextlib
import ctypes
import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import img2pdf
import ocrmypdf
import pikepdf
import pypdfium2
from ocrmypdf.exceptions import ExitCode, ExitCodeException
from PIL import Image

from pipeline.errors import InputError
from pipeline.export import file_mode, utf8_name
from pipeline.inputs import read_pages
from pipeline.models import Document, Page
from pipeline.writers.hocr import hocr_text
from pipeline.writers.ocrmypdf_engine import hocr_path

ASSUMED_DPI = 300.0  # page size of an image that declares no resolution
PLUGIN = "pipeline.writers.ocrmypdf_engine"
CHUNK_PAGES = 50  # pages OCRmyPDF is given at once: its memory grows with them

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
        # OCRmyPDF reopens the file by its name, which must be UTF-8
        name = utf8_name(path.name)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        os.close(descriptor)
        try:
            code = _searchable(document, Path(temporary), output_type, work)
            if code != ExitCode.ok:  # a PDF/A that does not claim to be one, or a damaged file
                raise InputError(document.source, f"cannot make its PDF (OCRmyPDF: {code.name})")
            os.chmod(temporary, file_mode())
            os.replace(temporary, path)
        except (ExitCodeException, pikepdf.PdfError) as error:
            Path(temporary).unlink(missing_ok=True)
            raise _pdf_failure(document, error) from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _pdf_failure(document: Document, error: Exception) -> InputError:
    """The document fails with the first line of what OCRmyPDF or qpdf said."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return InputError(document.source, f"cannot make its PDF ({type(error).__name__}: {message})")


def _searchable(document: Document, target: Path, output_type: str, work: Path) -> ExitCode:
    """The pages with their text layer, made PDF/A by pikepdf's PDF/A writer (which validates
    the bytes it writes), or by OCRmyPDF with Ghostscript when that writer cannot.

    This is OCRmyPDF's own PDF/A path with pikepdf, less a second validation of the same
    content after its metadata pass. OCRmyPDF's output goes to a stream, so OCRmyPDF does not
    re-read the file to check it either.
    """
    import pikepdf.pdfa  # its validator takes 0.3 s to import, which only this step needs

    # OCRmyPDF's final check calls pikepdf's Pdf.check_linearization(stream), which leaves
    # sys.stderr pointing at that stream (pikepdf 10.18): every later message would vanish.
    stderr = sys.stderr
    try:
        parts = _layered(document, work)
        if isinstance(parts, ExitCode):
            return parts
        layered = parts[0] if len(parts) == 1 else _joined(parts, work / "layered.pdf")
        with pikepdf.open(layered, conversion_mode="explicit") as pdf:
            if output_type == "pdf":
                pdf.save(target)
                return ExitCode.ok
            try:
                pikepdf.pdfa.save(pdf, target, "2b", output_intent="sRGB")
                return ExitCode.ok
            except pikepdf.pdfa.PdfaError:
                pass
        # The whole document by OCRmyPDF with Ghostscript, checked as OCRmyPDF checks it
        # (every page in memory at once: only when pikepdf's PDF/A writer failed)
        every_page = list(document.pages)
        pages_pdf = work / "pages.pdf"
        _original_pages(document.source, every_page, pages_pdf)
        _write_hocr(document.source, every_page, work)
        with _files_read_as_streams():
            return ocrmypdf.ocr(pages_pdf, target, output_type="pdfa",
                                pdfa_backend="ghostscript",
                                **_settings(pages_pdf, _ocr_numbers(every_page)))
    finally:
        sys.stderr = stderr


def _layered(document: Document, work: Path) -> list[Path] | ExitCode:
    """OCRmyPDF's plain PDFs of the pages under their text layer, in order, or what OCRmyPDF
    said was wrong. A long document goes through OCRmyPDF in parts of CHUNK_PAGES pages:
    OCRmyPDF holds every page's text until it writes the layer, and a part's page images
    are in memory while its pages are put together, so both would grow with the page count.
    A part's pages are taken from ``document.pages`` together, once.
    """
    count = len(document.pages)
    parts = []
    for start in range(0, count, CHUNK_PAGES):
        folder = work / f"part-{start // CHUNK_PAGES:05d}"
        folder.mkdir()
        pages = [document.pages[index] for index in range(start, min(start + CHUNK_PAGES, count))]
        _original_pages(document.source, pages, folder / "pages.pdf")
        code = _ocrmypdf_part(document.source, pages, folder / "pages.pdf",
                              folder / "layered.pdf", folder)
        if code != ExitCode.ok:
            return code
        (folder / "pages.pdf").unlink()  # the part's page images are in its layered PDF
        parts.append(folder / "layered.pdf")
        _release_free_memory()
    return parts


def _release_free_memory() -> None:
    """Give the memory a part freed back to the system (glibc's malloc_trim), as OCRmyPDF does
    between pages: left in the heap, it lets each part's peak creep up on the one before
    (10 MB over a 400-page document)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _joined(parts: list[Path], target: Path) -> Path:
    """The parts as one file, by qpdf's own page copying (a quarter of the memory of copying
    them in Python), with the first part's document information (OCRmyPDF's) for all."""
    first = str(parts[0])
    pikepdf.Job(["qpdf", first, "--pages", first, *map(str, parts[1:]), "--", str(target)]).run()
    return target


def _ocrmypdf_part(
    document: Path, pages: list[Page], source: Path, target: Path, folder: Path
) -> ExitCode:
    """OCRmyPDF with our engine over ``source``, the PDF of ``pages`` of the document read
    from ``document``; the hOCR the engine reads is put beside ``source``."""
    _write_hocr(document, pages, folder)
    with open(target, "wb") as stream, _files_read_as_streams():
        return ocrmypdf.ocr(source, stream, output_type="pdf",
                            **_settings(source, _ocr_numbers(pages)))


@contextmanager
def _files_read_as_streams() -> Iterator[None]:
    """OCRmyPDF turns on pikepdf's memory mapping of every file it opens, for the rest of the
    process; mapped, the whole joined document would be resident while pikepdf writes and
    checks the PDF/A (130 MB at 400 pages), so it is turned back to pikepdf's default."""
    core = pikepdf._core
    mapped = getattr(core, "get_access_default_mmap", lambda: None)()
    try:
        yield
    finally:
        if mapped is not None:
            core.set_access_default_mmap(mapped)


def _write_hocr(document: Path, pages: list[Page], folder: Path) -> None:
    """The hOCR of each page we OCR'd among ``pages`` (of the document read from
    ``document``), numbered from the first of them."""
    for offset, page in enumerate(pages):
        if page.text_source == "ocr":
            single = Document(source=document, pages=[page])
            hocr_path(folder, offset).write_text(hocr_text(single), encoding="utf-8")


def _ocr_numbers(pages: list[Page]) -> list[int]:
    """The 1-based numbers, within ``pages``, of the pages we OCR'd."""
    return [offset + 1 for offset, page in enumerate(pages) if page.text_source == "ocr"]


def _settings(source: Path, ocr_pages: list[int]) -> dict:
    """OCRmyPDF's settings: our engine, no optimisation, only our pages get a text layer."""
    settings = dict(language=["vie"], plugins=[PLUGIN], optimize=0, progress_bar=False, jobs=1)
    if not ocr_pages:  # every page keeps its own text layer
        settings.update(mode="skip")
    else:  # only our pages get a layer, replacing an old unusable one; "redo" only when there
        # is one, since Ghostscript 10.0-10.02 (the PDF/A fallback) refuses that mode
        mode = "redo" if _has_text(source, ocr_pages) else "default"
        settings.update(mode=mode, pages=",".join(map(str, ocr_pages)))
    return settings


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


def _original_pages(document: Path, pages: list[Page], target: Path) -> None:
    """One PDF of ``pages`` (of the document read from ``document``) as they are in their
    source files: the source itself, linked, when these are every page of one PDF in order
    (the common case, and a long PDF copied page by page would pass through memory whole)."""
    sources = {_page_source(document, page)[0] for page in pages}
    if len(sources) == 1:
        source = sources.pop()
        numbers = [_page_source(document, page)[1] for page in pages]
        if _whole_pdf(source, numbers):
            target.symlink_to(source.absolute())
            return
    output = pikepdf.new()
    opened: dict[Path, pikepdf.Pdf] = {}
    with ExitStack() as files:
        try:
            for page in pages:
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


def _page_source(document: Path, page: Page) -> tuple[Path, int]:
    """The file a page was read from, and its 1-based page number there (a document read by
    ``ocr_document`` from the file ``document`` is that file, numbered as it is)."""
    return page.source or document, page.source_page or page.number


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
