"""Post-OCR correction of Tesseract's output with the restoration engine's repairer.

Tesseract's Vietnamese model is mostly right, so only suspect words are open to
any change: those that are not Vietnamese syllables (nor numbers or known
abbreviations) and those Tesseract itself doubted, which also get a wider
search.  The other words are valid syllables, yet its commonest error among them
is the tone mark over the right letters ("thế" for "thể", "Nguyên" for "Nguyễn"):
they may change tone, and nothing else, when the context clearly prefers it.
On an enlarged page (a photo) any word may also become a spelling of the letters Tesseract
weighed as it read it (``Word.choices``: "hành" read "bánh", "h" weighed beside "b"), on the
same terms, the letters' cost added to the margin.
A number Tesseract read with look-alike letters ("0l", "l2", "1§.") is read as the number first,
where every part of it is mostly digits (never a word, a code or a Roman numeral).
With an English-only model ("eng") the whole text is damaged the legacy way and
every word is open.  Words stay one to one with their boxes, and each change is
kept on the word for reviewers.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import MissingDependencyError
from pipeline.models import Line, Page
from pipeline.restore import (
    LanguageModel,
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

# Letters and signs Tesseract reads for digits inside numbers ("0l", "l2", "I1", "1§."): the
# sure ones anywhere, but "O" and "§" not first (O2 is oxygen, §3 a section); the weaker ones
# (S, Z: real letters of codes such as S12) only after a digit, in a part of two digits or more.
# Other capitals in front are codes (P13, B2, F0), never read as digits.
_SURE_DIGIT = {"l": "1", "I": "1", "o": "0", "O": "0", "§": "8"}
_WEAK_DIGIT = {"S": "5", "s": "5", "Z": "2", "z": "2"}
_CODE = re.compile(r"[A-Z]{1,3}[1-9]\d{0,2}|[A-Z]{1,3}0")
_NUMBER = re.compile(r"(\W*?)(\w[\w§]*(?:[/.\-][\w§]+)*|§)(\W*)")


def _suspect(text: str, confidence: float, is_abbreviation: Callable[[str], bool]) -> bool:
    word = core(text)
    if len(word) < 2 or not any(ch.isalpha() for ch in word) or "/" in word:
        return False  # list markers, stray marks, numbers and document symbols
    if confidence < LOW_CONFIDENCE:
        return True
    if is_valid_syllable(word) or is_abbreviation(word):
        return False
    if _CODE.fullmatch(word):
        return False  # a code of capitals and a number, not a misread word: P13, B2, F0, CO2
    if not word.isalpha():
        return True  # digits or signs inside a word: "s6", "x&"
    return confidence < SURE and not word[:1].isupper()  # confident names stay: Hrê, Zalo


def _as_number(text: str, is_abbreviation: Callable[[str], bool], first: bool) -> str | None:
    """``text`` with the look-alike letters of a number read as its digits ("l2" 12, "0l" 01,
    "1§." 18., "§." 8.), or None when it is no misread number. Each part of a date or number
    ("12/0l/2018") must be mostly digits, so words, abbreviations, document symbols (37/KH-UBND)
    and Roman numerals (I., II.: no digits) are never touched; nor is a line's ``first`` word
    of ones and I's before a full stop: "1I." is a heading's "II." as often as an "11."."""
    found = _NUMBER.fullmatch(text)
    if found is None or is_valid_syllable(core(text)) or is_abbreviation(core(text)):
        return None
    lead, body, tail = found.groups()
    if first and tail[:1] == "." and set(body) <= set("1Il"):
        return None
    if body == "§":  # a list number: "§. Hướng dẫn"; alone, the section sign
        return f"{lead}8{tail}" if tail[:1] in (".", ")") else None
    parts = re.split(r"([/.\-])", body)
    for index in range(0, len(parts), 2):
        part = parts[index]
        digits = sum(ch.isdigit() for ch in part)
        signs = [i for i, ch in enumerate(part) if not ch.isdigit()]
        if not digits or len(signs) > min(2, digits):
            return None
        for i in signs:
            ch = part[i]
            if ch in _SURE_DIGIT and not (i == 0 and ch in "O§"):
                continue
            if ch in _WEAK_DIGIT and i > 0 and digits >= 2:
                continue
            return None
        parts[index] = "".join(_SURE_DIGIT.get(ch) or _WEAK_DIGIT.get(ch) or ch for ch in part)
    number = "".join(parts)
    return f"{lead}{number}{tail}" if number != body else None


def _retone(text: str) -> bool:
    """A word whose tone alone may be wrong: a valid syllable of letters only."""
    word = core(text)
    return len(word) >= 2 and word.isalpha() and is_valid_syllable(word)


def language_model(lm_path: Path | None = None) -> LanguageModel:
    """The correction's syllable model. A missing or broken one stops the batch
    (MissingDependencyError): every page would fail."""
    with _readable(lm_path):
        return load_language_model(lm_path)


@contextmanager
def _readable(lm_path: Path | None) -> Iterator[None]:
    """The correction models' load errors as the one-line error that tells what to do."""
    try:
        yield
    except ModelMissingError as error:
        raise MissingDependencyError(f"{error} (or use --no-correct)") from error
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise MissingDependencyError(
            f"{lm_path or DEFAULT_MODEL_PATH}: the correction models cannot be read ({error}); "
            "rebuild the syllable model with `vnplan lm build`"
        ) from error


