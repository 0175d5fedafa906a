"""A doubted line of an enlarged page read again at other sizes, the reading chosen by the
syllable language model with Tesseract's confidence (pipeline.hypotheses): real Tesseract on
pages rendered by pipeline.synth."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline import correct, detect, hypotheses, ocr, preprocess
from pipeline.api import ocr_document
from pipeline.evaluation.metrics import word_f1, words
from pipeline.models import Box, Word
from pipeline.restore import load_language_model
from pipeline.restore.build import DEFAULT_MODEL_PATH
from pipeline.synth import degrade, render_pages

SAMPLE = Path(__file__).parents[1] / "samples" / "kh-phong-ldtbxh-phu-ninh-giam-ngheo.txt"

needs_model = pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="model not built")


def _reading(*pairs: tuple[str, float]) -> list[Word]:
    return [Word(text=text, confidence=confidence, box=Box(10 * i, 0, 8, 10))
            for i, (text, confidence) in enumerate(pairs)]


@needs_model
def test_the_model_outweighs_a_few_points_of_confidence() -> None:
    """Tesseract's confident misreading of a line loses to a less confident reading the
    language model likes far better; a reading that drops a word is not preferred for it."""
    lm = load_language_model()
    wrong = _reading(("Văn", 93), ("bản", 95), ("bánh", 96), ("chích", 92))
    right = _reading(("Văn", 90), ("bản", 91), ("hành", 84), ("chính", 80))
    shorter = _reading(("Văn", 90), ("bản", 91), ("hành", 84))
    assert hypotheses.line_score(right, lm) > hypotheses.line_score(wrong, lm)
    assert hypotheses.line_score(right, lm) > hypotheses.line_score(shorter, lm)
    assert hypotheses.line_score(_reading(("...", 90)), lm) == -np.inf


def _small_photo() -> tuple[np.ndarray, str]:
    """The sample's first page at about 65 dpi, softened as a phone's photo is; its text."""
    rendered = render_pages(SAMPLE.read_text(encoding="utf-8"))[0]
    page = np.asarray(rendered.image.convert("L"))
    small = cv2.resize(page, None, fx=0.22, fy=0.22, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), 0.8), rendered.truth


@pytest.mark.slow
@needs_model
def test_a_confident_misreading_is_replaced_by_the_reading_the_model_prefers() -> None:
    photo, truth = _small_photo()
    cleaned = preprocess.clean_page(photo)
    assert cleaned.scale > 1.0  # enlarged: its lines may be read again
    gray = cleaned.pixels
    regions = detect.detect_lines(gray)
    first = ocr.recognise_lines(gray, regions, enlarged=True)
    chosen = copy.deepcopy(first)
    models: dict[int, str] = {}
    assert hypotheses.choose_readings(gray, regions, chosen, load_language_model(),
                                      models=models) > 0
    true_words = Counter(words(truth))

    def found(lines) -> int:
        return sum((Counter(words(" ".join(w.text for line in lines for w in line.words)))
                    & true_words).values())

    assert found(chosen) > found(first) + 10
    # a word Tesseract was sure enough of that the correction would not reopen it, wrong, and
    # the same word right in the reading chosen
    fixed = [
        (old.text, new.text)
        for before, after in zip(first, chosen, strict=True)
        for old, new in zip(before.words, after.words, strict=False)
        if old.confidence >= correct.LOW_CONFIDENCE and len(before.words) == len(after.words)
        and not true_words[old.text.strip(".,;:")] and true_words[new.text.strip(".,;:")]
    ]
    assert fixed
    boxes = [(line.box, chosen[i].box) for i, line in enumerate(first)]
    assert all(  # the lines keep where they were read
        new.top >= old.top and new.top + new.height <= old.top + old.height
        and new.left >= old.left and new.left + new.width <= old.left + old.width
        for old, new in boxes
    )
    assert set(models.values()) <= {"vie", ocr.with_script_model("vie")}


@pytest.mark.slow
@needs_model
def test_the_choice_reads_a_small_photo_better_and_a_300_dpi_scan_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resized = []
    read = ocr.read_region_resized

    def spy(*args, **kwargs):
        resized.append(args[2])
        return read(*args, **kwargs)

    monkeypatch.setattr(ocr, "read_region_resized", spy)
    # the line choice alone: the letters Tesseract weighed (test_tesseract_choices) not offered
    monkeypatch.setattr(ocr, "_letter_choices", lambda api: [])
    photo, truth = _small_photo()
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), photo)
    chosen = ocr_document(small).text
    assert resized
    with monkeypatch.context() as off:
        off.setattr(hypotheses, "RESIZES", ())
        plain = ocr_document(small).text
    assert word_f1(chosen, truth) > word_f1(plain, truth) + 0.01

    resized.clear()
    rendered = render_pages(SAMPLE.read_text(encoding="utf-8"))[0]
    scan = tmp_path / "scan.png"
    degrade(rendered.image, seed=3, level="scan").save(scan)
    document = ocr_document(scan)
    assert document.pages[0].scale == 1.0
    assert not resized  # a 300-dpi scan takes the old path

    half = tmp_path / "half.png"  # clean print scanned at 150 dpi: enlarged, yet read surely
    low = degrade(rendered.image, seed=3, level="low-dpi")
    low.save(half, dpi=low.info.get("dpi", (150, 150)))
    document = ocr_document(half)
    assert document.pages[0].scale > 1.0
    assert not resized
