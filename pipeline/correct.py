"""Post-OCR correction of Tesseract's output with the restoration engine's repairer.

Tesseract's Vietnamese model is mostly right, so only suspect words are open to
any change: those that are not Vietnamese syllables (nor numbers or known
abbreviations) and those Tesseract itself doubted, which also get a wider
search.  The other words are valid syllables, yet its commonest error among them
is the tone mark over the right letters ("thế" for "thể", "Nguyên" for "Nguyễn"):
they may change tone, and nothing else, when the context clearly prefers it.
With an English-only model ("eng") the whole text is damaged the legacy way and
every word is open.  Words stay one to one with their boxes, and each change is
kept on the word for reviewers.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import MissingDependencyError
from pipeline.models import Line, Page
from pipeline.restore import (
    ModelMissingError,
    load_channel,
    load_language_model,
    repairer,
)
from pipeline.restore.align import core
from pipeline.restore.build import DEFAULT_MODEL_PATH
from pipeline.restore.repair import DEFAULT_CONFIG, RepairConfig
from pipeline.restore.syllable import is_valid_syllable

LOW_CONFIDENCE = 60.0  # Tesseract word confidence (0-100) below which a word is doubted
SURE = 90.0  # confidence above which a word that is no syllable is still taken as written


def _suspect(text: str, confidence: float, is_abbreviation: Callable[[str], bool]) -> bool:
    word = core(text)
    if len(word) < 2 or not any(ch.isalpha() for ch in word) or "/" in word:
        return False  # list markers, stray marks, numbers and document symbols
    if confidence < LOW_CONFIDENCE:
        return True
    if is_valid_syllable(word) or is_abbreviation(word):
        return False
    if not word.isalpha():
        return True  # digits or signs inside a word: "s6", "x&"
    return confidence < SURE and not word[:1].isupper()  # confident names stay: Hrê, Zalo


def _retone(text: str) -> bool:
    """A word whose tone alone may be wrong: a valid syllable of letters only."""
    word = core(text)
    return len(word) >= 2 and word.isalpha() and is_valid_syllable(word)


def correct_lines(
    lines: list[Line], lang: str = "vie", lm_path: Path | None = None,
    config: RepairConfig = DEFAULT_CONFIG,
) -> None:
    """Correct the words of a page's lines in place, recording each change on its word.

    A missing or broken model stops the batch (MissingDependencyError): every page would fail.
    """
    legacy = "vie" not in lang.split("+")
    try:
        lm = load_language_model(lm_path)
        channel = load_channel("eng" if legacy else "vie")
    except ModelMissingError as error:
        raise MissingDependencyError(f"{error} (or use --no-correct)") from error
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise MissingDependencyError(
            f"{lm_path or DEFAULT_MODEL_PATH}: the correction models cannot be read ({error}); "
            "rebuild the syllable model with `vnplan lm build`"
        ) from error
    fixer = repairer(lm, channel, config)
    texts = [" ".join(word.text for word in line.words) for line in lines]
    focus = retone = None
    if not legacy:
        known = fixer.index.abbreviation_known
        focus = [
            {i for i, w in enumerate(line.words) if _suspect(w.text, w.confidence, known)}
            for line in lines
        ]
        retone = [
            {i for i, w in enumerate(line.words) if i not in open_ and _retone(w.text)}
            for line, open_ in zip(lines, focus, strict=True)
        ]
    doubted = [
        {i for i, w in enumerate(line.words) if w.confidence < LOW_CONFIDENCE} for line in lines
    ]
    fixed, corrections = fixer.repair_lines(texts, focus, doubted, reshape=False, retone=retone)
    for line, new_text, changes in zip(lines, fixed, corrections, strict=True):
        pending = iter(changes)
        for word, new in zip(line.words, new_text.split(), strict=True):
            if new != word.text:
                change = next(pending)
                word.corrected_from, word.correction_score = word.text, change.score
                word.text = new


def recorrect_page(page: Page, lang: str = "vie", lm_path: Path | None = None) -> None:
    """Correct an OCR'd page again, in place, from Tesseract's own readings (each word's
    ``corrected_from``, or its text when it was not changed), as reading it with ``lm_path``
    would have: a batch adapted to its own lines corrects its pages once the model is made.
    Junk lines and a PDF's own text are left as they are, as when the page was read."""
    if page.text_source != "ocr":
        return
    lines = [line for line in page.lines if not line.junk]
    for line in lines:
        for word in line.words:
            if word.corrected_from is not None:
                word.text, word.corrected_from, word.correction_score = (
                    word.corrected_from, None, None)
    if lines:
        correct_lines(lines, lang, lm_path)
