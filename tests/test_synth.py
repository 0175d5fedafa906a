"""Tests for the synthetic scan generator, including a real Tesseract round trip."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from pipeline import synth

PLAN = """\
ỦY BAN NHÂN DÂN
HUYỆN ĐẠI LỘC
Số: 87/KH-UBND

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Đại Lộc, ngày 12 tháng 5 năm 2024

KẾ HOẠCH
Phòng, chống thiên tai và tìm kiếm cứu nạn trên địa bàn huyện năm 2024

Thực hiện Chỉ thị số 05/CT-UBND ngày 20 tháng 3 năm 2024 của Ủy ban nhân dân tỉnh về công \
tác phòng, chống thiên tai, Ủy ban nhân dân huyện ban hành kế hoạch với các nội dung sau:

I. MỤC ĐÍCH, YÊU CẦU
Chủ động phòng ngừa, ứng phó kịp thời, khắc phục khẩn trương và có hiệu quả hậu quả do \
thiên tai gây ra; giảm thiểu thiệt hại về người và tài sản của Nhà nước và nhân dân.
Nâng cao nhận thức của cộng đồng về phòng, chống thiên tai; phát huy phương châm bốn tại \
chỗ: chỉ huy tại chỗ, lực lượng tại chỗ, phương tiện và vật tư tại chỗ, hậu cần tại chỗ.

II. NHIỆM VỤ VÀ GIẢI PHÁP
1. Công tác chuẩn bị
Rà soát, cập nhật phương án ứng phó với bão mạnh, siêu bão và lũ lụt; kiểm tra hệ thống \
đê điều, hồ chứa nước, kênh mương trước mùa mưa lũ.
Tổ chức diễn tập cứu hộ, cứu nạn tại các xã vùng trũng thấp, ven sông Vu Gia và sông Thu Bồn.
2. Công tác ứng phó
Khi có cảnh báo thiên tai, các xã tổ chức sơ tán người dân ra khỏi khu vực nguy hiểm, bảo \
đảm lương thực, nước uống và thuốc men thiết yếu cho người dân.

III. TỔ CHỨC THỰC HIỆN
Phòng Nông nghiệp và Phát triển nông thôn là cơ quan thường trực, có trách nhiệm theo dõi, \
đôn đốc việc triển khai kế hoạch này và tổng hợp báo cáo Ủy ban nhân dân huyện trước ngày \
15 tháng 12 năm 2024.

Nơi nhận:
- UBND tỉnh (b/c);
- Các xã, thị trấn;
- Lưu: VT.

TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
(Đã ký)
Trần Thị Thanh Hương
"""


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def _source_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _long_plan() -> str:
    """PLAN's header and closing around a body of unique lines long enough for several pages."""
    blocks = PLAN.strip().split("\n\n")
    sentence = "Các đơn vị rà soát phương án ứng phó, bảo đảm an toàn cho người dân vùng trũng thấp"
    body = [
        "\n".join(
            [f"{n}. NHIỆM VỤ SỐ {n}"]
            + [f"Đoạn {n}.{k}: " + "; ".join([sentence] * (k % 4 + 1)) + "." for k in range(1, 6)]
        )
        for n in range(1, 13)
    ]
    return "\n\n".join([*blocks[:3], *body, *blocks[-2:]])


def _page_of_each_line(truths: list[str], source: list[str]) -> list[int]:
    """Page index of every source line, in order; a line cut by a page break counts once (on
    the page where it starts) but only if its two parts are the last and first lines there."""
    lines = [(n, line) for n, truth in enumerate(truths) for line in truth.split("\n")]
    pages, i = [], 0
    for expected in source:
        page, line = lines[i]
        if line != expected:
            next_page, rest = lines[i + 1]
            assert next_page == page + 1 and f"{line} {rest}" == expected, expected
            i += 1
        pages.append(page)
        i += 1
    assert i == len(lines)
    return pages


@pytest.fixture(scope="module")
def plan_page() -> synth.RenderedPage:
    pages = synth.render_pages(PLAN)
    assert len(pages) == 1
    return pages[0]


def test_page_geometry_and_truth(plan_page: synth.RenderedPage) -> None:
    assert plan_page.image.mode == "L"
    assert plan_page.image.size == (2480, 3508)
    assert plan_page.truth.split("\n") == _source_lines(PLAN)
    ink = np.asarray(plan_page.image) < 128
    rows, cols = np.nonzero(ink)
    mm = 300 / 25.4
    assert cols.min() >= 30 * mm - 1 and cols.max() <= 2480 - 15 * mm + 1
    assert rows.min() >= 20 * mm - 1 and rows.max() <= 3508 - 20 * mm + 1


