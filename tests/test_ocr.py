"""Real Tesseract on rendered pages, through the library API."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline import detect, ocr, pages
from pipeline.api import OcrOptions, ocr_document
from pipeline.evaluation.metrics import cer
from pipeline.inputs import PageImage
from pipeline.ocr import as_typed
from pipeline.synth import render_pages
from tests.conftest import PLAN_A, PLAN_B


def test_png_page_is_read_as_vietnamese(png_a: Path) -> None:
    document = ocr_document(png_a)
    text = document.text
    assert "KẾ HOẠCH" in text
    assert "sửa chữa nhà ở cho hộ nghèo" in text
    assert "Số: 18/KH-UBND" in text
    assert cer(text, PLAN_A) < 0.08
    page = document.pages[0]
    words = [word for line in page.lines for word in line.words]
    assert all(0 <= word.confidence <= 100 for word in words)
    assert all(word.box.width > 0 and word.box.height > 0 for word in words)


def test_multipage_tiff_gives_pages_in_order(
    tmp_path: Path, page_a: Image.Image, page_b: Image.Image
) -> None:
    path = tmp_path / "hai-trang.tiff"
    page_a.save(path, save_all=True, append_images=[page_b], compression="tiff_lzw")
    document = ocr_document(path)
    assert [page.number for page in document.pages] == [1, 2]
    assert "Hòa Bình" in document.pages[0].text
    assert "bảo hiểm y tế" in document.pages[1].text
    assert document.text.count("\f") == 1
    assert cer(document.pages[1].text, PLAN_B) < 0.08


def test_pdf_is_rendered_at_300_dpi(tmp_path: Path, page_a: Image.Image) -> None:
    path = tmp_path / "ke-hoach.pdf"
    page_a.save(path, resolution=300)
    document = ocr_document(path)
    page = document.pages[0]
    assert abs(page.width - page_a.width) <= 40  # same pixel size back, give or take deskew
    assert "sửa chữa nhà ở" in document.text


def test_raw_mode_skips_cleanup(png_a: Path) -> None:
    document = ocr_document(png_a, OcrOptions(raw=True))
    assert document.pages[0].deskew_angle == 0.0
    assert "KẾ HOẠCH" in document.text


def test_cleanup_reports_the_deskew_it_applied(tmp_path: Path) -> None:
    path = tmp_path / "nghieng.png"
    level_page = render_pages(PLAN_B)[0].image
    level_page.rotate(4, fillcolor=255, expand=True).save(path)  # 4 degrees counter-clockwise
    document = ocr_document(path)
    assert document.pages[0].deskew_angle == pytest.approx(-4.0, abs=0.2)  # turned back
    assert "cho đồng bào dân tộc thiểu số" in document.text


@pytest.mark.parametrize("layout", ["detector", "tesseract"])
def test_signature_under_a_seal_is_recovered_after_the_recipients(layout: str) -> None:
    """On this sample page Tesseract's layout files the stamped signature block as a picture,
    and the seal hides its lines from the detector's pass over the whole page."""
    page = Path(__file__).parents[1] / "samples" / "scans" / "kh-xa-cam-binh-nong-thon-moi-p3.png"
    text = ocr_document(page, OcrOptions(correct=False, layout=layout)).text
    assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text
    assert text.index("- Lưu: VT") < text.index("TM. ỦY BAN NHÂN DÂN") < text.index("Phan Đình")


def test_slashes_of_the_script_model_are_typed_as_slashes() -> None:
    assert as_typed("14/3\u20442024") == "14/3/2024"
    assert as_typed("37\u2215KH-UBND") == "37/KH-UBND"
    assert as_typed("Hòa Bình") == "Hòa Bình"


def test_a_page_past_its_deadline_reads_no_further_line(page_a: Image.Image) -> None:
    gray = np.asarray(page_a.convert("L"))
    regions = detect.detect_lines(gray)
    past = ocr.Deadline(5.0, time.monotonic() - 1.0)  # spent by the page's earlier stages
    with pytest.raises(ocr.TesseractTimeout, match="over 5 s"):
        ocr.recognise_lines(gray, regions, deadline=past)


def test_every_reading_of_a_page_shares_one_deadline(
    page_a: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small photo-like page is read, widened, doubted and read again: each Tesseract run
    is bounded by the page's one deadline, not one of its own per stage."""
    small = cv2.resize(np.asarray(page_a.convert("L")), None, fx=0.22, fy=0.22,
                       interpolation=cv2.INTER_AREA)
    seen: list[ocr.Deadline] = []
    read_line = ocr._read_line

    def spy(*args, **kwargs):
        seen.append(args[4])
        return read_line(*args, **kwargs)

    monkeypatch.setattr(ocr, "_read_line", spy)
    page = pages.ocr_page(PageImage(number=1, pixels=cv2.GaussianBlur(small, (0, 0), 0.8),
                                    dpi=66.0), OcrOptions(timeout=600))
    assert page.scale > 1.0 and page.lines
    assert len(seen) > len(page.lines)  # lines read more than once
    assert len({id(deadline) for deadline in seen}) == 1
    assert seen[0].seconds == 600 and seen[0].at is not None
