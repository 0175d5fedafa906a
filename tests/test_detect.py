"""The text-line detector, line-by-line Tesseract, reading order and junk, on rendered pages."""

from __future__ import annotations

import json
import sysconfig
from dataclasses import astuple
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from pipeline import detect, ocr, preprocess, reading_order
from pipeline.cli import main
from pipeline.inputs import PageImage
from pipeline.models import Box, Document, Line, Page, Word
from pipeline.pages import OcrOptions, ocr_page
from pipeline.synth import degrade, font_path, render_pages
from pipeline.writers.json import write_json
from pipeline.writers.txt import write_txt
from tests.conftest import PLAN_A


@pytest.fixture(scope="module")
def rendered_a():
    return render_pages(PLAN_A)[0]


@pytest.fixture(scope="module")
def read_a() -> Page:
    """PLAN_A scanned with its grey seal over the signature block, read the detector's way."""
    pixels = np.asarray(degrade(render_pages(PLAN_A)[0].image, seed=1, level="scan"))
    return ocr_page(PageImage(1, pixels, 300.0), OcrOptions(correct=False, layout="detector"))


def test_the_detector_ships_in_a_wheel_and_runs_on_one_thread() -> None:
    model = resources.files(detect.DETECTOR_PACKAGE).joinpath(detect.DETECTOR_MODEL)
    assert Path(str(model)).is_relative_to(sysconfig.get_paths()["purelib"])
    session = detect._session()
    assert session is detect._session()  # made once per process
    assert session.get_session_options().intra_op_num_threads == 1


def test_every_rendered_line_is_found(rendered_a) -> None:
    regions = detect.detect_lines(np.asarray(rendered_a.image))
    for text, (x0, y0, x1, y1) in rendered_a.lines:
        covered = np.zeros(x1 - x0, bool)
        for region in regions:
            box = region.box
            shared = min(y1, box.top + box.height) - max(y0, box.top)
            if shared >= 0.5 * min(y1 - y0, box.height):
                covered[max(box.left - x0, 0) : max(box.left + box.width - x0, 0)] = True
        assert covered.mean() >= 0.9, text
    assert len(regions) <= len(rendered_a.lines) + 2  # neither split up nor made up


@pytest.fixture(scope="module", params=[1, 3])
def sealed(request) -> np.ndarray:
    """PLAN_A scanned with its grey seal over the signature block, cleaned: the pass over the
    whole page leaves doubtful blocks there to search again."""
    pixels = np.asarray(degrade(render_pages(PLAN_A)[0].image, seed=request.param, level="scan"))
    return preprocess.clean_page(pixels).pixels


