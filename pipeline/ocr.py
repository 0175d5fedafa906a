"""Tesseract, wrapped: the only module that talks to the OCR engine.

Detected lines are read by an engine kept loaded in the worker (tesserocr); pytesseract, which
imports pandas when it loads, is imported only where Tesseract's own layout analysis is run
(``recognise``), and its errors are turned into this module's own.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from pipeline.detect import LineRegion, ink_only, is_syllable
from pipeline.errors import MissingDependencyError
from pipeline.installed import check_tesseract
from pipeline.models import Box, Line, Word


class TesseractTimeout(Exception):
    """Tesseract ran longer than the caller allowed and was killed."""


@dataclass(frozen=True)
class Deadline:
    """When a page's reading must end: every Tesseract run of the page (first reading, second
    readings, widening, other sizes) shares it, so ``--page-timeout`` bounds the page, not
    each of its stages. ``seconds`` is the limit as given (0: none), for the message."""

    seconds: float = 0.0
    at: float | None = None  # time.monotonic()

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds if seconds else None)

    def left(self) -> float:
        """Seconds left (0: no limit); TesseractTimeout when none are."""
        if self.at is None:
            return 0.0
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise self.expired()
        return remaining

    def expired(self) -> TesseractTimeout:
        return TesseractTimeout(f"Tesseract took over {self.seconds:g} s")


NO_DEADLINE = Deadline()


class TesseractFailed(Exception):
    """Tesseract exited with an error on an image; ``message`` is what it printed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def recognise(
    pixels: np.ndarray, *, lang: str = "vie", psm: int = 3, deadline: Deadline = NO_DEADLINE,
    enlarged: bool = False,
) -> list[Line]:
    """Words with confidences and boxes, grouped into Tesseract's lines, in reading order.

    ``deadline`` ends the run: a pathological page must not hold a batch worker for ever.
    ``enlarged``: the page's letters were too small and were enlarged (``preprocess``), so the
    Vietnamese script model reads with ``vie``.
    """
    check_tesseract(lang)
    # Only Tesseract's own layout reads a page this way (--layout tesseract, and pages that
    # defeat the detector); pytesseract imports pandas, 0.3 s a process that needs it only here.
    import pytesseract

    # Tesseract reads a file. pytesseract would write a PNG, whose compression costs about
    # 0.4 s per A4 page at 300 dpi; an uncompressed PGM/PPM takes milliseconds.
    suffix = ".pgm"
    if pixels.ndim == 3:
        suffix, pixels = ".ppm", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    try:
        with tempfile.NamedTemporaryFile(prefix="vnplan-", suffix=suffix) as image:
            if not cv2.imwrite(image.name, pixels):
                raise OSError(f"cannot write {image.name}")
            data = pytesseract.image_to_data(
                image.name, lang=with_script_model(lang) if enlarged else lang,
                config=f"--psm {psm}",
                output_type=pytesseract.Output.DICT, timeout=deadline.left(),
            )
    except RuntimeError as error:  # a plain one: pytesseract's only signal that it killed it
        if "timeout" in str(error).lower():
            raise deadline.expired() from error
        if isinstance(error, pytesseract.TesseractError):  # a RuntimeError too
            raise TesseractFailed(error.message) from error
        raise
    lines: list[Line] = []
    current_key: tuple[int, int, int, int] | None = None
    paragraph_keys: dict[tuple[int, int, int], int] = {}
    for index, text in enumerate(data["text"]):
        word_text = as_typed(text.strip())
        if data["level"][index] != 5 or not word_text:
            continue
        key = (
            data["page_num"][index],
            data["block_num"][index],
            data["par_num"][index],
            data["line_num"][index],
        )
        word = Word(
            text=word_text,
            confidence=float(data["conf"][index]),
            box=Box(
                data["left"][index], data["top"][index],
                data["width"][index], data["height"][index],
            ),
        )
        if key != current_key:
            paragraph = paragraph_keys.setdefault(key[:3], len(paragraph_keys))
            lines.append(Line(words=[word], box=word.box, paragraph=paragraph))
            current_key = key
        else:
            line = lines[-1]
            line.words.append(word)
            line.box = _union(line.box, word.box)
    return lines


