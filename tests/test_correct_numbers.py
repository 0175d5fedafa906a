"""Numbers Tesseract reads with look-alike letters ("0l", "l2", "1§.") are read as numbers by
the correction, with the shipped models; words, codes, document symbols and Roman numeral
headings are left as they are. Rendered pages are read by real Tesseract (pipeline.synth)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.correct import correct_lines, recorrect_page
from pipeline.inputs import read_pages
from pipeline.models import Box, Line, Word
from pipeline.pages import OcrOptions, ocr_page
from pipeline.synth import write_scans

_BOX = Box(0, 0, 10, 10)


def _corrected(*texts: str, confidence: float = 85.0) -> list[list[str]]:
    lines = [Line([Word(word, confidence, _BOX) for word in text.split()], _BOX, 0)
             for text in texts]
    correct_lines(lines, "vie")
    return [[word.text for word in line.words] for line in lines]


@pytest.mark.parametrize(("read", "meant"), [
    ("Căn cứ Nghị định ngày 23 tháng 0l năm 2018", "Căn cứ Nghị định ngày 23 tháng 01 năm 2018"),
    ("Đắk Lắk, ngày 26 tháng l2 năm 2022", "Đắk Lắk, ngày 26 tháng 12 năm 2022"),
    ("Thông báo ngày I1 tháng 12 năm 2014", "Thông báo ngày 11 tháng 12 năm 2014"),
    ("§. Hướng dẫn 1§. Công văn 2§. Phiếu báo", "8. Hướng dẫn 18. Công văn 28. Phiếu báo"),
    ("ban hành ngày 12/0l/2018 (l5 điều)", "ban hành ngày 12/01/2018 (15 điều)"),
])
def test_a_number_read_with_look_alike_letters_is_the_number(read: str, meant: str) -> None:
    assert _corrected(read) == [meant.split()]


def test_the_number_keeps_tesseracts_reading_for_reviewers() -> None:
    line = Line([Word("tháng", 90, _BOX), Word("0l", 86, _BOX)], _BOX, 0)
    correct_lines([line], "vie")
    assert (line.words[1].text, line.words[1].corrected_from) == ("01", "0l")
    assert line.words[1].correction_score is not None and line.words[1].correction_score < 0


@pytest.mark.parametrize("text", [
    "I. MỤC ĐÍCH, YÊU CẦU",
    "II. NỘI DUNG THỰC HIỆN",
    "III. TỔ CHỨC THỰC HIỆN",
    "Il. NỘI DUNG",
    "Kế hoạch số 37/KH-UBND ngày 10/3/2025",
    "Nghị định số 13/2018/NĐ-CP",
    "nhà số 29/2 P13, xe hạng B2, ca F0",
    "khí O2 và phòng chống Covid-19",
    "Điều 5 § 3 của luật",
    "lô S12 và khu Z30",
])
def test_words_codes_symbols_and_roman_numerals_are_left_alone(text: str) -> None:
    assert _corrected(text, confidence=92.0) == [text.split()]


def test_a_headings_roman_numeral_read_with_a_one_is_no_number() -> None:
    """ "1I." and "1l." opening a line are a heading's "II." as often as an "11."."""
    for heading in ("1I.", "1l."):
        assert _corrected(f"{heading} MỤC TIÊU, CHỈ TIÊU")[0][0] != "11."
        assert _corrected(f"ngày {heading[:2]} tháng 5")[0][1] == "11"


_PLAN = """ỦY BAN NHÂN DÂN
XÃ AN PHÚ

KẾ HOẠCH
Tổ chức ngày hội đại đoàn kết toàn dân tộc năm 2025

I. MỤC ĐÍCH, YÊU CẦU
Phát huy truyền thống đoàn kết của nhân dân trong khu dân cư.
II. NỘI DUNG
Ngày hội được tổ chức từ ngày 01 tháng 11 đến ngày 18 tháng 11 năm 2025.
Kinh phí theo Quyết định số 120/QĐ-UBND ngày 12/01/2025 của Ủy ban nhân dân xã.
III. TỔ CHỨC THỰC HIỆN
Các ban, ngành, đoàn thể xã triển khai thực hiện kế hoạch này.
"""

# what Tesseract does to the numbers of phone photos: 1 read as "l", 8 as "§"
_PHOTO_MISREADS = {"01": "0l", "11": "l1", "18": "1§", "12/01/2025": "l2/0l/2025"}


@pytest.mark.slow
def test_a_rendered_plan_keeps_its_headings_and_gets_its_misread_numbers_back(
    tmp_path: Path,
) -> None:
    """The page as rendered and read: headings and numbers stay; the same page with its
    numbers misread as on photos, corrected again from those readings, has them back."""
    source = tmp_path / "ke-hoach.txt"
    source.write_text(_PLAN, encoding="utf-8")
    scan = write_scans(source, tmp_path / "scans", seed=11, level="scan")[0]
    page = ocr_page(next(iter(read_pages(scan))), OcrOptions(), scan)
    # Tesseract reads this page right, its "I." heading too (though "II." as "H."): the
    # correction leaves every line as read
    assert [line.text for line in page.lines] == [line.raw_text for line in page.lines]
    assert "I. MỤC ĐÍCH, YÊU CẦU" in page.text
    numbers = sorted(re.findall(r"\d[\d/]*", page.text))
    assert numbers == sorted(re.findall(r"\d[\d/]*", _PLAN)), page.text

    misread = 0
    for line in page.lines:
        for word in line.words:
            reading = _PHOTO_MISREADS.get(word.text.rstrip(".,"))
            if reading is not None and word.corrected_from is None:
                word.text, misread = word.text.replace(word.text.rstrip(".,"), reading), misread + 1
    assert misread >= 4
    recorrect_page(page, "vie", None)
    assert sorted(re.findall(r"\d[\d/]*", page.text)) == numbers
    assert "I. MỤC ĐÍCH, YÊU CẦU" in page.text
