"""Archive outputs: the searchable PDF/A over the original pages, hOCR, born-digital PDFs read
from their own text layer, and ``--pages``.

Real Tesseract on rendered pages; the text layer is read back with poppler's ``pdftotext``.
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from html import unescape
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.pages import ocr_document
from pipeline.pdftext import usable
from pipeline.synth import render_pages
from pipeline.writers import pdf as pdf_writer
from tests.conftest import PLAN_A, PLAN_B

HOCR = "{http://www.w3.org/1999/xhtml}"
BBOX_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
TOLERANCE_PT = 1.5  # how far a word's centre in the PDF may lie outside its JSON box


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.output


def _words(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text).split()


def _pdftotext(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _png_data(path: Path) -> bytes:
    """The compressed pixel data of a PNG (its IDAT chunks), which img2pdf embeds as it is."""
    data, position, pixels = path.read_bytes(), 8, b""
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        if data[position + 4:position + 8] == b"IDAT":
            pixels += data[position + 8:position + 8 + length]
        position += 12 + length
    return pixels


def _images(page: pikepdf.Page) -> list[pikepdf.Object]:
    objects = page.Resources.XObject
    return [objects[name] for name in objects if objects[name].Subtype == "/Image"]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, _pixels_a, _pixels_b) -> Path:
    """A scanned two-page PDF (JPEG pages, as scanners write them), and a document of two PNG
    pages, one file each (``to-trinh-p1.png``, ``to-trinh-p2.png``)."""
    folder = tmp_path_factory.mktemp("scans")
    first, second = Image.fromarray(_pixels_a), Image.fromarray(_pixels_b)
    first.save(folder / "ke-hoach.pdf", save_all=True, append_images=[second], resolution=300.0)
    second.save(folder / "to-trinh-p1.png", dpi=(300, 300))
    first.save(folder / "to-trinh-p2.png", dpi=(300, 300))
    return folder


@pytest.fixture(scope="module")
def out(scans: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``vnplan run`` with the default output type."""
    folder = tmp_path_factory.mktemp("out")
    code, output = _run(str(scans), "-o", str(folder), "--jobs", "2")
    assert code == 0, output
    return folder


def test_pdf_text_is_the_corrected_text(out: Path) -> None:
    for stem in ("ke-hoach", "to-trinh"):
        ours = Counter(_words((out / f"{stem}.txt").read_text(encoding="utf-8")))
        layer = Counter(_words(_pdftotext(out / f"{stem}.pdf")))
        common = sum((ours & layer).values())
        f1 = 2 * common / (sum(ours.values()) + sum(layer.values()))
        assert f1 >= 0.99, (stem, ours - layer, layer - ours)


def test_pdf_words_lie_on_their_boxes(out: Path) -> None:
    record = json.loads((out / "ke-hoach.json").read_text(encoding="utf-8"))
    pages = re.split(r"<page ", _pdftotext(out / "ke-hoach.pdf", "-bbox"))[1:]
    with pikepdf.open(out / "ke-hoach.pdf") as pdf:
        widths = [float(page.mediabox[2]) for page in pdf.pages]
    assert len(pages) == len(record["pages"]) == 2
    for page, found, width in zip(record["pages"], pages, widths, strict=True):
        scale = width / page["width"]  # scan pixels to PDF points
        boxes: dict[str, list[tuple[float, ...]]] = {}
        for line in page["lines"]:
            for word in line["words"]:
                box = word["box"]
                boxes.setdefault(unicodedata.normalize("NFKC", word["text"]), []).append(
                    tuple(v * scale for v in (box["left"], box["top"], box["left"] + box["width"],
                                              box["top"] + box["height"]))
                )
        words = BBOX_WORD.findall(found)
        assert len(words) == sum(len(b) for b in boxes.values())
        for x0, y0, x1, y1, text in words:
            x, y = (float(x0) + float(x1)) / 2, (float(y0) + float(y1)) / 2
            assert any(
                left - TOLERANCE_PT <= x <= right + TOLERANCE_PT
                and top - TOLERANCE_PT <= y <= bottom + TOLERANCE_PT
                for left, top, right, bottom in boxes[unescape(text)]
            ), (text, x, y, boxes[unescape(text)])


