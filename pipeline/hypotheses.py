"""Tesseract's readings of a doubted line at other sizes, chosen by the syllable language model.

On an enlarged page (a photo, a low-resolution scan) Tesseract misreads whole words of a line
with confidence ("hành chính" as "bánh chích" at 79-96), and which reading of a line is right
changes with the size its letters are read at, and with the model (``vie`` or the Vietnamese
script model first, :func:`ocr.with_script_model`): no one size suits every line of a page.
So each line Tesseract is not sure of (a word under LINE_SURE) is read again at each of
RESIZES, and the reading kept is the one the language model and Tesseract together like best
(:func:`line_score`): the syllables' trigram log-probability, a non-syllable paying what the
repairer pays to keep one (``RepairConfig.keep_logp``), Tesseract's own confidence, and a
bonus per word so that a reading is not preferred for dropping words.

On the real photos (python -m pipeline.evaluation.photo_eval), picking per line the reading
closest to the truth would raise the word-F1 from 0.867 to 0.874 among the readings
:func:`ocr.recognise_lines` already makes, to 0.904 with these sizes; :func:`line_score` gets
0.890. A page read at its own size (a 300-dpi scan) is never read again.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from pipeline import ocr
from pipeline.detect import LineRegion
from pipeline.models import Box, Line, Word
from pipeline.restore.align import core
from pipeline.restore.lm import BOS_ID, NUM_ID, UNK_ID, LanguageModel
from pipeline.restore.repair import DEFAULT_CONFIG

# A line all of whose words Tesseract gave LINE_SURE or more is kept as read.
LINE_SURE = 95.0
# (factor of the crop's size, read with the script model first): the sizes and models a
# doubted line is read again at, beside the reading recognise_lines kept. Smaller than the
# enlarged page, most of all: the page is enlarged for the detector and the cleanup, and
# Tesseract reads some lines better nearer their own size. The script model's first: they
# change most lines' readings, and a line is read no further once its best reading is one
# Tesseract is sure of (LINE_SURE).
RESIZES = ((0.75, True), (0.6, True), (1.33, True), (0.6, False), (0.75, False))
# Tesseract's word confidence (0-100), per 10 points below 100, in nats of the language model;
# and nats per word of the reading, so that a reading is not preferred for dropping words: a
# word the model gives more than exp(-WORD_BONUS) adds to a reading's score, a misreading
# (a non-syllable costs keep_logp, -14) takes from it. Both were set on the real photos, over
# 0.25-1 and 3-14, where the choice changed little between 0.25 and 0.5 and between 3 and 10
# (the syllables of our own plans' true text get -2.8 from the model, median; -3.7 mean).
CONFIDENCE_WEIGHT = 0.5
WORD_BONUS = 6.0
# A page whose words Tesseract read with PAGE_SURE mean confidence or more is kept as read: a
# low-resolution scan of clean print (95.3-96.5 on our 150-dpi renders), where reading its
# lines again tripled the page's time for 3 words in 10,000. The photos that gained were read
# at 64-94 (python -m pipeline.evaluation.photo_eval).
PAGE_SURE = 95.0


def doubted(lines: list[Line]) -> bool:
    """Whether Tesseract doubts the page enough for its lines to be read again."""
    confidences = [word.confidence for line in lines for word in line.words]
    return bool(confidences) and sum(confidences) / len(confidences) < PAGE_SURE


def line_score(words: list[Word], lm: LanguageModel) -> float:
    """How much the language model and Tesseract like a reading of a line, in nats: higher is
    better. Every word brings its doubt, a mark read as "__" or "." too: the language model
    and the bonus are the words'; a reading of marks only is worth nothing."""
    ids = []
    for word in words:
        letters = unicodedata.normalize("NFC", core(word.text)).lower()
        if letters:
            ids.append(NUM_ID if any(ch.isdigit() for ch in letters) else lm.id_of(letters))
    if not ids:
        return -np.inf
    seen = np.array(ids, dtype=np.uint64)
    before = np.concatenate([[BOS_ID], seen[:-1]]).astype(np.uint64)
    two_before = np.concatenate([[BOS_ID, BOS_ID], seen[:-2]])[: len(seen)].astype(np.uint64)
    logp = np.where(
        seen == UNK_ID, DEFAULT_CONFIG.keep_logp, lm.logprob([two_before, before], seen)
    )
    doubt = sum(100.0 - word.confidence for word in words) / 10.0
    return float(logp.sum() - CONFIDENCE_WEIGHT * doubt + WORD_BONUS * len(ids))


def choose_readings(
    gray: np.ndarray, regions: list[LineRegion], lines: list[Line], lm: LanguageModel, *,
    lang: str = "vie", deadline: ocr.Deadline = ocr.NO_DEADLINE,
    models: dict[int, str] | None = None,
) -> int:
    """Read each doubted line of ``lines`` (as :func:`ocr.recognise_lines` read them from
    ``regions`` of ``gray``, each line's ``paragraph`` its region's index) again at RESIZES,
    and keep, in place, the reading with the best :func:`line_score`; how many lines changed.
    ``models`` (region index: model, as Tesseract's -l) is kept up to date when given.
    ``deadline``: the page's."""
    script = ocr.with_script_model(lang)
    changed = 0
    for line in lines:
        if all(word.confidence >= LINE_SURE for word in line.words):
            continue
        box = regions[line.paragraph].box
        best, best_score, best_model = line.words, line_score(line.words, lm), None
        for factor, with_script in RESIZES:
            if with_script and script == lang:
                continue  # no script model installed
            words = ocr.read_region_resized(gray, box, factor, lang=lang, deadline=deadline,
                                            script=with_script, choices=True)
            score = line_score(words, lm)
            if score > best_score:
                best, best_score = words, score
                best_model = script if with_script else lang
                if all(word.confidence >= LINE_SURE for word in best):
                    break
        if best_model is not None:
            line.words = _within(best, line.box)
            line.box = ocr.union_all(line.words)
            if models is not None:
                models[line.paragraph] = best_model
            changed += 1
    return changed


def _within(words: list[Word], box: Box) -> list[Word]:
    """``words`` with their boxes cut to ``box``, the line as first read: a crop read at
    another size gives boxes a pixel or two larger, and the page's reading order is found from
    its lines' boxes (a two-column heading whose columns came to touch was read row by row)."""
    right, bottom = box.left + box.width, box.top + box.height
    for word in words:
        left = min(max(word.box.left, box.left), right - 1)
        top = min(max(word.box.top, box.top), bottom - 1)
        word.box = Box(left, top,
                       max(min(word.box.left + word.box.width, right), left + 1) - left,
                       max(min(word.box.top + word.box.height, bottom), top + 1) - top)
    return words
