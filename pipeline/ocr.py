"""Tesseract, wrapped: the only module that talks to the OCR engine."""

from __future__ import annotations

import shutil
from functools import cache

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


def recognise(pixels: np.ndarray, *, lang: str = "vie", psm: int = 3) -> list[Line]:
    """Words with confidences and boxes, grouped into Tesseract's lines, in reading order."""
    check_tesseract(lang)
    data = pytesseract.image_to_data(
        pixels, lang=lang, config=f"--psm {psm}", output_type=pytesseract.Output.DICT
    )
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


def _union(a: Box, b: Box) -> Box:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right = max(a.left + a.width, b.left + b.width)
    bottom = max(a.top + a.height, b.top + b.height)
    return Box(left, top, right - left, bottom - top)
