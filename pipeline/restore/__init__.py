"""Diacritic restoration for Vietnamese text stripped of its marks.

    >>> restore_text("Ke hoach to chuc thuc hien")  # doctest: +SKIP
    'Kế hoạch tổ chức thực hiện'

The model is built by `vnplan lm build` (pipeline/data/syllable_lm.npz).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .build import DEFAULT_MODEL_PATH
from .candidates import CandidateIndex
from .decode import restore
from .lm import LanguageModel
from .syllable import strip_diacritics

__all__ = [
    "candidate_index",
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


def restore_text(text: str, lm: LanguageModel | None = None) -> str:
    """Put the diacritics back into stripped Vietnamese; keeps everything else."""
    if lm is None:
        lm = load_language_model()
    return restore(text, lm, candidate_index(lm))
