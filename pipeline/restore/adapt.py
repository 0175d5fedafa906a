"""The archive teaches the model: the syllable model adapted to a batch's own confident OCR.

Tesseract's Vietnamese model reads most lines of a clean scan right, and where it is sure of
every word of a line (high confidence, every word a syllable, a number or a known
abbreviation) the line is in-domain Vietnamese of exactly the archive at hand: school reports
teach "Trường" and "Khoa" where the plans the base model knows say "Trưởng" and "Khóa". Those
lines join the base model's sources, weighted; the weight is chosen on held-out lines of the
same batch, by how well the model puts their stripped marks back.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.models import Document

from .align import core
from .build import (
    DICTIONARIES,
    BuildConfig,
    TextSource,
    build_model,
    dictionary_sources,
    general_sources,
)
from .lm import LanguageModel
from .syllable import is_valid_syllable, strip_diacritics

MIN_CONFIDENCE = 90.0  # Tesseract word confidence (0-100) every word of a taught line has
MIN_WORDS = 4  # shorter lines (headings, names, page numbers) teach little context
WEIGHTS = (1, 2, 4, 8)  # weights of the batch's lines tried against the base sources
HELD_OUT_SHARE = 10  # one line in this many tunes the weight instead of teaching
MIN_LINES = 20  # fewer confident lines than this cannot choose a weight


@dataclass(frozen=True)
class WordReading:
    """A word as the OCR read it, with its confidence."""

    text: str
    confidence: float


@dataclass
class Adaptation:
    model: LanguageModel
    weight: int  # the chosen weight of the batch's lines
    accuracy: dict[int, float]  # weight (0: the base model) -> accuracy on the held-out lines
    taught: int  # lines the model was adapted with
    held_out: int  # lines the weight was chosen on


def confident_lines(
    lines: Iterable[list[WordReading]], is_abbreviation: Callable[[str], bool]
) -> list[str]:
    """The lines whose every word the OCR was sure of and is Vietnamese as written."""
    taught = []
    for words in lines:
        if len(words) < MIN_WORDS:
            continue
        if all(w.confidence >= MIN_CONFIDENCE and _plausible(w.text, is_abbreviation)
               for w in words):
            taught.append(unicodedata.normalize("NFC", " ".join(w.text for w in words)))
    return taught


def ocr_lines(documents: Iterable[Document]) -> Iterator[list[WordReading]]:
    """Each line the OCR read, as corrected, with Tesseract's confidence in each word, leaving
    out pages whose text came from a PDF's own layer and lines flagged as a seal's or a
    signature's marks.

    As corrected, not as read: Tesseract is sure of some wrong tones ("tiên thưởng" for "tiền
    thưởng" at 95), and a model taught them makes them; the base model's correction, which
    repairs most of them, is what the adapted model learns (on three decisions and letters,
    teaching the readings made the corrected CER 0.28% where the base model's was 0.25%)."""
    for document in documents:
        for page in document.pages:
            if page.text_source != "ocr":
                continue
            for line in page.lines:
                if not line.junk:
                    yield [WordReading(w.text, w.confidence) for w in line.words]


def _plausible(text: str, is_abbreviation: Callable[[str], bool]) -> bool:
    word = core(text)
    if not word or not any(ch.isalpha() for ch in word):
        return True  # numbers, dates, list markers and punctuation
    return is_valid_syllable(word) or is_abbreviation(word) or "/" in word


def adapt(
    lines: list[str], config: BuildConfig | None = None,
    base: list[TextSource] | None = None,
) -> Adaptation:
    """The base sources plus ``lines`` at the weight that restores held-out lines best
    (weight 0, the base model, when none does better). ValueError when there are too few
    lines to choose a weight on.

    ``base``: the sources of the model adapted (default: the shipped model's).
    """
    if len(lines) < MIN_LINES:
        raise ValueError(f"{len(lines)} confident lines; at least {MIN_LINES} are needed")
    from . import restore_text

    config = config or BuildConfig()
    base = base if base is not None else base_sources(config)
    held = lines[::HELD_OUT_SHARE]
    teach = [line for n, line in enumerate(lines) if n % HELD_OUT_SHARE]
    truth = "\n".join(held)
    stripped = strip_diacritics(truth)

    def build(weight: int, taught: list[str]) -> LanguageModel:
        batch = [TextSource(line, weight) for line in taught] if weight else []
        return build_model([*base, *batch], config)

    accuracy = {
        weight: _accuracy(restore_text(stripped, build(weight, teach), mode="stripped"), truth)
        for weight in (0, *WEIGHTS)
    }
    best = max(WEIGHTS, key=lambda w: (accuracy[w], -w))
    chosen = best if accuracy[best] > accuracy[0] else 0
    return Adaptation(build(chosen, lines), chosen, accuracy, len(lines), len(held))


def base_sources(config: BuildConfig, dictionaries: Path = DICTIONARIES) -> list[TextSource]:
    """The sources of the shipped model (with another ``dictionaries`` folder: of a model
    built without some of the project's texts, as evaluations do)."""
    return [*general_sources(config), *dictionary_sources(config, dictionaries)]


def model_digest(path: Path) -> str:
    """What identifies a saved model: the SHA-256 of its arrays, by name. Not of the file,
    whose zip entries carry the time it was saved: the same model saved twice (a batch
    adapted again after a kill) has one digest."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0")
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def _accuracy(restored: str, truth: str) -> float:
    """Share of the truth's syllables given back as they were (1 - WER, case folded)."""
    hypothesis, reference = restored.lower().split(), truth.lower().split()
    return 1 - Levenshtein.distance(hypothesis, reference) / max(len(reference), 1)
