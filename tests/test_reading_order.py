"""Reading order of detected lines: tables row by row, a Decree 30 page's column blocks column
by column."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import preprocess, reading_order
from pipeline.inputs import PageImage
from pipeline.models import Box, Line, Page, Word
from pipeline.pages import OcrOptions, ocr_page
from pipeline.synth import degrade, render_pages

# A plan whose appendix is a two-column schedule: ruled, the month beside what is done in it.
PLAN_WITH_TABLE = """ỦY BAN NHÂN DÂN
XÃ AN PHÚ
Số: 27/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
An Phú, ngày 12 tháng 3 năm 2024
KẾ HOẠCH
Trồng cây xanh trên các tuyến đường của xã năm 2024
I. MỤC ĐÍCH
Phát động toàn dân trồng cây xanh, tạo cảnh quan sạch đẹp cho các thôn.
Nơi nhận:
- UBND huyện;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Trần Văn Bình
PHỤ LỤC
(Kèm theo Kế hoạch số 27/KH-UBND ngày 12/3/2024)
Thời gian thực hiện | Nội dung công việc
Tháng 3 | Khảo sát các tuyến đường cần trồng cây
Tháng 4 | Chuẩn bị cây giống và phân bón
Tháng 5 | Ra quân trồng cây tại thôn Đông
Tháng 6 | Tổng kết và khen thưởng các thôn
"""
ROWS = [("Tháng 3", "Khảo sát"), ("Tháng 4", "Chuẩn bị"), ("Tháng 5", "Ra quân"),
        ("Tháng 6", "Tổng kết")]


@pytest.fixture(scope="module")
def schedule() -> Page:
    """The appendix page, scanned, read the detector's way by real Tesseract."""
    appendix = render_pages(PLAN_WITH_TABLE)[1]
    pixels = np.asarray(degrade(appendix.image, seed=7, level="scan"))
    return ocr_page(PageImage(2, pixels, 300.0), OcrOptions(correct=False))


def test_a_ruled_two_column_table_is_read_row_by_row(schedule: Page) -> None:
    text = schedule.text
    anchors = [part for row in ROWS for part in row]
    positions = [text.find(part) for part in anchors]
    assert -1 not in positions, text
    assert positions == sorted(positions), text  # month, its work, the next month...
    for month, work in ROWS:  # each row is one line of the JSON, cells left to right
        assert any(month in line.text and work in line.text for line in schedule.lines), month


def _line(text: str, left: int, top: int, height: int = 40) -> Line:
    """A line of words 20 px apart, each 18 px a letter."""
    words, x = [], left
    for part in text.split():
        words.append(Word(part, 95.0, Box(x, top, 18 * len(part), height)))
        x += 18 * len(part) + 20
    return Line(words=words, box=Box.around(w.box for w in words), paragraph=0)


WIDTH = 2480


def test_an_unruled_table_in_the_body_is_read_row_by_row() -> None:
    lines = [_line("Các thôn tổ chức họp dân và phát tờ rơi cho người dân trong xã", 300, 100)]
    for row in range(4):
        top = 200 + 70 * row
        lines += [_line(f"Thôn {row + 1}", 300, top), _line(f"Phát {20 * row} tờ rơi", 1400, top)]
    ordered = reading_order.order_lines(lines, WIDTH)
    assert [line.text for line in ordered] == [
        lines[0].text, "Thôn 1 Phát 0 tờ rơi", "Thôn 2 Phát 20 tờ rơi", "Thôn 3 Phát 40 tờ rơi",
        "Thôn 4 Phát 60 tờ rơi",
    ]


def test_a_header_and_a_closing_stay_column_by_column() -> None:
    """The header's rows stand side by side too, but it opens the page; the signature never
    pairs with the recipients line for line."""
    header = [
        _line("ỦY BAN NHÂN DÂN", 420, 100), _line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA", 1200, 100),
        _line("XÃ AN PHÚ", 484, 160), _line("Độc lập Tự do", 1301, 160),
        _line("Số: 27/KH-UBND", 440, 240), _line("An Phú, ngày 12", 1292, 240),
    ]
    body = [_line("Phát động toàn dân trồng cây xanh tạo cảnh quan sạch đẹp cho thôn", 300, 400)]
    closing = [
        _line("Nơi nhận:", 300, 600), _line("TM. ỦY BAN NHÂN DÂN", 1350, 600),
        _line("- UBND huyện;", 300, 660), _line("CHỦ TỊCH", 1452, 660),
        _line("- Lưu: VT.", 300, 720), _line("Trần Văn Bình", 1415, 880),
    ]
    ordered = [line.text for line in reading_order.order_lines(header + body + closing, WIDTH)]
    assert ordered == [line.text for line in [*header[::2], *header[1::2], *body,
                                              *closing[::2], *closing[1::2]]]


def test_a_line_a_seal_parted_in_two_stays_in_its_column() -> None:
    """Under a seal, "(Đã ký)" comes back as two pieces whose ends touch by a few pixels: they
    are one row beside each other, and the signature column reads down to the name."""
    closing = [
        _line("Nơi nhận:", 300, 600), _line("TM. BAN THƯỜNG TRỰC", 1350, 600),
        _line("- Ban Thường trực Ủy ban", 300, 660), _line("PHÓ CHỦ TỊCH", 1452, 660),
        _line("- UBND tỉnh;", 300, 720),
    ]
    signed = _line("(Đã", 1500, 713)
    after = _line("ký)", signed.box.left + signed.box.width - 4, 712)
    closing += [after, signed, _line("- Lưu: VT.", 300, 780), _line("Đặng Thị Hạnh", 1440, 880)]
    ordered = [line.text for line in reading_order.order_lines(closing, WIDTH)]
    assert ordered == ["Nơi nhận:", "- Ban Thường trực Ủy ban", "- UBND tỉnh;", "- Lưu: VT.",
                       "TM. BAN THƯỜNG TRỰC", "PHÓ CHỦ TỊCH", "(Đã ký)", "Đặng Thị Hạnh"]


