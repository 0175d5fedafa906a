"""vnplan: scanned Vietnamese administrative plans to correct text and structured data."""

__version__ = "0.1.0"
