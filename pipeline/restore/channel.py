"""Noisy-channel model of OCR damage: log P(OCR token | Vietnamese syllable).

Two levels, both counted from aligned renders of our own text (renders.py):
whole syllables ("của" → "ctia", "xã" → "x4"), which capture the engine's
habitual readings, and single characters ("ư" → "u", "đ" → "d", "ố" → "6"),
which generalise to syllables never seen damaged.  The syllable table is
trusted in proportion to how often the syllable was observed.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.export import atomic_write_bytes

from .syllable import strip_diacritics

DEFAULT_CHANNEL_PATH = Path(__file__).resolve().parents[1] / "data" / "ocr_channel.json.gz"
INSERT = ""  # truth side of an inserted OCR character
CHAR_PRIOR = 2.0  # pseudo-counts pulling a rare letter towards its base letter's habits
CHAR_ALPHA = 0.05  # pseudo-count of any unseen character reading
TABLE_TRUST = 5.0  # observations at which the syllable table gets half the weight
LOOKALIKE_PRIOR = 3  # pseudo-counts of a look-alike sign read for its letter ("6" for "o")


def base_char(ch: str) -> str:
    """The letter without marks (ế → e, đ → d): the backoff class of a character."""
    return strip_diacritics(ch) if ch else ch


@dataclass(eq=False)  # hashed by identity: repairers are cached per model object
class ChannelModel:
    """Counts of how syllables and characters were read, and the probabilities from them."""

    syllables: dict[str, dict[str, int]]  # truth syllable → OCR token, both lower case → count
    chars: dict[str, dict[str, int]]  # truth char ("" = insertion) → OCR char ("" = deleted),
    # case kept: the English model reads "Đ" as "P" but "đ" as "d"
    _by_base: dict[str, Counter] = field(init=False, repr=False)
    _totals: dict[str, int] = field(init=False, repr=False)
    _readings: dict[str, dict[str, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_base = defaultdict(Counter)
        for truth, seen in self.chars.items():
            self._by_base[base_char(truth)].update(seen)
        self._totals = {t: sum(seen.values()) for t, seen in self.syllables.items()}
        readings: dict[str, dict[str, int]] = defaultdict(dict)
        for truth, seen in self.syllables.items():
            for ocr, count in seen.items():
                readings[ocr][truth] = count
        self._readings = dict(readings)
        self.char_logp = lru_cache(maxsize=1 << 16)(self._char_logp)
        self.logp = lru_cache(maxsize=1 << 18)(self._logp)
        self.base_logp = lru_cache(maxsize=1 << 14)(self._base_logp)

    # --- persistence ---------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"syllables": self.syllables, "chars": self.chars}

    @classmethod
    def from_dict(cls, data: dict) -> ChannelModel:
        return cls(data["syllables"], data["chars"])

    # --- probabilities -------------------------------------------------------------------

    def readings_of(self, ocr: str) -> dict[str, int]:
        """Truth syllables that were read as this (lower-case) OCR token, with counts."""
        return self._readings.get(ocr, {})

    def _char_prob(self, truth: str, ocr: str) -> float:
        pooled = self._by_base.get(base_char(truth), Counter())
        pooled_total = sum(pooled.values()) if pooled else 0
        backoff = (pooled.get(ocr, 0) + CHAR_ALPHA) / (pooled_total + CHAR_ALPHA * 100)
        own = self.chars.get(truth, {})
        return (own.get(ocr, 0) + CHAR_PRIOR * backoff) / (sum(own.values()) + CHAR_PRIOR)

    def _char_logp(self, truth: str, ocr: str) -> float:
        return math.log(self._char_prob(truth, ocr))

    def edit_logp(self, truth: str, ocr: str) -> float:
        """log P(ocr | truth) over one Levenshtein alignment of their characters."""
        return sum(itertools.starmap(self.char_logp, aligned_chars(truth, ocr)))

    def _base_logp(self, base: str, ocr: str) -> float:
        pooled = self._by_base.get(base, Counter())
        return math.log((pooled.get(ocr, 0) + CHAR_ALPHA) / (pooled.total() + CHAR_ALPHA * 100))

    def key_logp(self, key: str, ocr: str) -> float:
        """log P(ocr | any syllable spelled key without marks), pooling each letter's marked
        forms: ranks stripped keys before their syllables are scored ("thye": "ự" reads "y",
        so "thuc" is near, "thic" is not, though both are two edits away)."""
        return sum(itertools.starmap(self.base_logp, aligned_chars(key, ocr)))

    def _logp(self, truth: str, ocr: str) -> float:
        """log P(OCR token | syllable): truth lower-case, OCR token as written (NFC)."""
        chars = math.exp(self.edit_logp(match_case(truth, ocr), ocr))
        seen = self._totals.get(truth, 0)
        if not seen:
            return math.log(max(chars, 1e-300))
        trust = seen / (seen + TABLE_TRUST)
        table = self.syllables[truth].get(ocr.lower(), 0) / seen
        return math.log(max(trust * table + (1 - trust) * chars, 1e-300))


def match_case(syllable: str, written: str) -> str:
    """The syllable in the case the OCR token was written in (ALL CAPS or Capitalised)."""
    style = _case_style(written)
    if style == "upper":
        return syllable.upper()
    if style == "title":
        return syllable[:1].upper() + syllable[1:]
    return syllable


@lru_cache(maxsize=1 << 16)
def _case_style(written: str) -> str:
    letters = [ch for ch in written if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return "upper"
    return "title" if written[:1].isupper() else "lower"


def aligned_chars(truth: str, ocr: str) -> list[tuple[str, str]]:
    """(truth char, OCR char) pairs of one Levenshtein alignment; INSERT or "" for gaps."""
    pairs: list[tuple[str, str]] = []
    i = j = 0
    for op in Levenshtein.editops(truth, ocr):
        if op.src_pos > i:  # the unchanged run before this edit
            pairs.extend(zip(truth[i:op.src_pos], ocr[j:j + op.src_pos - i], strict=True))
            i, j = op.src_pos, j + op.src_pos - i
        if op.tag == "replace":
            pairs.append((truth[i], ocr[j]))
            i, j = i + 1, j + 1
        elif op.tag == "delete":
            pairs.append((truth[i], ""))
            i += 1
        else:
            pairs.append((INSERT, ocr[j]))
            j += 1
    pairs.extend(zip(truth[i:], ocr[j:], strict=True))
    return pairs


def save_channels(channels: dict[str, ChannelModel], path: Path) -> None:
    """One file, one model per OCR engine language ("eng": legacy damage, "vie": Tesseract's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {lang: model.to_dict() for lang, model in channels.items()}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    atomic_write_bytes(path, gzip.compress(text.encode("utf-8"), mtime=0))


def load_channels(path: Path = DEFAULT_CHANNEL_PATH) -> dict[str, ChannelModel]:
    with gzip.open(path, "rt", encoding="utf-8") as src:
        data = json.load(src)
    return {lang: ChannelModel.from_dict(model) for lang, model in data.items()}


def count_pairs(
    pairs: list[tuple[str, str]], min_count: int = 1, lookalikes: dict[str, str] | None = None
) -> ChannelModel:
    """A channel model from aligned (truth syllable, OCR token) pairs as written, plus a
    prior for look-alike signs (OCR char → letter) the renders may not show."""
    syllables: dict[str, Counter] = defaultdict(Counter)
    chars: dict[str, Counter] = defaultdict(Counter)
    for sign, letter in (lookalikes or {}).items():
        chars[letter][sign] += LOOKALIKE_PRIOR
    for truth, ocr in pairs:
        truth = unicodedata.normalize("NFC", truth)
        syllables[truth.lower()][ocr.lower()] += 1
        for t, o in aligned_chars(truth, ocr):
            chars[t][o] += 1
    kept = {
        t: {o: c for o, c in seen.items() if c >= min_count or o == t}
        for t, seen in syllables.items()
    }
    return ChannelModel(
        {t: seen for t, seen in kept.items() if seen}, {t: dict(s) for t, s in chars.items()}
    )
