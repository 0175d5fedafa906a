"""Low-resolution and blurred pages, as a phone or a web page gives them: real Tesseract, with
the Vietnamese script model when it is installed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline import ocr, preprocess
from pipeline.api import ocr_document
from pipeline.evaluation.metrics import cer
from pipeline.preprocess import clean_page
from pipeline.synth import degrade, render_pages
from tests.conftest import PLAN_B

SAMPLE = Path(__file__).parents[1] / "samples" / "kh-xa-cam-binh-nong-thon-moi.txt"


def _script_model_installed() -> bool:
    folder = Path(ocr._tessdata())
    return any((folder / f"{name}.traineddata").is_file()
               for name in (ocr.SCRIPT_MODEL, f"script/{ocr.SCRIPT_MODEL}"))


needs_script_model = pytest.mark.skipif(
    not _script_model_installed(),
    reason="Tesseract's Vietnamese script model is not installed (make setup installs it)",
)


@needs_script_model
def test_script_model_reads_first_for_vietnamese_only() -> None:
    assert ocr.with_script_model("vie") == f"{ocr.SCRIPT_MODEL}+vie"
    assert ocr.with_script_model("vie+eng") == f"{ocr.SCRIPT_MODEL}+vie+eng"
    assert ocr.with_script_model("eng") == "eng"  # an English page keeps its own model
    already = f"{ocr.SCRIPT_MODEL}+vie"
    assert ocr.with_script_model(already) == already


@needs_script_model
def test_doubtful_lines_are_read_again_with_both_models() -> None:
    """Lines are read with vie alone; the engine that reads doubtful ones again has both."""
    assert ocr._engine("vie").GetLoadedLanguages() == ["vie"]
    loaded = ocr._engine("vie", script=True).GetLoadedLanguages()
    assert loaded[0] == ocr.SCRIPT_MODEL
    assert "vie" in loaded


@needs_script_model
def test_only_enlarged_pages_are_read_again_with_the_script_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 300-dpi scan costs no second reading; the same page at 90 dpi, enlarged, gets it."""
    script_reads = []
    read_line = ocr._read_line

    def spy(*args, **kwargs):
        script_reads.append(kwargs.get("script", False))
        return read_line(*args, **kwargs)

    monkeypatch.setattr(ocr, "_read_line", spy)
    rendered = render_pages(SAMPLE.read_text(encoding="utf-8"))[0].image
    page = np.array(rendered.convert("L"))
    sharp, small = tmp_path / "sharp.png", tmp_path / "small.png"
    degrade(rendered, seed=3, level="scan").save(sharp)  # a few doubtful words, at 300 dpi
    cv2.imwrite(str(small), cv2.GaussianBlur(
        cv2.resize(page, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA), (0, 0), 1.2))
    assert ocr_document(sharp).pages[0].scale == 1.0
    assert script_reads and not any(script_reads)
    script_reads.clear()
    assert ocr_document(small).pages[0].scale > 1.0
    assert any(script_reads)


def test_languages_without_vietnamese_are_left_alone() -> None:
    assert ocr.with_script_model("eng") == "eng"


@pytest.mark.slow
def test_blurred_low_resolution_page_is_read(tmp_path: Path) -> None:
    """A page at 90 dpi, blurred as a hand-held photo is: upscaled, cleaned and read."""
    page = render_pages(PLAN_B)[0]
    pixels = np.array(page.image.convert("L"))
    small = cv2.resize(pixels, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    path = tmp_path / "mo.png"
    cv2.imwrite(str(path), cv2.GaussianBlur(small, (0, 0), 1.2))
    document = ocr_document(path)
    assert document.pages[0].scale >= 2.0  # its letters were enlarged towards 300 dpi
    assert "KẾ HOẠCH" in document.text
    assert cer(document.text, page.truth) < 0.06


def _side_leans(gray: np.ndarray) -> list[float]:
    """The lean of the left and the right side of a level page's text, degrees."""
    ends = preprocess._line_ends(preprocess._without_tall_ink(
        preprocess._small_ink(preprocess._reduce(gray))))
    rows = ends[:, 0]
    sides = [preprocess._straight_side(rows, ends[:, i], 2.0, 0.5 * np.ptp(rows))
             for i in (1, 2)]
    assert sides[0] is not None and sides[1] is not None
    return [float(np.degrees(np.arctan(slope))) for slope, _ in sides]


def _keystoned(narrowing: float) -> np.ndarray:
    """A rendered page of body text photographed from below its middle: its top narrower by
    ``narrowing`` of its width on each side, its lines level."""
    page = np.asarray(render_pages(SAMPLE.read_text(encoding="utf-8"))[0].image.convert("L"))
    height, width = page.shape
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    target = np.array([[narrowing * width, 0], [(1 - narrowing) * width, 0], [width, height],
                       [0, height]], np.float32)
    return cv2.warpPerspective(page, cv2.getPerspectiveTransform(source, target),
                               (width, height), borderValue=255)


def test_converging_sides_of_the_text_are_set_upright() -> None:
    """The sides of the text meet below the page: deskew sets both upright, and its
    homography is in the transform, so the page's ink taken back through it is the photo's."""
    photo = _keystoned(0.1)
    left, right = _side_leans(photo)
    assert left < -2 and right > 2  # the sides converge towards the top
    cleaned = clean_page(photo, steps=("deskew",))
    assert all(abs(lean) < 0.5 for lean in _side_leans(cleaned.pixels))
    ys, xs = np.nonzero(cv2.erode((cleaned.pixels < 60).astype(np.uint8), np.ones((3, 3))))
    back = np.linalg.inv(cleaned.transform) @ np.stack([xs + 0.5, ys + 0.5, np.ones(len(xs))])
    height, width = photo.shape
    columns = np.floor(back[0] / back[2]).astype(int).clip(0, width - 1)
    rows = np.floor(back[1] / back[2]).astype(int).clip(0, height - 1)
    assert (photo[rows, columns] < 128).mean() > 0.9


def test_upright_sides_are_left_alone() -> None:
    page = np.asarray(render_pages(SAMPLE.read_text(encoding="utf-8"))[0].image.convert("L"))
    ink = preprocess._small_ink(preprocess._reduce(page))
    assert preprocess._level_converging_sides(ink, preprocess._analysis_scale(page.shape),
                                              page.shape) is None
