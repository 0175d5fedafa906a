"""Photos whose letters came out narrower than printed (a sheet shot at a slant) and marks that
Tesseract's own layout reads as text: real Tesseract on pages rendered by pipeline.synth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline import detect, ocr, preprocess
from pipeline.api import OcrOptions, ocr_document
from pipeline.evaluation.metrics import cer
from pipeline.synth import render_pages
from tests.conftest import PLAN_B

SAMPLE = Path(__file__).parents[1] / "samples" / "kh-xa-cam-binh-nong-thon-moi.txt"


def _small_photo(squeeze: float) -> tuple[np.ndarray, str]:
    """The sample's first page at about 65 dpi, softened as a phone's photo is, its width
    times ``squeeze``; and its true text."""
    rendered = render_pages(SAMPLE.read_text(encoding="utf-8"))[0]
    page = np.asarray(rendered.image.convert("L"))
    small = cv2.resize(page, None, fx=0.22 * squeeze, fy=0.22, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), 0.8), rendered.truth


def _widening_of(photo: np.ndarray) -> float:
    cleaned = preprocess.clean_page(photo)
    assert cleaned.scale > 1.0  # a small page: enlarged, so the search may run
    regions = detect.detect_lines(cleaned.pixels)
    read = ocr.recognise_lines(cleaned.pixels, regions, enlarged=True)
    return ocr.widening(cleaned.pixels, regions, read)


@pytest.mark.slow
def test_narrowed_letters_are_widened_and_letters_of_their_own_width_are_not() -> None:
    assert _widening_of(_small_photo(1.0)[0]) == 1.0
    assert _widening_of(_small_photo(0.72)[0]) > 1.0


@pytest.mark.slow
def test_a_widened_page_reads_better_with_its_boxes_on_the_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo, truth = _small_photo(0.72)
    path = tmp_path / "narrow.png"
    cv2.imwrite(str(path), photo)
    widened = ocr_document(path)
    monkeypatch.setattr(ocr, "WIDENINGS", ())
    as_it_is = ocr_document(path)
    assert cer(widened.text, truth) < 0.8 * cer(as_it_is.text, truth)
    height, width = photo.shape
    boxes = [word.box for line in widened.pages[0].lines for word in line.words]
    assert all(box.left + box.width <= width and box.top + box.height <= height
               for box in boxes)
    # the words' boxes, taken back through the widening, hold the photo's ink: boxes left on
    # the widened page (1.15-1.3 times as far right) would hold little more than half of it
    _, ink = cv2.threshold(photo, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    covered = np.zeros_like(ink)
    for box in boxes:
        covered[box.top : box.top + box.height, box.left : box.left + box.width] = 1
    assert (ink & covered).sum() > 0.9 * ink.sum()


def test_marks_read_by_tesseracts_layout_are_flagged_junk(tmp_path: Path) -> None:
    """A scribbled signature under the text, read by Tesseract's own layout (--layout
    tesseract, and the fallback when the detector misses text), stays out of the text."""
    page = np.array(render_pages(PLAN_B)[0].image.convert("L"))
    bottom = int(np.nonzero((page < 128).any(axis=1))[0].max())
    for k in range(3):
        x = np.linspace(300 + 700 * k, 900 + 700 * k, 400)
        y = bottom + 150 + 60 * np.sin(x / 23.0) + 40 * np.sin(x / 7.0 + k)
        cv2.polylines(page, [np.stack([x, y], 1).astype(np.int32)], False, 0, 5)
    path = tmp_path / "signed.png"
    cv2.imwrite(str(path), page)
    lines = ocr_document(path, OcrOptions(layout="tesseract")).pages[0].lines
    scribble = [line for line in lines if line.box.top > bottom + 20]
    assert scribble and all(line.junk for line in scribble)
    assert any(not line.junk for line in lines)


def test_a_page_of_letters_of_a_good_size_is_not_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 300 dpi the letters are not enlarged, and the search costs nothing."""
    searched = []
    monkeypatch.setattr(ocr, "widening", lambda *args, **kwargs: searched.append(1) or 1.0)
    path = tmp_path / "page.png"
    render_pages(PLAN_B)[0].image.save(path)
    assert ocr_document(path).pages[0].scale == 1.0
    assert not searched
