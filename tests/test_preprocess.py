"""Each cleanup step on small synthetic images, with its effect asserted."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline import preprocess
from pipeline.preprocess import (
    binarise,
    clean_page,
    estimate_orientation,
    estimate_skew,
    find_page_corners,
    flatten_background,
    rectify,
    remove_colour_marks,
    remove_stray_ink,
    rotate,
    rotate_quarter,
    to_grayscale,
    upscale_factor,
    whiten_paper,
)
from pipeline.synth import degrade, font_path, render_pages
from tests.conftest import PLAN_A


def _lines_image() -> np.ndarray:
    """Rows of dark bars like text lines on a 1200x900 page."""
    page = np.full((900, 1200), 255, np.uint8)
    for top in range(100, 800, 60):
        page[top : top + 18, 150:1050] = 20
    return page


@pytest.mark.parametrize("angle", [-12.0, -3.0, 1.5, 7.0])
def test_skew_is_measured_and_undone(angle: float) -> None:
    tilted = np.asarray(Image.fromarray(_lines_image()).rotate(angle, fillcolor=255, expand=True))
    measured = estimate_skew(tilted)
    assert measured == pytest.approx(-angle, abs=0.2)
    assert estimate_skew(rotate(tilted, measured)) == pytest.approx(0.0, abs=0.2)


def test_skew_search_finds_what_trying_every_angle_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Coarse to fine, on the half-size copy first: the same angle as trying every 0.05
    degrees on the full mask, for a fraction of the full-size turns."""
    tilted = np.asarray(Image.fromarray(_lines_image()).rotate(-6.3, fillcolor=255, expand=True))
    analysis = preprocess._InkAnalysis(preprocess._small_ink(preprocess._reduce(tilted)))
    every = np.round(np.arange(-15.0, 15.0 + 1e-9, 0.05), 2)
    exhaustive, _ = preprocess._best_angle(analysis.ink, every)
    sizes: list[tuple[int, ...]] = []
    real = preprocess._turn
    monkeypatch.setattr(preprocess, "_turn",
                        lambda ink, angle: sizes.append(ink.shape) or real(ink, angle))
    assert preprocess._skew(analysis) == exhaustive
    assert sizes.count(analysis.ink.shape) <= 21
    assert analysis.half.shape == (analysis.ink.shape[0] // 2, analysis.ink.shape[1] // 2)


def test_level_page_is_not_rotated() -> None:
    assert estimate_skew(_lines_image()) == 0.0


def test_blank_page_has_no_skew() -> None:
    assert estimate_skew(np.full((300, 300), 255, np.uint8)) == 0.0


def test_shadow_is_flattened() -> None:
    page = _lines_image().astype(np.float64)
    shadow = np.linspace(0.45, 1.0, page.shape[1])[None, :]  # dark left edge
    shaded = (page * shadow).astype(np.uint8)
    flat = flatten_background(shaded)
    paper = flat[50, :]  # a row with no ink
    assert paper.min() > 235  # the shadow is gone from the paper
    assert flat[105, 200] < 100  # ink stays dark under the shadow


def test_binarise_marks_strokes_as_ink_without_hollowing_them() -> None:
    gray = np.full((200, 2400), 200, np.uint8)
    gray[80:92, 50:2350] = 60  # a 12 px stroke, as thick as a bold heading's
    binary = binarise(gray)
    assert set(np.unique(binary)) <= {0, 255}
    assert (binary[80:92, 100:2300] == 0).all()
    assert binary[20, 20] == 255 and binary[150, 1200] == 255


def test_paper_is_whitened_and_ink_keeps_its_grey() -> None:
    gray = np.full((100, 100), 190, np.uint8)
    gray[40:60, 40:60] = 90
    gray[45:55, 45:55] = 30
    binary = np.full_like(gray, 255)
    binary[40:60, 40:60] = 0
    out = whiten_paper(gray, binary, margin=2)
    assert out[10, 10] == 255  # paper far from ink
    assert out[38, 50] == 190  # inside the margin: kept as scanned
    assert out[42, 42] == 90 and out[50, 50] == 30  # ink grey levels untouched


def test_specks_go_dots_stay() -> None:
    binary = np.full((100, 100), 255, np.uint8)
    binary[10, 10] = 0  # one-pixel speck
    binary[50:55, 50:55] = 0  # a diacritic-sized dot
    cleaned = remove_stray_ink(binary)
    assert cleaned[10, 10] == 255
    assert (cleaned[50:55, 50:55] == 0).all()


def test_clean_page_accepts_colour_input() -> None:
    rgb = np.stack([_lines_image()] * 3, axis=-1)
    rgb[:, :, 0] = np.maximum(rgb[:, :, 0], 40)  # a tinted scan
    cleaned = clean_page(rgb)
    assert cleaned.pixels.ndim == 2 and cleaned.pixels.dtype == np.uint8
    assert cleaned.deskew_angle == 0.0
    assert cleaned.pixels[50, 600] == 255 and cleaned.pixels[109, 600] < 100


@pytest.fixture(scope="module")
def upright_page() -> np.ndarray:
    return np.asarray(render_pages(PLAN_A)[0].image)


@pytest.mark.parametrize("quarter_turns, correction", [(0, 0), (1, 270), (2, 180), (3, 90)])
def test_orientation_is_found(
    upright_page: np.ndarray, quarter_turns: int, correction: int
) -> None:
    turned = np.ascontiguousarray(np.rot90(upright_page, k=quarter_turns))
    assert estimate_orientation(turned) == correction
    assert np.array_equal(rotate_quarter(turned, correction), upright_page)


def test_red_and_blue_marks_go_black_ink_stays() -> None:
    page = np.full((200, 300, 3), 250, np.uint8)
    page[90:110, 20:280] = 15  # a black text stroke
    ring_mask = cv2.circle(np.zeros((200, 300), np.uint8), (150, 100), 60, 255, 8) > 0
    page[ring_mask] = np.minimum(page[ring_mask], (200, 30, 40))  # red seal, inked over text
    cv2.line(page, (20, 170), (280, 190), (30, 60, 190), 4)  # blue signature
    before, after = to_grayscale(page), to_grayscale(remove_colour_marks(page))
    ring, signature, stroke_under_ring = (40, 150), (176, 100), (100, 90)
    assert before[ring] < 200 and after[ring] > 240
    assert before[signature] < 200 and after[signature] > 240
    assert after[stroke_under_ring] < 40


def test_low_resolution_page_is_enlarged(upright_page: np.ndarray) -> None:
    assert upscale_factor(upright_page) == 1.0
    half = cv2.resize(upright_page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert 1.7 <= upscale_factor(half) <= 2.3


def test_a_300_dpi_page_is_measured_on_a_half_size_copy_only(
    upright_page: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[float] = []
    real = preprocess._letter_height
    monkeypatch.setattr(preprocess, "_letter_height",
                        lambda gray, scale: measured.append(scale) or real(gray, scale))
    assert upscale_factor(upright_page) == 1.0
    assert measured == [0.5]


@pytest.mark.parametrize("resolution", [1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
def test_the_half_size_copy_never_changes_the_upscale_factor(
    upright_page: np.ndarray, monkeypatch: pytest.MonkeyPatch, resolution: float
) -> None:
    """From 300 dpi down to 150 dpi, through the threshold that decides (0.6 is enlarged,
    0.7 is not), the factor is what measuring the page itself gives."""
    page = cv2.resize(upright_page, None, fx=resolution, fy=resolution,
                      interpolation=cv2.INTER_AREA)
    found = upscale_factor(page)
    real = preprocess._letter_height
    monkeypatch.setattr(  # the copy judges nothing: the page is always measured
        preprocess, "_letter_height", lambda gray, scale: real(gray, scale) if scale == 1 else 0.0
    )
    assert upscale_factor(page) == found


def test_a_level_page_is_measured_but_never_warped(
    upright_page: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to turn, level, 300 dpi: the transform stays the identity, and no warp is made
    for nothing, not even a 0-degree turn of the small copy in the angle searches."""
    matrices: list[np.ndarray] = []
    real = cv2.warpAffine

    def recording(image: np.ndarray, matrix: np.ndarray, *args, **kwargs) -> np.ndarray:
        matrices.append(matrix)
        return real(image, matrix, *args, **kwargs)

    monkeypatch.setattr(cv2, "warpAffine", recording)
    cleaned = clean_page(upright_page)
    assert (cleaned.rotation, cleaned.deskew_angle, cleaned.scale) == (0, 0.0, 1.0)
    assert np.array_equal(cleaned.transform, np.eye(3))
    assert cleaned.pixels.shape == upright_page.shape
    assert matrices  # the searches did tilt the small copy
    assert not any(np.allclose(matrix, np.eye(2, 3)) for matrix in matrices)


def test_the_analyses_share_one_reduced_copy(
    upright_page: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Perspective, orientation and skew all look at one copy of an unchanged page; a step
    that redraws the pixels (a turn) makes a new one."""
    reduced: list[tuple[int, ...]] = []
    real = preprocess._reduce
    monkeypatch.setattr(preprocess, "_reduce",
                        lambda gray: reduced.append(gray.shape) or real(gray))
    clean_page(upright_page)
    assert reduced == [upright_page.shape]
    reduced.clear()
    assert clean_page(rotate_quarter(upright_page, 90)).rotation == 270
    assert reduced == [upright_page.shape[::-1], upright_page.shape]


def test_noisy_full_size_page_is_not_enlarged() -> None:
    """Specks pull the median ink height down; a page already A4-sized at 300 dpi must not be
    blown up 3-4x for it (it cost 1.3 GB and 11 s per page)."""
    noisy = np.asarray(degrade(render_pages(PLAN_A)[0].image, seed=3, level="heavy-noise"))
    assert upscale_factor(to_grayscale(noisy)) <= 1.2


def test_edge_band_and_specks_are_removed_text_stays() -> None:
    binary = np.full((400, 400), 255, np.uint8)
    binary[:, :30] = 0  # photocopier band down the left edge
    binary[200:215, 100:300] = 0  # text-like stroke
    binary[50, 350] = 0  # speck
    cleaned = remove_stray_ink(binary)
    assert (cleaned[:, :30] == 255).all()
    assert (cleaned[200:215, 100:300] == 0).all()
    assert cleaned[50, 350] == 255


def test_steps_run_in_chain_order_and_can_be_turned_off() -> None:
    seen: list[str] = []
    clean_page(
        _lines_image(), steps=["binarise", "deskew"], debug=lambda name, _: seen.append(name)
    )
    assert seen == ["deskew", "binarise"]
    with pytest.raises(ValueError, match="unknown cleanup step"):
        clean_page(_lines_image(), steps=["sharpen"])


def test_photographed_sheet_is_found_and_rectified() -> None:
    sheet = _lines_image()  # 1200 x 900, white paper with dark lines
    corners = np.array([[180, 90], [1050, 160], [990, 1000], [120, 930]], np.float32)
    source = np.array([[0, 0], [1199, 0], [1199, 899], [0, 899]], np.float32)
    warp = cv2.getPerspectiveTransform(source, corners)
    photo = cv2.warpPerspective(sheet, warp, (1200, 1100), borderValue=50)  # dark table
    found = find_page_corners(photo)
    assert found is not None
    assert np.abs(found - corners).max() < 15
    flat = rectify(photo, found)
    assert estimate_skew(flat) == pytest.approx(0.0, abs=0.5)


def test_flat_scan_has_no_sheet_to_rectify() -> None:
    assert find_page_corners(_lines_image()) is None


def test_photocopy_edge_bands_and_a_seal_do_not_turn_an_upright_page():
    """Dark bands along a photocopy's edges look like lines of text turned sideways, and a
    seal outweighs the few short lines of a closing page: neither may turn the page."""
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ AN HÒA\nSố: 12/KH-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\nAn Hòa, ngày 5 tháng 3 năm 2025\nKẾ HOẠCH\n"
        "Tổng vệ sinh môi trường năm 2025\nI. NỘI DUNG\n"
        + "".join(f"- Các thôn dọn vệ sinh đường làng, ngõ xóm đợt {n}.\n" for n in range(40))
        + "Nơi nhận:\n- Các thôn;\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nLê Văn An\n"
    )
    pages = render_pages(text)
    for seed, page in enumerate(pages):
        gray = np.asarray(degrade(page.image, seed=seed, level="photocopy").convert("L"))
        assert estimate_orientation(gray) == 0
        assert estimate_orientation(rotate_quarter(gray, 90)) == 270


def _screenshot_with_a_seal() -> np.ndarray:
    """Small text drawn the way screens smooth it (each colour channel one third of a pixel
    further right, so every stroke has a red fringe on one side and a blue one on the other),
    plus a red seal ring drawn over the lower part."""
    font = ImageFont.truetype(str(font_path()), 39)
    wide = Image.new("L", (3 * 700, 260), 255)
    draw = ImageDraw.Draw(wide)
    for row, text in enumerate(["Ủy ban nhân dân tỉnh Bắc Giang", "Kế hoạch thực hiện năm 2025",
                                "Tăng cường công tác tuyên truyền"]):
        draw.text((30, 20 + 80 * row), text, font=font, fill=0)
    thirds = np.asarray(wide, dtype=np.float32).reshape(260, 700, 3)
    pixels = np.empty((260, 700, 3), np.uint8)
    for channel in range(3):  # red from the left third of each pixel, blue from the right
        pixels[:, :, channel] = np.clip(
            thirds[:, :, max(channel - 1, 0):channel + 2].mean(axis=2), 0, 255
        )
    page = np.full((420, 700, 3), 255, np.uint8)
    page[:260] = pixels
    cv2.circle(page, (550, 330), 70, (200, 30, 30), 6)
    return page


def test_screen_text_keeps_its_coloured_fringes_while_a_seal_goes() -> None:
    page = _screenshot_with_a_seal()
    text, seal = page[:260], page[260:]
    inked = (text.min(axis=2) < 160).sum()
    cleaned = remove_colour_marks(page)
    assert (cleaned[:260].min(axis=2) < 160).sum() > 0.95 * inked
    assert (cleaned[260:] < 250).sum() < 0.02 * (seal < 250).sum()


def _page(text: str = PLAN_A) -> np.ndarray:
    """A rendered page at 150 dpi: the analyses see a copy about 1000 px across anyway."""
    return np.asarray(render_pages(text, dpi=150)[0].image)


@pytest.mark.parametrize("angle", [25.0, -35.0, 60.0, 120.0])
def test_page_photographed_turned_between_quarter_turns_is_levelled(angle: float) -> None:
    """A phone turned partway: the quarter turn and the tilt back together undo the angle,
    even where the tilt is more than a scan's skew."""
    turned = np.asarray(Image.fromarray(_page()).rotate(angle, fillcolor=255, expand=True))
    cleaned = clean_page(turned, steps=["orient", "deskew"])
    undone = (angle + cleaned.rotation + cleaned.deskew_angle + 180) % 360 - 180
    assert undone == pytest.approx(0.0, abs=0.5)


def test_a_form_with_leader_dots_is_told_upright_from_upside_down() -> None:
    """The dots of a form's fill-in lines outnumber its letters: against their height every
    letter looked tall and was left out of the up-or-down count."""
    form = "ĐƠN ĐỀ NGHỊ\n" + "".join(
        f"{label}: " + "." * 90 + "\n"
        for label in ["Họ và tên người đề nghị", "Địa chỉ", "Số điện thoại", "Nội dung"] * 3
    )
    page = _page(form)
    assert estimate_orientation(page) == 0
    assert estimate_orientation(rotate_quarter(page, 180)) == 180


def _photographed(corners: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """A rendered page warped onto ``corners`` of a ``frame`` (width, height) of dark table,
    a little blurred as a lens does."""
    page = _page()
    height, width = page.shape
    sheet = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    warp = cv2.getPerspectiveTransform(sheet, corners)
    photo = cv2.warpPerspective(page, warp, frame, flags=cv2.INTER_AREA, borderValue=60)
    return cv2.GaussianBlur(photo, (0, 0), 1.0)


@pytest.mark.parametrize("corners", [
    [[120, 80], [760, 140], [720, 1050], [60, 1000]],  # all in the picture
    [[120, 80], [760, 140], [860, 1250], [60, 1000]],  # bottom-right corner out of the frame
], ids=["whole", "corner-cut-off"])
def test_sheet_corners_are_found_even_beyond_the_frame(corners: list[list[int]]) -> None:
    """A corner the frame cuts off is where the sheet's own sides meet, not where the sheet
    leaves the picture; the corners are taken a little inside the edge, so no strip of the
    table comes along into the rectified page."""
    true_corners = np.array(corners, np.float32)
    photo = _photographed(true_corners, (820, 1100))
    found = find_page_corners(photo)
    assert found is not None
    assert np.abs(found - true_corners).max() < 8
    flat = rectify(photo, found)
    assert flat[:, :2].min() > 200 and flat[:, -2:].min() > 200  # paper to the very edge
    assert flat[:2].min() > 200


def test_a_side_wholly_out_of_the_picture_is_the_frame() -> None:
    """With both bottom corners cut off, three sides are the sheet's and the frame stands in
    for the fourth."""
    true_corners = np.array([[120, 80], [760, 140], [800, 1250], [40, 1200]], np.float32)
    photo = _photographed(true_corners, (820, 1100))
    found = find_page_corners(photo)
    assert found is not None
    assert np.abs(found[:2] - true_corners[:2]).max() < 8
    assert found[2:, 1] == pytest.approx(1100, abs=2)


def _band_tilts(gray: np.ndarray) -> list[float]:
    """The best tilt of the top, middle and bottom thirds of the page's text, in degrees."""
    ink = preprocess._small_ink(preprocess._reduce(gray))
    rows = np.flatnonzero(ink.sum(axis=1))
    edges = np.linspace(rows[0], rows[-1] + 1, 4).round().astype(int)
    angles = np.round(np.arange(-6.0, 6.01, 0.25), 2)
    return [preprocess._best_angle(np.ascontiguousarray(ink[a:b]), angles)[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)]


def test_lines_converging_in_a_slanted_photo_are_levelled() -> None:
    """A page photographed from its left side: its lines converge to the right, those at the
    top falling and those at the bottom rising. Deskew levels them all, and its homography is
    in the transform: the page's ink, taken back through it, is ink of the photo."""
    sample = Path(__file__).parents[1] / "samples" / "kh-xa-cam-binh-nong-thon-moi.txt"
    page = np.asarray(render_pages(sample.read_text(encoding="utf-8"))[1].image.convert("L"))
    height, width = page.shape
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    slanted = np.array([[0, 0], [width, 0.05 * height], [width, 0.95 * height], [0, height]],
                       np.float32)
    photo = cv2.warpPerspective(page, cv2.getPerspectiveTransform(source, slanted),
                                (width, height), borderValue=255)
    assert np.ptp(_band_tilts(photo)) > 3  # a page of body text, its lines converging
    cleaned = clean_page(photo, steps=("deskew",))
    assert np.ptp(_band_tilts(cleaned.pixels)) <= 0.75
    ys, xs = np.nonzero(cv2.erode((cleaned.pixels < 60).astype(np.uint8), np.ones((3, 3))))
    back = np.linalg.inv(cleaned.transform) @ np.stack([xs + 0.5, ys + 0.5, np.ones(len(xs))])
    columns = np.floor(back[0] / back[2]).astype(int).clip(0, width - 1)
    rows = np.floor(back[1] / back[2]).astype(int).clip(0, height - 1)
    assert (photo[rows, columns] < 128).mean() > 0.9


def test_a_level_page_is_not_warped() -> None:
    page = np.asarray(render_pages(PLAN_A)[0].image.convert("L"))
    cleaned = clean_page(page, steps=("deskew",))
    assert cleaned.pixels.shape == page.shape
    assert np.array_equal(cleaned.transform, np.eye(3))


def test_a_page_leaning_like_italics_is_set_upright() -> None:
    """A sheet photographed from below its middle: every letter leans the same way. Deskew
    shears its strokes upright; a level page's upright letters are left alone."""
    page = np.asarray(render_pages(PLAN_A)[0].image.convert("L"))
    height, width = page.shape
    lean = np.tan(np.radians(10.0))  # tops to the right, as italics
    matrix = np.float32([[1, -lean, lean * height], [0, 1, 0]])
    leaning = cv2.warpAffine(page, matrix, (width + int(lean * height), height),
                             borderValue=255)
    ink = preprocess._small_ink(preprocess._reduce(leaning))
    assert preprocess._slant(ink) == pytest.approx(10.0, abs=1.0)
    cleaned = clean_page(leaning, steps=("deskew",))
    assert preprocess._slant(preprocess._small_ink(preprocess._reduce(cleaned.pixels))) == 0.0
    assert cleaned.pixels.shape[1] > leaning.shape[1]  # the canvas grew to hold the shear
    assert preprocess._slant(preprocess._small_ink(preprocess._reduce(page))) == 0.0


@pytest.mark.parametrize("trim", [(0, 0), (1, 3)])  # an A4 page, and one of odd sides
def test_shrinking_is_the_area_average_of_the_page(upright_page: np.ndarray,
                                                   trim: tuple[int, int]) -> None:
    """The copies the analyses and the background estimate work on: halved exactly first,
    then area-resized, they are the size asked for and the page's own area average, but for
    the rounding of each halving and the odd row or column left out."""
    page = upright_page[: upright_page.shape[0] - trim[0], : upright_page.shape[1] - trim[1]]
    height, width = page.shape
    for size in ((width // 8, height // 8), (round(width * 1000 / height), 1000),
                 (width // 2, height // 2), (100, 50)):
        shrunk = preprocess.shrink(page, *size)
        direct = cv2.resize(page, size, interpolation=cv2.INTER_AREA)
        assert shrunk.shape == direct.shape
        difference = np.abs(shrunk.astype(int) - direct)
        assert difference.mean() < 2.0, size  # a grey level or two, at the letters' edges
        assert abs(float(shrunk.mean()) - float(direct.mean())) < 0.05, size
    assert preprocess.shrink(page, width, height) is page  # nothing to do: nothing done
    even = page[: height // 8 * 8, : width // 8 * 8]
    blocks = even.reshape(height // 8, 8, width // 8, 8).mean(axis=(1, 3))
    three_halvings = preprocess.shrink(even, width // 8, height // 8)
    assert np.abs(three_halvings - blocks).max() <= 1.5  # each halving rounds by half a level
