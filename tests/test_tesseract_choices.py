"""The letters Tesseract's LSTM weighed for each letter it read (ocr.CHOICE_SPAN), carried on
the words of an enlarged page into the correction, which may read a word as one of their
spellings when the language model clearly prefers it: real Tesseract on pages rendered by
pipeline.synth."""

from __future__ import annotations

import copy
import json
from collections import Counter

import numpy as np
import pytest

from pipeline.correct import SURE, correct_lines
from pipeline.evaluation.metrics import word_f1, words
from pipeline.inputs import PageImage
from pipeline.manifest import _page_from_json, _page_to_json
from pipeline.models import Box, Line, Page, Word
from pipeline.pages import OcrOptions, ocr_page
from pipeline.restore.build import DEFAULT_MODEL_PATH
from pipeline.restore.candidates import choice_spellings
from pipeline.synth import degrade, render_pages
from tests.test_line_choice import SAMPLE, _small_photo

needs_model = pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="model not built")


def _word(text: str, choices: tuple = ()) -> Word:
    return Word(text=text, confidence=92.0, box=Box(0, 0, 1, 1), choices=choices)


def _misread(cost: float) -> Line:
    """ "Văn bản hành chính của xã" read "bánh chích", Tesseract having weighed the right
    letters at ``cost`` nats each."""
    return Line([
        _word("Văn"), _word("bản"),
        _word("bánh", ((("b", 0.0), ("h", cost)), (("á", 0.0), ("à", cost)), (("n", 0.0),),
                       (("h", 0.0),))),
        _word("chích", ((("c", 0.0),), (("h", 0.0),), (("í", 0.0),), (("c", 0.0), ("n", cost)),
                        (("h", 0.0),))),
        _word("của"), _word("xã"),
    ], Box(0, 0, 1, 1), 0)


def test_spellings_swap_at_most_two_letters_cheapest_first() -> None:
    letters = ((("b", 0.0), ("h", -0.5)), (("á", 0.0), ("à", -0.2)), (("n", 0.0), ("m", -3.0)))
    spelled = choice_spellings(letters)
    assert spelled[0] == ("bàn", -0.2)
    assert ("hàn", -0.7) in spelled
    assert all(text != "hàm" for text, _ in spelled)  # three letters: not Tesseract's word


@needs_model
def test_a_confident_real_word_becomes_a_spelling_tesseract_weighed() -> None:
    """Two valid syllables read with confidence change only through Tesseract's letters, and
    only while their cost leaves the context's preference above the real-word margin."""
    near = _misread(-0.5)
    correct_lines([near])
    assert near.text == "Văn bản hành chính của xã"
    assert near.words[2].corrected_from == "bánh"
    far = _misread(-6.0)
    correct_lines([far])
    assert far.text == "Văn bản bánh chích của xã"
    without = _misread(-0.5)
    for word in without.words:
        word.choices = ()
    correct_lines([without])
    assert without.text == "Văn bản bánh chích của xã"


def test_the_choices_are_stored_with_the_page_and_read_back_as_read() -> None:
    page = Page(number=1, width=10, height=10, deskew_angle=0.0,
                lines=[_misread(-0.5), Line([_word("xã")], Box(0, 0, 1, 1), 1)])
    again = _page_from_json(json.loads(json.dumps(_page_to_json(page))))
    assert again == page


@pytest.mark.slow
@needs_model
def test_a_small_photo_is_corrected_through_its_letters_and_a_300_dpi_scan_has_none() -> None:
    photo, truth = _small_photo()
    page = ocr_page(PageImage(1, photo, None), OcrOptions(correct=False))
    assert page.scale > 1.0
    lines = [line for line in page.lines if not line.junk]
    assert any(word.choices for line in lines for word in line.words)
    plain = copy.deepcopy(lines)
    for line in plain:
        for word in line.words:
            word.choices = ()
    correct_lines(plain)
    correct_lines(lines)
    with_choices = "\n".join(line.text for line in lines)
    assert word_f1(with_choices, truth) > word_f1("\n".join(line.text for line in plain),
                                                 truth) + 0.01
    true_words = Counter(words(truth))
    # a valid syllable Tesseract was sure of, wrong, made right through the letters it weighed
    assert any(
        word.confidence >= SURE and not true_words[old.text.strip(".,;:")]
        and old.text == (word.corrected_from or word.text)
        and true_words[word.text.strip(".,;:")]
        for line, kept in zip(lines, plain, strict=True)
        for word, old in zip(line.words, kept.words, strict=True)
        if word.text != old.text
    )

    rendered = render_pages(SAMPLE.read_text(encoding="utf-8"))[0]
    scan = np.asarray(degrade(rendered.image, seed=3, level="scan"))
    page = ocr_page(PageImage(1, scan, 300.0), OcrOptions())
    assert page.scale == 1.0
    assert not any(word.choices for line in page.lines for word in line.words)


def test_a_page_stored_before_the_choices_reads_back() -> None:
    page = Page(number=1, width=10, height=10, deskew_angle=0.0,
                lines=[Line([_word("xã")], Box(0, 0, 1, 1), 0)])
    record = json.loads(json.dumps(_page_to_json(page)))
    del record["lines"][0]["words"][0]["choices"]
    assert _page_from_json(record) == page
