"""Error rates computed the way the project's data README defines them."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from rapidfuzz.distance import Levenshtein

_WORD = re.compile(r"\w+")


class Pooled:
    """Base of the evaluations' count dataclasses: pooling adds another's counts field by
    field."""

    def add(self, other: Pooled) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


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


def words(text: str) -> list[str]:
    """NFC whitespace-separated words with punctuation and symbols (Unicode P*, S*) stripped
    from their edges, case kept; a token that was only punctuation (a dash, a table bar) drops
    out, so "(nếu" and "nếu" are the same word but "4,1" and "52-NQ/TW" stay whole."""
    stripped = (_strip_edges(token) for token in unicodedata.normalize("NFC", text).split())
    return [word for word in stripped if word]


def _strip_edges(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PS":
        end -= 1
    return token[start:end]


def word_matches(hypothesis: str, reference: str) -> tuple[int, int, int]:
    """(words in both, hypothesis words, reference words) over bags of ``words``: order does
    not count, so a page read in another column order is not punished; kept as counts for
    pooling."""
    hyp, ref = Counter(words(hypothesis)), Counter(words(reference))
    return sum((hyp & ref).values()), sum(hyp.values()), sum(ref.values())


def f1(matched: int, predicted: int, actual: int) -> float:
    """2PR/(P+R) from counts; 1.0 when both sides are empty."""
    if predicted + actual == 0:
        return 1.0
    return 2 * matched / (predicted + actual)


def word_f1(hypothesis: str, reference: str) -> float:
    return f1(*word_matches(hypothesis, reference))