def correct_lines(
    lines: list[Line], lang: str = "vie", lm_path: Path | None = None,
    config: RepairConfig = DEFAULT_CONFIG,
) -> None:
    """Correct the words of a page's lines in place, recording each change on its word.

    A missing or broken model stops the batch (MissingDependencyError): every page would fail.
    """
    legacy = "vie" not in lang.split("+")
    lm = language_model(lm_path)
    with _readable(lm_path):
        channel = load_channel("eng" if legacy else "vie")
    fixer = repairer(lm, channel, config)
    for line in lines:
        for index, word in enumerate(line.words):
            number = _as_number(word.text, fixer.index.abbreviation_known, index == 0)
            if number is not None:
                word.corrected_from, word.text = word.text, number
                word.correction_score = channel.edit_logp(number, word.corrected_from)
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
    # the letters Tesseract weighed, for the words still as it read them (not numbers)
    choices = None if legacy else [
        {i: w.choices for i, w in enumerate(line.words) if w.choices and w.corrected_from is None}
        for line in lines
    ]
    fixed, corrections = fixer.repair_lines(texts, focus, doubted, reshape=False, retone=retone,
                                            choices=choices)
    for line, new_text, changes in zip(lines, fixed, corrections, strict=True):
        pending = iter(changes)
        for word, new in zip(line.words, new_text.split(), strict=True):
            if new != word.text:
                change = next(pending)
                # a number read from its look-alike letters keeps Tesseract's reading
                word.corrected_from = word.corrected_from or word.text
                word.correction_score = change.score
                word.text = new


# a page's corrections: (line index in ``page.lines``, word index, corrected text, score)
Corrections = tuple[tuple[int, int, str, float], ...]


def recorrect_page(page: Page, lang: str = "vie", lm_path: Path | None = None) -> Corrections:
    """Correct an OCR'd page again, in place, from Tesseract's own readings (each word's
    ``corrected_from``, or its text when it was not changed), as reading it with ``lm_path``
    would have: a batch adapted to its own lines corrects its pages once the model is made.
    Junk lines and a PDF's own text are left as they are, as when the page was read.

    Gives the changes made, so that the same page read again is corrected by
    :func:`apply_corrections` without running the model a second time."""
    if page.text_source != "ocr":
        return ()
    lines = [line for line in page.lines if not line.junk]
    _to_readings(lines)
    if lines:
        correct_lines(lines, lang, lm_path)
    return tuple((i, j, word.text, word.correction_score)
                 for i, line in enumerate(page.lines) if not line.junk
                 for j, word in enumerate(line.words)
                 if word.corrected_from is not None and word.correction_score is not None)


def apply_corrections(page: Page, corrections: Corrections) -> None:
    """Make ``page`` (as read, corrected or not) what :func:`recorrect_page` made of the same
    page when it gave ``corrections``: Tesseract's readings with those changes."""
    if page.text_source != "ocr":
        return
    _to_readings([line for line in page.lines if not line.junk])
    for i, j, text, score in corrections:
        word = page.lines[i].words[j]
        word.corrected_from, word.correction_score, word.text = word.text, score, text


def _to_readings(lines: list[Line]) -> None:
    """Put back Tesseract's reading of every corrected word of ``lines``."""
    for line in lines:
        for word in line.words:
            if word.corrected_from is not None:
                word.text, word.corrected_from, word.correction_score = (
                    word.corrected_from, None, None)
