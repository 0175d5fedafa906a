"""Each cleanup step on small synthetic images, with its effect asserted."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.preprocess import (
    binarise,
    clean_page,
    estimate_skew,
    flatten_background,
    remove_specks,
    rotate,
    whiten_paper,
)


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
    cleaned = remove_specks(binary)
    assert cleaned[10, 10] == 255
    assert (cleaned[50:55, 50:55] == 0).all()


def test_clean_page_accepts_colour_input() -> None:
    rgb = np.stack([_lines_image()] * 3, axis=-1)
    rgb[:, :, 0] = np.maximum(rgb[:, :, 0], 40)  # a tinted scan
    cleaned = clean_page(rgb)
    assert cleaned.pixels.ndim == 2 and cleaned.pixels.dtype == np.uint8
    assert cleaned.deskew_angle == 0.0
    assert cleaned.pixels[50, 600] == 255 and cleaned.pixels[109, 600] < 100