def test_pdf_is_pdfa_over_the_original_images(scans: Path, out: Path) -> None:
    with pikepdf.open(out / "ke-hoach.pdf") as pdf, pikepdf.open(scans / "ke-hoach.pdf") as source:
        metadata = pdf.open_metadata()
        assert (metadata["pdfaid:part"], metadata["pdfaid:conformance"]) == ("2", "B")
        assert len(pdf.pages) == 2
        for page, original in zip(pdf.pages, source.pages, strict=True):
            (image,), (original_image,) = _images(page), _images(original)
            assert (image.Width, image.Height) == (original_image.Width, original_image.Height)
            assert image.Filter == original_image.Filter == "/DCTDecode"
            assert image.read_raw_bytes() == original_image.read_raw_bytes()
    with pikepdf.open(out / "to-trinh.pdf") as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
        assert len(pdf.pages) == 2  # each page from its own file
        for page, png in zip(pdf.pages, ("to-trinh-p1.png", "to-trinh-p2.png"), strict=True):
            (image,) = _images(page)
            assert (image.Width, image.Height) == Image.open(scans / png).size
            assert image.read_raw_bytes() == _png_data(scans / png)  # not recompressed


def test_a_long_document_goes_through_ocrmypdf_in_parts(
    scans: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of one page each: the same pages, images and text as the PDF written whole."""
    monkeypatch.setattr(pdf_writer, "CHUNK_PAGES", 1)
    document = ocr_document(scans / "ke-hoach.pdf")
    pdf_writer.write_pdf(document, tmp_path / "parts.pdf")
    whole = _pdftotext(out / "ke-hoach.pdf").split("\f")[:-1]
    parts = _pdftotext(tmp_path / "parts.pdf").split("\f")[:-1]
    assert len(parts) == len(whole) == 2
    for page_parts, page_whole in zip(parts, whole, strict=True):
        assert _words(page_parts) == _words(page_whole)
    with pikepdf.open(tmp_path / "parts.pdf") as pdf, \
            pikepdf.open(scans / "ke-hoach.pdf") as source:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
        for page, original in zip(pdf.pages, source.pages, strict=True):
            (image,), (original_image,) = _images(page), _images(original)
            assert image.read_raw_bytes() == original_image.read_raw_bytes()


def test_pdf_is_written_without_running_tesseract(
    scans: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our OCRmyPDF plugin blocks OCRmyPDF's Tesseract plugin, which only checked Tesseract's
    version by running it three times a PDF: with no Tesseract to be found the PDF is made
    all the same, the same PDF/A with the same words."""
    document = ocr_document(scans / "ke-hoach.pdf")
    (tmp_path / "empty").mkdir()
    with monkeypatch.context() as patched:
        patched.setenv("PATH", str(tmp_path / "empty"))
        pdf_writer.write_pdf(document, tmp_path / "alone.pdf")
    with pikepdf.open(tmp_path / "alone.pdf") as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
    assert _words(_pdftotext(tmp_path / "alone.pdf")) == _words(_pdftotext(out / "ke-hoach.pdf"))


def test_hocr_has_every_word_on_its_page(out: Path) -> None:
    record = json.loads((out / "ke-hoach.json").read_text(encoding="utf-8"))
    root = ET.parse(out / "ke-hoach.hocr").getroot()  # well-formed XML
    meta = {m.get("name"): m.get("content") for m in root.iter(f"{HOCR}meta")}
    assert meta["ocr-system"].startswith("vnplan") and "ocrx_word" in meta["ocr-capabilities"]
    pages = [e for e in root.iter(f"{HOCR}div") if e.get("class") == "ocr_page"]
    assert len(pages) == len(record["pages"])
    for page, expected in zip(pages, record["pages"], strict=True):
        assert f"bbox 0 0 {expected['width']} {expected['height']}" in page.get("title")
        assert "scan_res 300 300" in page.get("title")
        words = [e for e in page.iter(f"{HOCR}span") if e.get("class") == "ocrx_word"]
        assert [w.text for w in words] == [
            word["text"] for line in expected["lines"] for word in line["words"]
        ]
        for word in words:
            left, top, right, bottom = map(int, word.get("title").split(";")[0].split()[1:])
            assert 0 <= left < right <= expected["width"]
            assert 0 <= top < bottom <= expected["height"]
            assert "x_wconf" in word.get("title")


@pytest.fixture(scope="module")
def born_digital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-page PDF with a text layer, made by ``tesseract ... pdf`` from rendered pages."""
    folder = tmp_path_factory.mktemp("born")
    images = []
    for number, text in enumerate((PLAN_A, PLAN_B), start=1):
        image = folder / f"p{number}.png"
        render_pages(text)[0].image.save(image, dpi=(300, 300))
        images.append(str(image))
    (folder / "pages.txt").write_text("\n".join(images) + "\n", encoding="utf-8")
    subprocess.run(["tesseract", str(folder / "pages.txt"), str(folder / "digital"), "-l", "vie",
                    "pdf"], check=True, capture_output=True)
    return folder / "digital.pdf"


def _page_texts(path: Path) -> list[str]:
    """Each page's text as poppler reads it in content order, whitespace normalised."""
    return [" ".join(_words(page)) for page in _pdftotext(path, "-raw").split("\f")[:-1]]


def test_born_digital_pdf_keeps_its_own_text(born_digital: Path, tmp_path: Path) -> None:
    code, output = _run(str(born_digital), "-o", str(tmp_path), "--jobs", "1")
    assert code == 0, output
    record = json.loads((tmp_path / "digital.json").read_text(encoding="utf-8"))
    assert [page["text_source"] for page in record["pages"]] == ["pdf", "pdf"]
    text = (tmp_path / "digital.txt").read_text(encoding="utf-8")
    assert [" ".join(_words(page)) for page in text.split("\f")] == _page_texts(born_digital)
    assert _page_texts(tmp_path / "digital.pdf") == _page_texts(born_digital)
    assert pikepdf.open(tmp_path / "digital.pdf").open_metadata()["pdfaid:part"] == "2"


def test_text_layer_is_read_without_tesseract(
    born_digital: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_ocr(*args, **kwargs):
        raise AssertionError("Tesseract must not run on a page with a text layer")

    monkeypatch.setattr("pipeline.ocr.recognise", no_ocr)
    document = ocr_document(born_digital)
    assert [page.text_source for page in document.pages] == ["pdf", "pdf"]
    assert [" ".join(_words(page.text)) for page in document.pages] == _page_texts(born_digital)


def test_force_ocr_reads_the_pages_again(born_digital: Path, tmp_path: Path) -> None:
    code, output = _run(str(born_digital), "-o", str(tmp_path), "--jobs", "1", "--force-ocr",
                        "--pages", "1", "--output-type", "pdf")
    assert code == 0, output
    record = json.loads((tmp_path / "digital.json").read_text(encoding="utf-8"))
    assert [(page["number"], page["text_source"]) for page in record["pages"]] == [(1, "ocr")]
    assert "KẾ HOẠCH" in record["pages"][0]["text"]
    # Tesseract's old layer is replaced by ours, not doubled.
    assert _pdftotext(tmp_path / "digital.pdf").count("HOẠCH") == 1


def test_pages_selects_pages_of_each_document(born_digital: Path, tmp_path: Path) -> None:
    code, output = _run(str(born_digital), "-o", str(tmp_path), "--pages", "2")
    assert code == 0, output
    record = json.loads((tmp_path / "digital.json").read_text(encoding="utf-8"))
    assert [page["number"] for page in record["pages"]] == [2]
    assert "bảo hiểm y tế" in record["pages"][0]["text"]
    with pikepdf.open(tmp_path / "digital.pdf") as pdf:
        assert len(pdf.pages) == 1


@pytest.mark.parametrize("spec", ["3-1", "0", "a", "1,,2", "-2"])
def test_bad_pages_spec_is_a_usage_error(spec: str, tmp_path: Path) -> None:
    code, output = _run(str(tmp_path), "-o", str(tmp_path / "out"), "--pages", spec)
    assert code == ExitCode.usage
    assert output.count("\n") == 1 and "--pages" in output


def test_usable_text_layer() -> None:
    vietnamese = "Huy động sức mạnh của cộng đồng để giúp các hộ nghèo có nhà ở an toàn "
    stripped = "Huy dong suc manh cua cong dong de giup cac ho ngheo co nha o an toan "
    english_model = "Thuc hién Ké hoach s6 ctia Ban Thuong tryc Pang uy "  # old OCR layer
    english = "Support for the poor households in the commune "
    assert usable((vietnamese * 2).split())
    assert not usable((stripped * 2).split())
    assert not usable((english_model * 3).split())
    assert not usable(["Trang", "1"])  # a page number is no text layer
    assert usable((english * 3).split(), lang="eng")
