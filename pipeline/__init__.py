"""vnplan: scanned Vietnamese administrative plans to correct text and structured data."""

from pipeline.restore import restore_text

__version__ = "0.1.0"
__all__ = ["restore_text"]