def test_scan_is_ocrable(plan_page: synth.RenderedPage) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract not installed")
    scan = synth.degrade(plan_page.image, seed=3)
    text = _collapse(pytesseract.image_to_string(scan, lang="vie"))
    for word in ("KẾ HOẠCH", "thiên tai", "NHIỆM VỤ", "phương án", "cứu nạn", "sơ tán"):
        assert word in text, word
    truth = _collapse(plan_page.truth)
    assert Levenshtein.normalized_distance(text, truth) < 0.1
    # Tesseract reads the two-column header and closing row by row, which costs most of the
    # page error above; the single-column body on its own must be nearly exact.
    body = _between(text, "KẾ HOẠCH", "Nơi nhận")
    assert Levenshtein.normalized_distance(body, _between(truth, "KẾ HOẠCH", "Nơi nhận")) < 0.03


def test_long_text_paginates_in_order() -> None:
    text = _long_plan()
    pages = synth.render_pages(text)
    source = _source_lines(text)
    assert len(pages) > 2
    truths = [page.truth for page in pages]
    assert any(line not in source for truth in truths for line in truth.split("\n")), "no split"
    on_page = _page_of_each_line(truths, source)
    assert on_page == sorted(on_page) and on_page[0] == 0
    assert set(on_page[-8:]) == {len(pages) - 1}  # recipients and signature kept together
    ink = np.asarray(pages[1].image) < 128
    assert ink[: 20 * 300 * 10 // 254].sum() == 0  # nothing above the top margin


def test_degrade_is_deterministic_and_clean_is_identity(plan_page: synth.RenderedPage) -> None:
    image = plan_page.image
    first = synth.degrade(image, seed=7)
    assert first.mode == "L" and first.size == image.size
    assert first.tobytes() == synth.degrade(image, seed=7).tobytes()
    assert first.tobytes() != synth.degrade(image, seed=8).tobytes()
    assert synth.degrade(image, seed=7, level="clean") is image
    with pytest.raises(ValueError):
        synth.degrade(image, seed=7, level="photo")


def test_write_scans(tmp_path: Path) -> None:
    source = tmp_path / "ke-hoach.txt"
    source.write_text(PLAN, encoding="utf-8")
    first = synth.write_scans(source, tmp_path / "a", seed=1)
    second = synth.write_scans(source, tmp_path / "b", seed=1)
    assert [p.name for p in first] == ["ke-hoach-p1.png"]
    assert first[0].read_bytes() == second[0].read_bytes()
    assert first[0].stat().st_size < 600_000
    with Image.open(first[0]) as png:
        assert png.mode == "L" and len(np.unique(np.asarray(png))) <= synth.GRAY_LEVELS
    gt = (tmp_path / "a" / "ke-hoach-p1.gt.txt").read_text(encoding="utf-8")
    assert gt == synth.render_pages(PLAN)[0].truth + "\n"


def test_short_text_is_all_body() -> None:
    (page,) = synth.render_pages("Dòng thứ nhất\n\nII. DÒNG THỨ HAI")
    assert page.truth == "Dòng thứ nhất\nII. DÒNG THỨ HAI"


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(synth, "FONT_DIRS", (tmp_path,))
    with pytest.raises(FileNotFoundError, match="fonts-liberation2"):
        synth.font_path("bold")


@pytest.mark.parametrize("level", [lv for lv in synth.LEVELS if lv != "clean"])
def test_every_degradation_level_damages_the_page_its_own_way(
    plan_page: synth.RenderedPage, level: str
) -> None:
    image = synth.degrade(plan_page.image, seed=5, level=level)
    width, height = plan_page.image.size
    expected_size = {
        "rotated90": (height, width),
        "low-dpi": (width // 2, height // 2),
    }.get(level, (width, height))
    assert image.size == expected_size
    assert image.mode == ("RGB" if level == "colour-stamp" else "L")
    assert image.info["dpi"][0] == (150 if level == "low-dpi" else 300)
    pixels = np.asarray(image)
    if level == "colour-stamp":
        red = (pixels[..., 0].astype(int) - pixels[..., 1]) > 80
        assert red.sum() > 1000  # a red seal is on the page
    if level == "rotated180":
        upright = np.asarray(plan_page.image)
        assert np.abs(np.rot90(pixels, 2).astype(int) - upright).mean() < np.abs(
            pixels.astype(int) - upright
        ).mean()


def test_unknown_level_is_refused(plan_page: synth.RenderedPage) -> None:
    with pytest.raises(ValueError, match="unknown degradation level"):
        synth.degrade(plan_page.image, seed=0, level="coffee-stain")


# A short plan written for these tests (fictional commune and people), typed as plain lines the
# way documents are usually copied out: header columns one after the other, no blank lines.
PLAIN_PLAN = """\
ỦY BAN NHÂN DÂN
XÃ TÂN LẬP ĐÔNG
Số: 42/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Tân Lập Đông, ngày 03 tháng 6 năm 2024
KẾ HOẠCH
Tổ chức ngày hội đọc sách cho thiếu nhi
trên địa bàn xã năm 2024
Căn cứ Kế hoạch số 15/KH-UBND ngày 10/4/2024 của Ủy ban nhân dân huyện về phát triển văn hóa đọc;
Ủy ban nhân dân xã ban hành kế hoạch tổ chức ngày hội đọc sách như sau:
I. MỤC ĐÍCH, YÊU CẦU
Khơi dậy niềm yêu thích đọc sách của thiếu nhi; mỗi thôn có ít nhất một tủ sách dùng chung.
II. NỘI DUNG
1. Thời gian: sáng ngày 01 tháng 7 năm 2024, tại sân nhà văn hóa xã.
2. Các thôn vận động gia đình quyên góp sách cũ còn dùng được cho tủ sách thôn.
Nơi nhận:
- UBND huyện (b/c);
- Các thôn;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Đinh Văn Khải
"""

APPENDIX = """\
PHÂN CÔNG CHUẨN BỊ NGÀY HỘI
(Kèm theo Kế hoạch số 42/KH-UBND ngày 03/6/2024 của UBND xã)
TT | Việc | Người phụ trách
1 | Trang trí sân khấu, bàn ghế và tủ sách của các thôn | Đoàn Thanh niên
2 | Mời tác giả địa phương giao lưu với thiếu nhi | Hội Khuyến học
"""


def _box_of(page: synth.RenderedPage, text: str) -> synth.Box:
    return next(box for line, box in page.lines if line == text)


def test_plain_lines_are_told_apart() -> None:
    parts = synth.find_parts(PLAIN_PLAN)
    assert parts.left == ["ỦY BAN NHÂN DÂN", "XÃ TÂN LẬP ĐÔNG", "Số: 42/KH-UBND"]
    assert parts.right == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Tân Lập Đông, ngày 03 tháng 6 năm 2024",
    ]
    assert parts.title == [
        "KẾ HOẠCH", "Tổ chức ngày hội đọc sách cho thiếu nhi", "trên địa bàn xã năm 2024",
    ]
    body = [para.text for para in parts.body]
    assert body[0].startswith("Căn cứ Kế hoạch số 15/KH-UBND") and len(body) == 7
    assert body[2] == "I. MỤC ĐÍCH, YÊU CẦU" and body[-1].startswith("2. Các thôn")
    assert parts.recipients == ["Nơi nhận:", "- UBND huyện (b/c);", "- Các thôn;", "- Lưu: VT."]
    assert parts.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Đinh Văn Khải"]
    assert not parts.salutation and not parts.appendix


def test_hard_wrapped_blank_separated_text_gives_the_same_parts() -> None:
    """Blank lines anywhere, markdown bold and a paragraph typed as printed, split mid-sentence."""
    text = PLAIN_PLAN.replace("KẾ HOẠCH\n", "\n**KẾ HOẠCH**\n").replace(
        "ít nhất một tủ sách", "ít nhất một\ntủ sách"
    ).replace("\nNơi nhận:", "\n\nNơi nhận:\n").replace("TM.", "\n**TM.").replace(
        "CHỦ TỊCH\n", "CHỦ TỊCH**\n\n"
    )
    assert synth.find_parts(text) == synth.find_parts(PLAIN_PLAN)


def test_letter_has_subject_under_its_number_and_addressees() -> None:
    letter = PLAIN_PLAN.replace("KH-UBND", "UBND-VX").replace(
        "KẾ HOẠCH\nTổ chức ngày hội đọc sách cho thiếu nhi\ntrên địa bàn xã năm 2024\n",
        "Kính gửi:\n- Trường Tiểu học Tân Lập Đông;\n- Các thôn trong xã.\n",
    ).replace("Số: 42/UBND-VX\n", "Số: 42/UBND-VX\nV/v tổ chức ngày hội đọc sách\ncho thiếu nhi\n")
    parts = synth.find_parts(letter)
    assert parts.left[-3:] == ["Số: 42/UBND-VX", "V/v tổ chức ngày hội đọc sách", "cho thiếu nhi"]
    assert parts.title == []
    assert parts.salutation == [
        "Kính gửi:", "- Trường Tiểu học Tân Lập Đông;", "- Các thôn trong xã.",
    ]
    assert parts.body[0].text.startswith("Căn cứ")


def test_plain_lines_follow_decree_30_layout() -> None:
    (page,) = synth.render_pages(PLAIN_PLAN)
    assert page.truth.split("\n") == _source_lines(PLAIN_PLAN)
    width = page.image.width
    middle = (30 + (210 - 15 - 30) * synth.LEFT_COLUMN) * 300 / 25.4  # the columns' border
    issuer, number = _box_of(page, "XÃ TÂN LẬP ĐÔNG"), _box_of(page, "Số: 42/KH-UBND")
    motto, date = (_box_of(page, "Độc lập - Tự do - Hạnh phúc"),
                   _box_of(page, "Tân Lập Đông, ngày 03 tháng 6 năm 2024"))
    assert issuer[2] < middle < motto[0] and number[2] < middle < date[0]
    assert abs(number[3] - date[3]) < 15  # number and place-date share a row
    title = _box_of(page, "KẾ HOẠCH")
    text_centre = (30 + (210 - 15)) / 2 * 300 / 25.4
    assert abs((title[0] + title[2]) / 2 - text_centre) < 5 and title[1] > date[3]
    heading = _box_of(page, "I. MỤC ĐÍCH, YÊU CẦU")
    assert title[3] < heading[1]
    noi_nhan, authority = _box_of(page, "Nơi nhận:"), _box_of(page, "TM. ỦY BAN NHÂN DÂN")
    name = _box_of(page, "Đinh Văn Khải")
    assert noi_nhan[2] < middle < authority[0] and abs(noi_nhan[1] - authority[1]) < 15
    assert name[1] - authority[3] > 2 * (authority[3] - authority[1])  # room to sign
    x0, y0, x1, y1 = page.image.info[synth.SIGNATURE_KEY]
    assert x0 <= authority[0] and name[2] <= x1 and y0 <= authority[1] and name[3] <= y1 < 3508
    assert x1 < width


def test_appendix_starts_a_page_with_a_ruled_table() -> None:
    first, annex = synth.render_pages(PLAIN_PLAN + APPENDIX)
    assert first.truth.endswith("Đinh Văn Khải")
    assert annex.truth.split("\n") == _source_lines(APPENDIX)
    heading, row = _box_of(annex, "PHÂN CÔNG CHUẨN BỊ NGÀY HỘI"), _box_of(annex, "Đoàn Thanh niên")
    assert heading[1] < 30 * 300 / 25.4 and heading[3] < row[1]
    ink = np.asarray(annex.image) < 128
    ruled = ink.sum(axis=1) > 0.9 * (210 - 45) * 300 / 25.4  # rows of ink across the text width
    rules = np.count_nonzero(np.diff(ruled.astype(int)) == 1)
    assert rules == 4  # above the heads, between rows, below the last row
    cell = [box for line, box in annex.lines if "Trang trí sân khấu" in line][0]
    assert cell[2] < _box_of(annex, "Đoàn Thanh niên")[0]  # wrapped within its column


def test_red_seal_over_the_left_third_of_the_signature() -> None:
    (page,) = synth.render_pages(PLAIN_PLAN)
    scan = synth.degrade(page.image, seed=4, level="scan", red_seal=True)
    assert scan.mode == "RGB" and scan.size == page.image.size
    pixels = np.asarray(scan).astype(int)
    red = (pixels[..., 0] - pixels[..., 1] > 80) & (pixels[..., 0] > 150)
    assert red.sum() > 5000
    rows, cols = np.nonzero(red)
    x0, y0, x1, y1 = page.image.info[synth.SIGNATURE_KEY]
    third = x0 + (x1 - x0) / 3
    assert cols.min() < third and cols.max() > x0  # covers part of the left third
    assert x0 - 50 < cols.mean() < (x0 + x1) / 2  # centred left of the block's middle
    assert y0 < rows.mean() < y1
    copy = synth.degrade(page.image, seed=4, level="photocopy", red_seal=True)
    assert copy.mode == "L"  # a black-and-white copier loses the colour


def test_write_pdf_has_every_page_and_its_truth(tmp_path: Path) -> None:
    pypdfium2 = pytest.importorskip("pypdfium2")
    path = synth.write_pdf(PLAIN_PLAN + APPENDIX, tmp_path / "ke-hoach.pdf", level="scan", seed=3)
    pdf = pypdfium2.PdfDocument(path)
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points
    finally:
        pdf.close()
    pages = path.with_suffix(".gt.txt").read_text(encoding="utf-8").rstrip("\n").split("\f")
    assert len(pages) == 2 and "Đinh Văn Khải" in pages[0] and "Hội Khuyến học" in pages[1]


def test_synth_command_writes_pdfs(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    source = tmp_path / "ke-hoach.txt"
    source.write_text(PLAIN_PLAN, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["synth", str(source), "-o", str(tmp_path / "out"), "--format", "pdf",
               "--level", "photocopy"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "out" / "ke-hoach.pdf")
    assert (tmp_path / "out" / "ke-hoach.gt.txt").read_text(encoding="utf-8").startswith(
        "ỦY BAN NHÂN DÂN\n"
    )
