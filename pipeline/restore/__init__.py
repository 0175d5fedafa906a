"""Diacritic restoration for Vietnamese text stripped of its marks.

    >>> restore_text("Ke hoach to chuc thuc hien")  # doctest: +SKIP
    'Kế hoạch tổ chức thực hiện'

The model is built by `vnplan lm build` (pipeline/data/syllable_lm.npz).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from .build import DEFAULT_MODEL_PATH
from .candidates import CandidateIndex
from .channel import DEFAULT_CHANNEL_PATH, ChannelModel, load_channels
from .decode import restore
from .lm import LanguageModel
from .modes import CLEAN, MODES, OCR, STRIPPED, line_modes
from .repair import DEFAULT_CONFIG, Correction, RepairConfig, Repairer
from .syllable import strip_diacritics

__all__ = [
    "MODES",
    "Correction",
    "Repairer",
    "candidate_index",
    "load_channel",
    "repairer",
    "LanguageModel",
    "ModelMissingError",
    "load_language_model",
    "restore_text",
    "strip_diacritics",
]


class ModelMissingError(FileNotFoundError):
    """The syllable LM has not been built yet."""


@lru_cache(maxsize=4)
def _load(path: Path, modified_ns: int) -> LanguageModel:
    return LanguageModel.load(path)


def load_language_model(path: Path | None = None) -> LanguageModel:
    """Load the model (cached until the file changes); default pipeline/data/syllable_lm.npz."""
    path = Path(path or DEFAULT_MODEL_PATH).resolve()
    if not path.is_file():
        raise ModelMissingError(
            f"syllable language model not found at {path}; build it with `vnplan lm build`"
        )
    return _load(path, path.stat().st_mtime_ns)


_INDEXES: dict[LanguageModel, CandidateIndex] = {}  # the few most recent models


def candidate_index(lm: LanguageModel) -> CandidateIndex:
    """The candidate index of a model, built once per model object."""
    index = _INDEXES.pop(lm, None) or CandidateIndex.from_model(lm)
    _INDEXES[lm] = index
    while len(_INDEXES) > 4:
        del _INDEXES[next(iter(_INDEXES))]
    return index


@lru_cache(maxsize=4)
def _channels(path: Path, modified_ns: int) -> dict[str, ChannelModel]:
    return load_channels(path)


def load_channel(lang: str = "eng", path: Path | None = None) -> ChannelModel:
    """The OCR channel of an engine language: "eng" (legacy OCR) or "vie" (Tesseract's)."""
    path = Path(path or DEFAULT_CHANNEL_PATH).resolve()
    if not path.is_file():
        raise ModelMissingError(
            f"OCR channel model not found at {path}; build it with `vnplan channel build`"
        )
    return _channels(path, path.stat().st_mtime_ns)[lang]


REPAIR_BATCH_LINES = 500  # OCR lines repaired together (a sentence rarely spans more)
_REPAIRERS: dict[tuple[LanguageModel, ChannelModel, RepairConfig], Repairer] = {}


def repairer(
    lm: LanguageModel, channel: ChannelModel, config: RepairConfig = DEFAULT_CONFIG
) -> Repairer:
    """The repairer of a model pair, built once (its caches persist across calls)."""
    key = (lm, channel, config)
    if key not in _REPAIRERS:
        if len(_REPAIRERS) >= 4:
            del _REPAIRERS[next(iter(_REPAIRERS))]
        _REPAIRERS[key] = Repairer(lm, candidate_index(lm), channel, config)
    return _REPAIRERS[key]


def restore_text(
    text: str, lm: LanguageModel | None = None, mode: str = "auto",
    channel: ChannelModel | None = None,
) -> str:
    """Correct Vietnamese text: clean lines are kept, stripped ones get their marks back,
    OCR-damaged ones are repaired; mode ("auto" decides per line) forces one treatment."""
    if lm is None:
        lm = load_language_model()
    index = candidate_index(lm)
    text = unicodedata.normalize("NFC", text)
    if mode == CLEAN:
        return text
    if mode == STRIPPED:
        return restore(text, lm, index)
    lines = text.split("\n")
    modes = [OCR] * len(lines) if mode == OCR else line_modes(
        lines, index.abbreviation_known, index.knows
    )
    if OCR not in modes:
        return restore(text, lm, index)
    fixer = repairer(lm, channel or load_channel("eng"))
    out: list[str] = []
    start = 0
    for end in range(1, len(lines) + 1):  # runs of OCR lines and of the others
        if end == len(lines) or (modes[end] == OCR) != (modes[start] == OCR):
            run = lines[start:end]
            if modes[start] == OCR:  # a bounded number of lines at a time: flat memory
                for first in range(0, len(run), REPAIR_BATCH_LINES):
                    out.extend(fixer.repair_lines(run[first : first + REPAIR_BATCH_LINES])[0])
            else:
                out.extend(restore("\n".join(run), lm, index).split("\n"))
            start = end
    return "\n".join(out)