def _blocks_labelled_on_the_whole_page(
    gray: np.ndarray, regions: list[detect.LineRegion], height: float
) -> tuple[list[Box], float]:
    """The doubtful blocks and the ink covered, the plain way: own components, every line and
    mark drawn on page-sized canvases, the whole page labelled."""
    _, ink = cv2.threshold(gray, detect.ink_level(gray), 255, cv2.THRESH_BINARY_INV)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    letters = (heights >= 0.3 * height) & (heights <= 1.5 * height) & (widths <= 3 * height)
    boxes, centres = stats[1:, :4][letters], centres[1:][letters].astype(int)
    covered = np.zeros(gray.shape, np.uint8)
    reach = round(0.3 * height)
    for box in (region.box for region in regions):
        covered[max(box.top - reach, 0) : box.top + box.height + reach,
                max(box.left - reach, 0) : box.left + box.width + reach] = 1
    held = covered[centres[:, 1], centres[:, 0]] == 1
    marks = np.zeros(gray.shape, np.uint8)
    for left, top, width, tall in boxes[~held].tolist():
        marks[top : top + tall, left : left + width] = 1
    for box in (r.box for r in regions if r.score < detect.DOUBTFUL_SCORE):
        marks[box.top : box.top + box.height, box.left : box.left + box.width] = 1
    reach = max(round(height), 1)
    marks = cv2.dilate(marks, np.ones((reach, 2 * reach), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    letters_in = np.bincount(labels[centres[:, 1], centres[:, 0]], minlength=count)
    blocks = [Box(*stats[label, :4].tolist()) for label in range(1, count)
              if letters_in[label] >= detect.MIN_BLOCK_LETTERS]
    return blocks, float(held.mean())


def test_shared_marks_give_the_blocks_and_coverage_of_the_whole_page(sealed) -> None:
    regions = detect._detect(sealed, detect.LONG_SIDE)
    height = float(np.median([region.box.height for region in regions]))
    marks = detect.ink_marks(sealed)
    blocks, covered = _blocks_labelled_on_the_whole_page(sealed, regions, height)
    assert blocks  # the seal's block is there to find
    found = detect._doubtful_blocks(sealed.shape, marks, regions, height)
    assert found == blocks
    assert all(type(value) is int for block in found for value in astuple(block))  # JSON
    assert detect.ink_covered(sealed, regions, marks) == covered
    assert detect.ink_covered(sealed, regions) == covered


def test_the_marks_are_found_once_for_both(sealed, monkeypatch: pytest.MonkeyPatch) -> None:
    marks = detect.ink_marks(sealed)
    expected = detect.detect_lines(sealed)
    monkeypatch.setattr(detect, "ink_marks", lambda gray: pytest.fail("marks found again"))
    regions = detect.detect_lines(sealed, marks)
    assert regions == expected
    assert detect.ink_covered(sealed, regions, marks) >= 0.99


def test_the_engine_stays_loaded() -> None:
    assert ocr._engine("vie") is ocr._engine("vie")


def test_decree_30_reading_order(read_a: Page) -> None:
    text = read_a.text
    order = ["ỦY BAN NHÂN DÂN", "XÃ HÒA BÌNH", "Số: 18/KH-UBND", "CỘNG HÒA XÃ HỘI",
             "Độc lập - Tự do - Hạnh phúc", "Hòa Bình, ngày 5 tháng 4 năm 2024", "KẾ HOẠCH",
             "I. MỤC ĐÍCH", "Nơi nhận:", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
             "Lê Văn Thắng"]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [part for part, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    paragraphs = text.split("\n\n")
    assert "ỦY BAN NHÂN DÂN\nXÃ HÒA BÌNH\nSố: 18/KH-UBND" in paragraphs  # a column: one
    assert "Nơi nhận:\n- UBND huyện;\n- Lưu: VT." in paragraphs
    assert "cho hộ nghèo năm 2024\n\nI. MỤC ĐÍCH" in text  # the title's summary ends


def test_detector_reads_the_page_well(read_a: Page) -> None:
    from pipeline.evaluation.metrics import cer

    assert cer(read_a.text, PLAN_A) < 0.02
    words = [word for line in read_a.lines for word in line.words]
    assert all(word.box.width > 0 and word.box.height > 0 for word in words)
    width, height = read_a.width, read_a.height
    assert all(w.box.left >= 0 and w.box.left + w.box.width <= width for w in words)
    assert all(w.box.top >= 0 and w.box.top + w.box.height <= height for w in words)


def test_tesseract_layout_is_kept(read_a: Page) -> None:
    pixels = np.asarray(degrade(render_pages(PLAN_A)[0].image, seed=1, level="scan"))
    page = ocr_page(PageImage(1, pixels, 300.0), OcrOptions(correct=False, layout="tesseract"))
    assert "KẾ HOẠCH" in page.text and "sửa chữa nhà ở" in page.text
    with pytest.raises(ValueError, match="unknown layout"):
        ocr_page(PageImage(1, pixels, 300.0), OcrOptions(layout="columns"))


def test_a_blank_page_falls_back_to_tesseract_and_reads_nothing() -> None:
    blank = np.full((1200, 900), 250, np.uint8)
    assert detect.detect_lines(blank) == []
    assert ocr_page(PageImage(1, blank, 300.0), OcrOptions(correct=False)).lines == []


def _line(text: str, confidence: float, top: int = 0) -> Line:
    words = [Word(part, confidence, Box(100 * k, top, 90, 40))
             for k, part in enumerate(text.split())]
    return Line(words=words, box=Box.around(w.box for w in words), paragraph=0)


def test_marks_read_as_letters_are_junk() -> None:
    lines = [
        _line("- Lưu: VT.", 92),  # text
        _line("Số: 18/KH-UBND", 90),  # a number and a code
        _line("TM. ỦY BAN NHÂN DÂN", 65),  # under a seal, still text
        _line("‘ỳ —~ ;", 85),  # a seal's ring: no word reads
        _line("Kế hoạch", 25),  # Tesseract unsure of it all
        _line("ĩx] Bẹe Ƒ nhân", 55),  # mostly unreadable and doubted
        _line("(B/c);", 85),  # a recipient's line run over: its abbreviation is text
        _line("V/v", 90),
        _line("ỳ/ĩ/x —", 85),  # slashes among marks are no abbreviation
    ]
    detect.flag_junk(lines)
    assert [line.junk for line in lines] == [
        False, False, False, True, True, True, False, False, True,
    ]


def test_a_blurred_line_of_syllables_is_text_however_unsure() -> None:
    lines = [
        _line("Kính gặt Teá án thân dân Œ)......", 37),  # a blurred photo's line: 5 syllables
        _line("Họ vàtc người bị Bật (Đ......", 35),
        _line("| PA tttÂT ra 3c0010", 16),  # a seal's ring: two syllables of six words
        _line("Kế hoạch", 25),  # two syllables are not enough to outweigh the doubt
    ]
    detect.flag_junk(lines)
    assert [line.junk for line in lines] == [False, False, True, True]


def test_a_small_form_line_of_leader_dots_is_read() -> None:
    """A form's fill-in line rendered small and enlarged, as a phone photo's is after the
    upscale step: Tesseract 5.5's noise filter drops the whole row, and the line is read
    again without it."""
    font = ImageFont.truetype(str(font_path("regular")), 11)
    text = "Địa chỉ (9):...................................."
    small = Image.new("L", (int(font.getlength(text)) + 22, 22), 255)
    ImageDraw.Draw(small).text((11, 3), text, font=font, fill=0)
    line = cv2.resize(np.asarray(small), None, fx=2.7, fy=2.7, interpolation=cv2.INTER_CUBIC)
    page = np.full((400, line.shape[1] + 200), 255, np.uint8)
    page[150 : 150 + line.shape[0], 100 : 100 + line.shape[1]] = cv2.GaussianBlur(line, (3, 3), 0)
    ys, xs = np.nonzero(page < 128)
    box = Box(int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
    crop, left, top = ocr._line_crop(page, box)
    assert ocr._read_line(crop, left, top, "vie", ocr.NO_DEADLINE) == []  # dropped as a noise row
    words = ocr._read_line(crop, left, top, "vie", ocr.NO_DEADLINE, noise_rows=True)
    assert "Địa" in " ".join(word.text for word in words)
    assert "Địa" in ocr.recognise_lines(page, [detect.LineRegion(box, 0.95)])[0].text


def test_junk_leaves_the_text_and_stays_in_the_json(tmp_path: Path) -> None:
    lines = [_line("Nơi nhận:", 95, 0), _line("‘ỳ —~", 30, 60), _line("- Lưu: VT.", 95, 120)]
    detect.flag_junk(lines)
    ordered = reading_order.order_lines(lines, 2480)
    assert ordered[-1].junk  # junk goes last, out of the flow of the text
    page = Page(number=1, width=2480, height=3508, deskew_angle=0.0, lines=ordered)
    document = Document(source=tmp_path / "a.png", pages=[page])
    write_txt(document, tmp_path / "a.txt")
    write_json(document, tmp_path / "a.json")
    assert "‘ỳ" not in (tmp_path / "a.txt").read_text(encoding="utf-8")
    record = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    written = record["pages"][0]["lines"]
    assert [line["junk"] for line in written] == [False, False, True]
    assert written[2]["text"] == "‘ỳ —~"
    assert "‘ỳ" not in record["pages"][0]["text"]


def test_cli_layout_option(tmp_path: Path, png_a: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(main, ["ocr", str(png_a), "-o", str(tmp_path / "x"),
                                   "--layout", "columns"])
    assert refused.exit_code == 2
    done = runner.invoke(main, ["ocr", str(png_a), "-o", str(tmp_path / "out"), "--layout",
                                "tesseract", "--output-type", "none", "--jobs", "1"])
    assert done.exit_code == 0, done.output
    record = json.loads((tmp_path / "out" / "ke-hoach-a.json").read_text(encoding="utf-8"))
    assert record["settings"]["layout"] == "tesseract"
    assert record["pages"][0]["layout"] == "tesseract"  # what read the page, in its record
    assert list(record["pages"][0]["models"]) == ["vie"]
    assert "KẾ HOẠCH" in (tmp_path / "out" / "ke-hoach-a.txt").read_text(encoding="utf-8")


def test_the_marks_are_those_of_the_whole_page(sealed) -> None:
    """Only the rectangle around the ink is labelled, from an odd corner too: the same marks,
    in the same order, as labelling the whole page."""
    for top, left in ((0, 0), (7, 13)):
        page = np.full((sealed.shape[0] + top, sealed.shape[1] + left), 255, np.uint8)
        page[top:, left:] = sealed
        _, ink = cv2.threshold(page, detect.ink_level(page), 255, cv2.THRESH_BINARY_INV)
        _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
        marks = detect.ink_marks(page)
        assert np.array_equal(marks.boxes, stats[1:, :4])
        assert np.array_equal(marks.centres, centres[1:].astype(int))
    blank = detect.ink_marks(np.full((40, 60), 255, np.uint8))
    assert blank.boxes.shape == (0, 4) and blank.centres.shape == (0, 2)


def test_a_light_page_is_judged_by_its_own_ink(sealed) -> None:
    """A page whose darkest strokes are light grey (a grey photo): measured against its own
    ink and paper, it has the letters of the same page printed dark, and the detector's lines
    hold as much of them; measured against a fixed 127 it would have none."""
    light = (255 - (255 - sealed.astype(np.float32)) * 0.3).round().astype(np.uint8)
    assert light.min() > 170 and detect.ink_level(sealed) <= 160
    regions = detect.detect_lines(sealed)
    height = float(np.median([region.box.height for region in regions]))
    dark_letters = len(detect.ink_marks(sealed).letters(height)[1])
    light_letters = len(detect.ink_marks(light).letters(height)[1])
    assert light_letters >= 0.8 * dark_letters
    assert abs(detect.ink_covered(light, regions) - detect.ink_covered(sealed, regions)) < 0.02


def test_too_few_letters_cannot_judge_the_lines(rendered_a) -> None:
    """A handful of letters outside every line is no evidence the detector missed text: the
    page keeps its lines; a whole line's letters outside them are."""
    page = np.asarray(rendered_a.image.convert("L"))
    line = next(r.box for r in detect.detect_lines(page) if r.box.width > 30 * r.box.height)
    strip = page[line.top - line.height : line.top + 2 * line.height,
                 line.left - line.height : line.left + line.width + line.height]
    few = np.full_like(strip, 255)  # the line's first few letters only
    few[:, : 4 * line.height] = strip[:, : 4 * line.height]
    elsewhere = [detect.LineRegion(Box(0, 0, 5, line.height), 1.0)]  # holds no letter
    assert 0 < len(detect.ink_marks(few).letters(line.height)[1]) < detect.MIN_JUDGED_LETTERS
    assert detect.ink_covered(few, elsewhere) == 1.0
    assert detect.ink_covered(strip, elsewhere) == 0.0


def test_the_page_scaled_the_fast_way_gives_the_same_lines(
    rendered_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detector's input halved exactly before its area resize: the lines found are those
    of the page area-resized in one go, to a cell or two of the detector's output (a cell is
    about 7 px of a 300-dpi A4 page)."""
    page = np.asarray(rendered_a.image)
    fast = detect._detect(page, detect.LONG_SIDE)
    monkeypatch.setattr(detect, "shrink", lambda image, width, height: cv2.resize(
        image, (width, height), interpolation=cv2.INTER_AREA))
    direct = detect._detect(page, detect.LONG_SIDE)
    assert len(fast) == len(direct)
    for one, other in zip(sorted(fast, key=_corner), sorted(direct, key=_corner), strict=True):
        assert np.abs(np.subtract(astuple(one.box), astuple(other.box))).max() <= 15
        assert _overlap(one.box, other.box) >= 0.9
        assert one.score == pytest.approx(other.score, abs=0.02)


def _corner(region: detect.LineRegion) -> tuple[int, int]:
    return region.box.top, region.box.left


def _overlap(one: Box, other: Box) -> float:
    """Intersection over union."""
    width = min(one.left + one.width, other.left + other.width) - max(one.left, other.left)
    height = min(one.top + one.height, other.top + other.height) - max(one.top, other.top)
    shared = max(width, 0) * max(height, 0)
    return shared / (one.width * one.height + other.width * other.height - shared)


def test_the_session_finds_the_same_lines_whatever_it_ran_before(rendered_a) -> None:
    """The session keeps its memory between runs of every size (a block searched again, a
    page on its side): a page's lines do not depend on what came before."""
    page = np.asarray(rendered_a.image)
    first = detect.detect_lines(page)
    detect._detect(page[: page.shape[0] // 3, : page.shape[1] // 2], 320)
    detect._detect(np.ascontiguousarray(np.rot90(page)), detect.MAX_LONG_SIDE)
    assert detect.detect_lines(page) == first