def test_a_mark_touching_a_word_is_not_joined_to_its_line() -> None:
    title = _line("PHÓ CHỦ TỊCH", 1452, 660)
    mark = Line(words=[Word("ấ", 60.0, Box(1452 - 16, 655, 18, 40))],
                box=Box(1452 - 16, 655, 18, 40), paragraph=0)
    joined = reading_order.join_pieces([_line("TM. ỦY BAN NHÂN DÂN", 1350, 600), mark, title],
                                       WIDTH)
    assert "PHÓ CHỦ TỊCH" in [line.text for line in joined]


def test_a_header_row_read_as_one_line_is_parted_at_its_gutter() -> None:
    """The header's columns nearly touch on its first row: the detector gives one line, whose
    wide space lies where the rows under it leave their gutter."""
    first = _line("UBND TỈNH AN GIANG", 420, 100)
    motto = _line("CỘNG HÒA XÃ HỘI", first.box.left + first.box.width + 60, 100)
    joined = Line(words=first.words + motto.words, box=Box.around([first.box, motto.box]),
                  paragraph=0)
    lines = [joined, _line("SỞ TƯ PHÁP", 493, 160), _line("Độc lập Tự do", 819, 160),
             _line("Số: 110/QĐ-STP", 458, 240), _line("An Giang, ngày 28", 792, 240)]
    ordered = [line.text for line in reading_order.order_lines(lines, WIDTH)]
    assert ordered == ["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP", "Số: 110/QĐ-STP",
                       "CỘNG HÒA XÃ HỘI", "Độc lập Tự do", "An Giang, ngày 28"]


def test_rules_broken_by_a_grid_are_one_rule() -> None:
    page = np.full((400, 1000), 255, np.uint8)
    page[100:103, 50:480] = 0  # one row line, broken where a vertical rule was taken out
    page[100:103, 490:950] = 0
    page[300:303, 100:200] = 0  # an underline
    page[200:230, 100:400:40] = 0  # letters' stems, no rule
    rules = reading_order.find_rules(page)
    assert sorted((r.left, r.left + r.width) for r in rules) == [(50, 950), (100, 200)]


def test_the_rules_of_a_band_are_the_pages_rules_in_it() -> None:
    """A column block looks for rules in its own rows only, and finds there what the whole
    page's search finds, also where the band's edge cuts through a tall dark shape (a photo,
    a seal) or through the table's row lines."""
    pixels = np.asarray(degrade(render_pages(PLAN_WITH_TABLE)[1].image, seed=7, level="scan"))
    gray = preprocess.to_grayscale(preprocess.clean_page(pixels).pixels).copy()
    gray[1000:1300, 300:900] = 0  # a dark block, thicker than any rule
    whole = reading_order.find_rules(gray)
    assert len(whole) == 6  # the schedule's row lines
    in_band = reading_order.rules_by_band(gray)
    for top in range(0, gray.shape[0], 50):
        for bottom in (top + 30, top + 300):
            inside = [rule for rule in whole if top <= rule.top + rule.height / 2 <= bottom]
            assert in_band(top, bottom) == inside, (top, bottom)


def test_a_seals_marks_between_two_columns_make_no_table_row() -> None:
    """Recipients, a seal's marks read as junk, and the signer's title: three pieces a gutter
    apart, yet two columns, not a table row read across."""
    marks = _line("| (í", 1200, 660)
    marks.junk = True
    pieces = [_line("- UBND huyện;", 300, 660), marks, _line("CHỦ TỊCH", 1500, 660)]
    joined = reading_order.join_pieces(pieces, WIDTH)
    assert sorted(line.text for line in joined) == ["- UBND huyện;", "CHỦ TỊCH", "| (í"]
    table = [_line("Thôn 1", 300, 660), _line("12", 1200, 660), _line("Phát tờ rơi", 1500, 660)]
    assert [line.text for line in reading_order.join_pieces(table, WIDTH)] == [
        "Thôn 1 12 Phát tờ rơi"]


def test_a_body_line_above_the_closing_keeps_its_dash() -> None:
    """Space, dash and space look as wide as a header's gutter; but the line above a closing
    is body text, not the first row of a header."""
    body = [
        _line("Trong quá trình thực hiện nếu có vướng mắc các cơ quan báo cáo về", 300, 100),
        _line("Ban Chỉ đạo Tổng cục Chính trị - Bộ Quốc phòng để xem xét", 300, 160),
    ]
    closing = [
        _line("Nơi nhận:", 300, 260), _line("TRƯỞNG BAN", 1021, 260),
        _line("- Như trên;", 300, 320), _line("PHÓ THỦ TƯỚNG", 994, 320),
        _line("- Lưu: VT.", 300, 380), _line("Nguyễn Văn An", 994, 520),
    ]
    ordered = [line.text for line in reading_order.order_lines(body + closing, WIDTH)]
    assert ordered == [line.text for line in [*body, *closing[::2], *closing[1::2]]]
