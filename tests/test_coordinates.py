"""Boxes are in the scan's own pixels, whatever the cleanup turned, deskewed or enlarged.

A page is turned a quarter, tilted 4 degrees and halved to 150 dpi; every box the pipeline gives
must, cropped from that distorted input, read again as its word. Boxes in the cleaned image's
frame (twice as large, turned back, level) would crop other words or paper.
"""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np
import pytesseract
import pytest
from PIL import Image
from rapidfuzz.fuzz import ratio

from pipeline.inputs import PageImage
from pipeline.models import Box, Page, Word
from pipeline.pages import OcrOptions, _boxes_on_scan, ocr_page
from pipeline.preprocess import clean_page
from pipeline.synth import render_pages
from tests.conftest import PLAN_B

TILT = 4.0  # degrees counter-clockwise, after the quarter turn


@pytest.fixture(scope="module")
def distorted() -> np.ndarray:
    upright = render_pages(PLAN_B)[0].image  # 300 dpi
    turned = upright.transpose(Image.Transpose.ROTATE_90)  # a quarter counter-clockwise
    tilted = turned.rotate(TILT, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    small = tilted.resize((tilted.width // 2, tilted.height // 2), Image.Resampling.LANCZOS)
    return np.asarray(small)


@pytest.fixture(scope="module")
def page(distorted: np.ndarray) -> Page:
    return ocr_page(PageImage(1, distorted, 150.0), OcrOptions(correct=False))


def test_the_page_has_the_scans_size_and_records_the_cleanup(
    page: Page, distorted: np.ndarray
) -> None:
    assert (page.height, page.width) == distorted.shape
    assert page.rotation == 270 and page.scale > 1.5
    assert page.deskew_angle == pytest.approx(-TILT, abs=0.2)
    assert page.text_angle == pytest.approx(90 + TILT, abs=0.2)
    assert page.dpi == 150.0
    boxes = [line.box for line in page.lines] + [w.box for line in page.lines for w in line.words]
    assert all(
        b.left >= 0 and b.top >= 0
        and b.left + b.width <= page.width and b.top + b.height <= page.height for b in boxes
    )
    # the text runs down the turned page: lines are tall and narrow
    assert all(line.box.height > line.box.width for line in page.lines if len(line.words) > 3)


def test_each_box_crops_its_own_word_from_the_distorted_scan(
    page: Page, distorted: np.ndarray
) -> None:
    words = [w for line in page.lines for w in line.words
             if len(_letters(w.text)) >= 4 and w.confidence >= 85]
    assert len(words) >= 12
    sample = [words[i] for i in np.linspace(0, len(words) - 1, 12).round().astype(int)]
    reread = [(word.text, _reread(distorted, word, page.text_angle)) for word in sample]
    matched = [text for text, read in reread if ratio(_letters(text), _letters(read)) >= 80]
    assert len(matched) >= 10, reread


def _reread(scan: np.ndarray, word: Word, text_angle: float) -> str:
    """The word's box cut from the scan, set upright at 300 dpi, read as one line of text."""
    box, margin = word.box, 2
    crop = scan[max(box.top - margin, 0) : box.top + box.height + margin,
                max(box.left - margin, 0) : box.left + box.width + margin]
    upright = Image.fromarray(crop).rotate(
        -text_angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    upright = upright.resize((upright.width * 2, upright.height * 2), Image.Resampling.BICUBIC)
    framed = Image.new("L", (upright.width + 40, upright.height + 40), 255)
    framed.paste(upright, (20, 20))
    return pytesseract.image_to_string(framed, lang="vie", config="--psm 7").strip()


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum())


def test_a_photographed_sheets_rectification_is_in_the_transform() -> None:
    """Ink of the rectified sheet, taken back through the cleanup's transform, is ink of the
    photograph: the perspective warp is composed in as it was applied."""
    sheet = np.full((900, 1200), 255, np.uint8)
    for top in range(100, 800, 60):
        sheet[top : top + 18, 150:1050] = 20  # bars like lines of text
    corners = np.array([[180, 90], [1050, 160], [990, 1000], [120, 930]], np.float32)
    source = np.array([[0, 0], [1199, 0], [1199, 899], [0, 899]], np.float32)
    warp = cv2.getPerspectiveTransform(source, corners)
    photo = cv2.warpPerspective(sheet, warp, (1200, 1100), borderValue=50)  # on a dark table
    cleaned = clean_page(photo, steps=("perspective", "deskew"))
    assert cleaned.pixels.shape != photo.shape
    ink = cv2.erode((cleaned.pixels < 60).astype(np.uint8), np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero(ink)
    assert len(xs) > 10_000
    back = np.linalg.inv(cleaned.transform) @ np.stack([xs + 0.5, ys + 0.5, np.ones(len(xs))])
    columns = np.floor(back[0] / back[2]).astype(int)
    rows = np.floor(back[1] / back[2]).astype(int)
    inside = (columns >= 0) & (columns < photo.shape[1]) & (rows >= 0) & (rows < photo.shape[0])
    assert inside.all()
    assert (photo[rows, columns] < 35).mean() > 0.98  # the bars' ink, not paper or table


def test_a_pages_boxes_map_together_as_each_alone(distorted: np.ndarray) -> None:
    """All of a page's boxes go back to the scan in one product; each comes out as it would
    alone, to the pixel, over boxes anywhere on (and off) the page."""
    cleaned = clean_page(distorted)
    inverse = np.linalg.inv(cleaned.transform)
    height, width = distorted.shape[:2]
    rng = np.random.default_rng(0)
    boxes = [Box(int(x), int(y), int(w), int(h)) for x, y, w, h in zip(
        rng.integers(-40, cleaned.pixels.shape[1], 500),
        rng.integers(-40, cleaned.pixels.shape[0], 500),
        rng.integers(1, 400, 500), rng.integers(1, 90, 500), strict=True)]
    together = _boxes_on_scan(boxes, inverse, width, height)
    assert together == [_boxes_on_scan([box], inverse, width, height)[0] for box in boxes]
    assert all(0 <= box.left < width and box.width >= 1 and box.left + box.width <= width
               for box in together)
