"""Error rates computed the way the project's data README defines them."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """NFC, all whitespace runs (form feeds and newlines too) collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def char_errors(hypothesis: str, reference: str) -> tuple[int, int]:
    """(edit distance, reference length) over normalised characters, for pooling."""
    hyp, ref = normalise(hypothesis), normalise(reference)
    return Levenshtein.distance(hyp, ref), len(ref)


def word_errors(hypothesis: str, reference: str) -> tuple[int, int]:
    hyp, ref = normalise(hypothesis).split(), normalise(reference).split()
    return Levenshtein.distance(hyp, ref), len(ref)


def cer(hypothesis: str, reference: str) -> float:
    errors, length = char_errors(hypothesis, reference)
    return errors / max(length, 1)


def wer(hypothesis: str, reference: str) -> float:
    errors, length = word_errors(hypothesis, reference)
    return errors / max(length, 1)


def syllable_accuracy(hypothesis: str, reference: str) -> float:
    """1 - WER over lower-cased ``\\w+`` tokens: punctuation and spacing do not count."""
    hyp = _WORD.findall(unicodedata.normalize("NFC", hypothesis).lower())
    ref = _WORD.findall(unicodedata.normalize("NFC", reference).lower())
    return 1 - Levenshtein.distance(hyp, ref) / max(len(ref), 1)
