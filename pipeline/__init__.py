"""vnplan: scanned Vietnamese administrative plans to correct text and structured data."""

from importlib.metadata import PackageNotFoundError, version

from pipeline.restore import restore_text

try:
    __version__ = version("vnplan")  # pyproject.toml's, recorded in every output
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
__all__ = ["restore_text"]
