"""vnplan: scanned Vietnamese administrative plans to correct text and structured data."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.restore import restore_text

try:
    __version__ = version("vnplan")  # pyproject.toml's, recorded in every output
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
__all__ = ["restore_text"]


def __getattr__(name: str) -> object:
    """``pipeline.restore_text``, imported on first use: importing any module of the package
    runs this file, and the correction models' code (NumPy and all) is not every module's."""
    if name == "restore_text":
        from pipeline.restore import restore_text

        return restore_text
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
