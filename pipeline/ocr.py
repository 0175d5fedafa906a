"""Tesseract, wrapped: the only module that talks to the OCR engine."""

from __future__ import annotations

import shutil
import tempfile
from functools import cache

import cv2
import numpy as np
import pytesseract

from pipeline.errors import MissingDependencyError
from pipeline.models import Box, Line, Word


@cache
def check_tesseract(lang: str) -> None:
    """Fail early, once, with the install command, instead of per page with a traceback."""
    if shutil.which("tesseract") is None:
        raise MissingDependencyError(
            "Tesseract is not installed: run 'make setup' or 'apt-get install tesseract-ocr'"
        )
    available = set(pytesseract.get_languages(config=""))
    missing = [code for code in lang.split("+") if code not in available]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise MissingDependencyError(
            f"Tesseract has no language data for {', '.join(missing)}: "
            f"run 'apt-get install {packages}'"
        )


class TesseractTimeout(Exception):
    """Tesseract ran longer than the caller allowed and was killed."""


def recognise(
    pixels: np.ndarray, *, lang: str = "vie", psm: int = 3, timeout: float = 0
) -> list[Line]:
    """Words with confidences and boxes, grouped into Tesseract's lines, in reading order.

    ``timeout`` (seconds, 0 for none) bounds one Tesseract run: a pathological page must not
    hold a batch worker for ever.
    """
    check_tesseract(lang)
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
                image.name, lang=lang, config=f"--psm {psm}",
                output_type=pytesseract.Output.DICT, timeout=timeout,
            )
    except RuntimeError as error:  # pytesseract's only signal that it killed Tesseract
        if "timeout" not in str(error).lower():
            raise
        raise TesseractTimeout(f"Tesseract took over {timeout:g} s") from error
    lines: list[Line] = []
    current_key: tuple[int, int, int, int] | None = None
    paragraph_keys: dict[tuple[int, int, int], int] = {}
    for index, text in enumerate(data["text"]):
        word_text = text.strip()
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


def _union_all(words: list[Word]) -> Box:
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
    timeout: float = 0,
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
        for line in recognise(crop, lang=lang, psm=6, timeout=timeout):
            line.words = [word for word in line.words if word.confidence >= _RECOVERY_CONFIDENCE]
            if line.words:
                line.box = _union_all(line.words)
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