def union_all(words: list[Word]) -> Box:
    box = words[0].box
    for word in words[1:]:
        box = _union(box, word.box)
    return box


def _union(a: Box, b: Box) -> Box:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right = max(a.left + a.width, b.left + b.width)
    bottom = max(a.top + a.height, b.top + b.height)
    return Box(left, top, right - left, bottom - top)


_RECOVERY_CONFIDENCE = 50  # re-read words below this are seal or signature scribble


def recover_dropped_text(
    pixels: np.ndarray,
    lines: list[Line],
    *,
    lang: str = "vie",
    min_height: int = 20,
    deadline: Deadline = NO_DEADLINE,
) -> list[Line]:
    """Read again, as single blocks, the inked regions Tesseract's layout analysis skipped.

    A seal pressed over a signature block often makes Tesseract file the whole block as a
    picture, losing the signer's title and name. Ink not covered by any recognised word is
    grouped into blocks; each block is read with ``--psm 6`` and its lines are inserted after
    the paragraph in which the block ends, so a signature beside the recipients list comes
    after the whole list.
    """
    gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    _, ink = cv2.threshold(gray, 127, 1, cv2.THRESH_BINARY_INV)  # gray < 128, in one pass
    for line in lines:
        for word in line.words:
            box = word.box
            ink[max(box.top - 8, 0) : box.top + box.height + 8,
                max(box.left - 8, 0) : box.left + box.width + 8] = 0
    x, y, width, height = cv2.boundingRect(ink)
    if width == 0:
        return list(lines)
    # Dilating grows letters by under ``reach`` px, so the box around the uncovered ink, widened
    # by ``reach``, holds the same blocks as the whole page, often in a small part of it.
    reach = 3 * min_height
    left0, top0 = max(x - reach, 0), max(y - reach, 0)
    ink = ink[top0 : y + height + reach, left0 : x + width + reach]
    _, labels, shapes, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights, widths = shapes[:, cv2.CC_STAT_HEIGHT], shapes[:, cv2.CC_STAT_WIDTH]
    letter_like = (heights >= min_height // 2) & (heights <= 8 * min_height)
    letter_like &= widths <= 8 * min_height  # not rules, seal rings or specks
    letter_like[0] = False
    if not letter_like.any():
        return list(lines)
    letters = letter_like.astype(np.uint8)[labels]
    blocks = cv2.dilate(letters, np.ones((reach, reach), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(blocks, connectivity=8)
    stats[:, cv2.CC_STAT_LEFT] += left0
    stats[:, cv2.CC_STAT_TOP] += top0
    result = list(lines)
    paragraph = max((line.paragraph for line in lines), default=-1) + 1
    for left, top, width, height, _ in sorted(stats[1:].tolist(), key=lambda s: s[1]):
        if height < 2 * min_height or width < 4 * min_height:
            continue  # a speck or a rule, not a block of text
        crop = gray[top : top + height, left : left + width]
        found = []
        for line in recognise(crop, lang=lang, psm=6, deadline=deadline):
            line.words = [word for word in line.words if word.confidence >= _RECOVERY_CONFIDENCE]
            if line.words:
                line.box = union_all(line.words)
                found.append(line)
        for line in found:
            line.paragraph = paragraph
            for word in line.words:
                word.box = Box(word.box.left + left, word.box.top + top,
                               word.box.width, word.box.height)
            line.box = Box(line.box.left + left, line.box.top + top,
                           line.box.width, line.box.height)
        paragraph += 1
        bottom = top + height
        position = sum(1 for line in result if line.box.top < bottom)
        while 0 < position < len(result) and (
            result[position].paragraph == result[position - 1].paragraph
        ):
            position += 1
        result[position:position] = found
    return result


LINE_PAD = 0.2  # of a line's height: room for the marks above and below its letters
LINE_MARGIN = 0.5  # of a line's height: white around the crop, which Tesseract reads best
# A line read with no word, or a word below RETRY_CONFIDENCE, is read again in its darkest ink
# only (detect.ink_only: a grey seal or a stain across the letters is lighter than their
# ink), and the reading Tesseract is surer of is kept.
RETRY_CONFIDENCE = 60.0
# On a page whose letters were too small and were enlarged (photos, low-resolution scans), a
# line still holding a word below SCRIPT_CONFIDENCE is read again by an engine that has
# Tesseract's Vietnamese script model before vie (with_script_model), and again the surer
# reading is kept: it reads many of the blurred words vie is unsure of. On a page of letters
# of a good size it gains little, for about 10% more time (python -m
# pipeline.evaluation.photo_eval and batch_bench), so it is not asked there.
SCRIPT_CONFIDENCE = 80.0
# Tesseract drops a row whose blobs look mostly like noise (textord_noise_rejrows). In line
# mode the crop is the one row the detector found, so a line read empty is read again with
# that filter off: Tesseract 5.5 drops whole blurred lines of small letters and leader dots
# (a form's "Địa chỉ ......") that way. The reading is kept only when it holds NOISY_SYLLABLES
# Vietnamese syllables: the filter is right about most pieces of a seal's ring.
NOISY_SYLLABLES = 2


def recognise_lines(
    pixels: np.ndarray, regions: list[LineRegion], *, lang: str = "vie",
    deadline: Deadline = NO_DEADLINE, enlarged: bool = False,
    models: dict[int, str] | None = None,
) -> list[Line]:
    """Each detected line read by Tesseract as one line (``--psm 7``), words in page pixels;
    lines in which Tesseract found no word are left out. ``models``, when given, gets the
    model (as Tesseract's -l) whose reading of each line was kept, by the line's region index:
    the page's record.

    The engine stays loaded in the process (tesserocr), so a page of fifty lines costs fifty
    recognitions, not fifty Tesseract start-ups. ``deadline``: the page's.
    ``enlarged``: the letters were too small and were enlarged (see SCRIPT_CONFIDENCE); the
    words then carry their letters' alternatives (CHOICE_SPAN), for the correction.
    """
    gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    lines = []
    for index, region in enumerate(regions):
        crop, left, top = _line_crop(gray, region.box)
        words = _read_line(crop, left, top, lang, deadline, choices=enlarged)
        model = lang
        if not words:
            words = _read_line(crop, left, top, lang, deadline, noise_rows=True,
                               choices=enlarged)
            if sum(is_syllable(word.text) for word in words) < NOISY_SYLLABLES:
                words = []
        if not words or any(word.confidence < RETRY_CONFIDENCE for word in words):
            again = _read_line(ink_only(crop), left, top, lang, deadline,
                               choices=enlarged)
            if _mean_confidence(again) > _mean_confidence(words):
                words = again
        if enlarged and with_script_model(lang) != lang and (
            not words or any(word.confidence < SCRIPT_CONFIDENCE for word in words)
        ):
            again = _read_line(crop, left, top, lang, deadline, script=True,
                               choices=enlarged)
            if _mean_confidence(again) > _mean_confidence(words):
                words, model = again, with_script_model(lang)
        for word in words:  # a word may reach into the white margin, off the page
            word.box = _clipped(word.box, gray.shape[1], gray.shape[0])
        if words:
            lines.append(Line(words=words, box=union_all(words), paragraph=index))
            if models is not None:
                models[index] = model
    return lines


def read_region_resized(
    gray: np.ndarray, box: Box, factor: float, *, lang: str = "vie",
    deadline: Deadline = NO_DEADLINE, script: bool = False, choices: bool = False,
) -> list[Word]:
    """The words of the line at ``box`` (cropped as :func:`recognise_lines` crops it), read
    with its crop ``factor`` times as large, in page pixels; ``script``: with the Vietnamese
    script model first; ``choices``: with their letters' alternatives (CHOICE_SPAN).
    ``deadline``: the page's."""
    crop, left, top = _line_crop(gray, box)
    if factor != 1.0:
        shrink = factor < 1.0
        crop = np.ascontiguousarray(cv2.resize(
            crop, None, fx=factor, fy=factor,
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC,
        ))
    words = _read_line(crop, 0, 0, lang, deadline, script=script, choices=choices)
    for word in words:
        x0, y0 = word.box.left / factor, word.box.top / factor
        x1 = (word.box.left + word.box.width) / factor
        y1 = (word.box.top + word.box.height) / factor
        word.box = _clipped(
            Box(left + round(x0), top + round(y0), max(round(x1 - x0), 1), max(round(y1 - y0), 1)),
            gray.shape[1], gray.shape[0],
        )
    return words


# A sheet photographed at a slant, or rectified by sides that run out of the picture, keeps
# its letters narrower (or wider) than they were printed, and Tesseract reads letters of the
# wrong width poorly. On an enlarged page whose long lines Tesseract doubts as it read them
# (median line confidence under WIDTH_DOUBT), the longest are read again at each of
# WIDENINGS of their width. A factor wins when it makes Tesseract surer of WIDTH_WINS of the
# lines and by WIDTH_GAIN points or more in the median line: one line's confidence wavers by
# several points at any width, the page's letters are all of one width (python -m
# pipeline.evaluation.photo_eval). Fewer than WIDTH_SAMPLE long lines are too few to judge.
WIDTH_DOUBT = 85.0
WIDENINGS = (0.87, 1.15, 1.3)
WIDTH_GAIN = 5.0
WIDTH_WINS = 0.75
WIDTH_SAMPLE = 8  # the page's longest lines, at least LONG_LINE heights long, are tried
LONG_LINE = 8


def widening(
    gray: np.ndarray, regions: list[LineRegion], read: list[Line], *, lang: str = "vie",
    deadline: Deadline = NO_DEADLINE,
) -> float:
    """How much to widen an enlarged page so that Tesseract reads its letters best: 1.0, or
    one of WIDENINGS (see WIDTH_DOUBT). ``read``: the page's lines as
    :func:`recognise_lines` read them, which decide whether the search is worth its time."""
    long_lines = [region for region in regions if _long(region.box)]
    if len(long_lines) < WIDTH_SAMPLE or np.median(
        [_mean_confidence(line.words) for line in read if _long(line.box)] or [100.0]
    ) >= WIDTH_DOUBT:
        return 1.0
    sample = sorted(long_lines, key=lambda region: -region.box.width)[:WIDTH_SAMPLE]
    crops = [_line_crop(gray, region.box)[0] for region in sample]

    def sureness(factor: float) -> np.ndarray:
        return np.array([_mean_confidence(_read_line(
            widened(crop, factor), 0, 0, lang, deadline)) for crop in crops])

    base = sureness(1.0)
    best, best_gain = 1.0, 0.0
    for factor in WIDENINGS:
        gains = sureness(factor) - base
        gain = float(np.median(gains))
        if gain >= max(WIDTH_GAIN, best_gain) and (gains > 0).mean() >= WIDTH_WINS:
            best, best_gain = factor, gain
    return best


def _long(box: Box) -> bool:
    return box.width >= LONG_LINE * box.height


def widened(pixels: np.ndarray, factor: float) -> np.ndarray:
    """``pixels`` ``factor`` times as wide (the width rounded), letters kept sharp."""
    if factor == 1.0:
        return pixels
    width = max(round(pixels.shape[1] * factor), 1)
    return np.ascontiguousarray(
        cv2.resize(pixels, (width, pixels.shape[0]), interpolation=cv2.INTER_CUBIC)
    )


def _clipped(box: Box, width: int, height: int) -> Box:
    left, top = min(max(box.left, 0), width - 1), min(max(box.top, 0), height - 1)
    right = max(min(box.left + box.width, width), left + 1)
    bottom = max(min(box.top + box.height, height), top + 1)
    return Box(left, top, right - left, bottom - top)


def _read_line(
    crop: np.ndarray, left: int, top: int, lang: str, deadline: Deadline,
    *, noise_rows: bool = False, script: bool = False, choices: bool = False,
) -> list[Word]:
    """The crop's words; ``noise_rows``: with Tesseract's filter of noise rows off;
    ``script``: with the Vietnamese script model first (:func:`with_script_model`);
    ``choices``: with their letters' alternatives (CHOICE_SPAN)."""
    api = _engine(lang, script)
    api.SetVariable("lstm_choice_mode", "2" if choices else "0")
    api.SetImageBytes(crop.tobytes(), crop.shape[1], crop.shape[0], 1, crop.shape[1])
    api.SetSourceResolution(300)
    budget = 0 if deadline.at is None else max(int(deadline.left() * 1000), 1)  # ms
    api.SetVariable("textord_noise_rejrows", "0" if noise_rows else "1")
    try:
        if not api.Recognize(timeout=budget) and budget:
            raise deadline.expired()
    finally:
        api.SetVariable("textord_noise_rejrows", "1")
    return _words(api, left, top, choices)


def _mean_confidence(words: list[Word]) -> float:
    return sum(word.confidence for word in words) / len(words) if words else -1.0


def _line_crop(gray: np.ndarray, box: Box) -> tuple[np.ndarray, int, int]:
    """The line with a little of the page around it, on a white margin: (crop, where the
    crop's origin lies on the page)."""
    pad = round(LINE_PAD * box.height)
    top, bottom = max(box.top - pad, 0), min(box.top + box.height + pad, gray.shape[0])
    left, right = max(box.left - pad, 0), min(box.left + box.width + pad, gray.shape[1])
    margin = max(round(LINE_MARGIN * box.height), 4)
    crop = cv2.copyMakeBorder(
        gray[top:bottom, left:right], margin, margin, margin, margin,
        cv2.BORDER_CONSTANT, value=255,
    )
    return np.ascontiguousarray(crop), left - margin, top - margin


def _words(api, dx: int, dy: int, choices: bool = False) -> list[Word]:
    """The words Tesseract found in the current image, moved by (dx, dy) onto the page;
    ``choices``: with their letters' alternatives (:func:`_letter_choices`), which the image
    must have been read for (lstm_choice_mode)."""
    import tesserocr

    words = []
    iterator = api.GetIterator()
    level = tesserocr.RIL.WORD
    if iterator is None:
        return words
    for word in tesserocr.iterate_level(iterator, level):
        try:
            text = as_typed(word.GetUTF8Text(level).strip())
        except RuntimeError:  # tesserocr's way of saying the word is empty
            continue
        bounds = word.BoundingBox(level)
        if not text or bounds is None:
            continue
        x0, y0, x1, y1 = bounds
        words.append(Word(text=text, confidence=float(word.Confidence(level)),
                          box=Box(x0 + dx, y0 + dy, max(x1 - x0, 1), max(y1 - y0, 1))))
    if choices and words:
        letters = _letter_choices(api)
        if len(letters) == len(words) and all(
            as_typed(_spelled(word_letters)) == word.text
            for word_letters, word in zip(letters, words, strict=True)
        ):  # else the symbols do not spell the words (a word of spaces): none offered
            for word_letters, word in zip(letters, words, strict=True):
                if any(len(choice) > 1 for choice in word_letters):
                    word.choices = word_letters
    return words


# Slashes Tesseract's script model writes inside dates and numbers ("14/3⁄2024"): typed as
# "/", or a search for the date finds nothing.
_AS_TYPED = str.maketrans({"\u2044": "/", "\u2215": "/"})


def as_typed(text: str) -> str:
    """A word as people type it: fraction and division slashes are "/"."""
    return text.translate(_AS_TYPED)


# Tesseract's LSTM weighs other letters for each one it reads (lstm_choice_mode 2: about 10%
# more time per line read), and on a blurred photo the right one is often among them: "hành"
# read "bánh", with "h" weighed beside "b". A letter's alternatives seen with at least
# exp(-CHOICE_SPAN) (2%) of the strength of the letter read are kept, with the log of that
# ratio (0 when stronger) as their cost in nats, for the correction (restore.repair). Chosen
# on the test fixtures rendered small and softened as photos: word-F1 after correction .938
# without, .949, .960, .965, .966, .966 with spans 0.5, 1, 2, 3, 4, 5.
CHOICE_SPAN = 4.0


def _letter_choices(api) -> list[tuple[tuple[tuple[str, float], ...], ...]]:
    """Per word of the current image, per letter: (the letter read, 0.0) and the
    alternatives within CHOICE_SPAN with their costs."""
    import tesserocr

    found: list[list[tuple[tuple[str, float], ...]]] = []
    iterator = api.GetIterator()
    level = tesserocr.RIL.SYMBOL
    for symbol in tesserocr.iterate_level(iterator, level):
        try:
            letter = symbol.GetUTF8Text(level)
        except RuntimeError:
            continue
        weighed = [(choice.GetUTF8Text(), choice.Confidence())
                   for choice in symbol.GetChoiceIterator()]
        own = max((strength for text, strength in weighed if text == letter), default=0.0)
        own = own or max((strength for _, strength in weighed), default=0.0)
        options = [(letter, 0.0)]
        for text, strength in weighed:
            if text and text != letter and text.strip() and strength > 0 and own > 0:
                cost = min(float(np.log(strength / own)), 0.0)
                if cost >= -CHOICE_SPAN:
                    options.append((text, round(cost, 3)))
        if symbol.IsAtBeginningOf(tesserocr.RIL.WORD) or not found:
            found.append([])
        found[-1].append(tuple(options))
    return [tuple(letters) for letters in found
            if _spelled(letters).strip()]


def _spelled(letters: Sequence[Sequence[tuple[str, float]]]) -> str:
    """The word the letters' first choices (the letters read) spell."""
    return "".join(options[0][0] for options in letters)


_engines = threading.local()


def _engine(lang: str, script: bool = False):
    """One Tesseract engine per language and thread (an engine is not thread-safe; a Dask
    worker may run pages in threads), kept loaded (tesserocr); ``script``: with the
    Vietnamese script model first."""
    engines = _engines.__dict__.setdefault("by_lang", {})
    if (lang, script) not in engines:
        engines[lang, script] = _new_engine(lang, script)
    return engines[lang, script]


def _new_engine(lang: str, script: bool = False):
    check_tesseract(lang)
    try:
        import tesserocr
    except ImportError as error:
        raise MissingDependencyError(
            "reading detected lines needs the 'tesserocr' package: run 'make setup' "
            "(or use --layout tesseract)"
        ) from error
    return tesserocr.PyTessBaseAPI(
        path=_tessdata(), lang=with_script_model(lang) if script else lang,
        psm=tesserocr.PSM.SINGLE_LINE,
        oem=tesserocr.OEM.LSTM_ONLY,
    )


@cache
def _tessdata() -> str:
    """The system Tesseract's language folder, which tesserocr's own engine reads too."""
    listing = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r'"([^"]+)"', listing)
    if found is None:
        raise MissingDependencyError("cannot find Tesseract's language data folder")
    return found.group(1)


# Tesseract's model of the Vietnamese script (apt: tesseract-ocr-script-viet), a second LSTM
# model beside the language model ``vie``. Put first, with ``vie`` for the words it is unsure
# of, it reads blurred and low-resolution photos better than ``vie`` alone (python -m
# pipeline.evaluation.photo_eval); alone, it reads them worse. Without it, ``vie`` reads alone.
SCRIPT_MODEL = "Vietnamese"


@cache
def with_script_model(lang: str) -> str:
    """``lang`` with the Vietnamese script model put first, when ``lang`` reads Vietnamese and
    the model is installed beside ``vie`` (Debian's package puts it there, Tesseract's own
    layout under ``script/``)."""
    codes = lang.split("+")
    if "vie" not in codes or any(code.endswith(SCRIPT_MODEL) for code in codes):
        return lang
    for name in (SCRIPT_MODEL, f"script/{SCRIPT_MODEL}"):
        if (Path(_tessdata()) / f"{name}.traineddata").is_file():
            return "+".join([name, *codes])
    return lang
