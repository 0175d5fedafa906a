"""Reading plan texts for ``vnplan parse``: UTF-8 files or stdin, bad input as InputError."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.errors import InputError

STDIN = "-"
# A plan is tens of kilobytes; anything this big is not one (and would only be slow).
MAX_BYTES = 2_000_000


def read_plan_text(source: str) -> str:
    """The text of a UTF-8 file (BOM allowed) or of stdin for "-"; an empty file is ""."""
    if source == STDIN:
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(path, "no such file")
        if path.is_dir():
            raise InputError(path, "is a directory, not a text file")
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            raise InputError(path, f"cannot read ({error.strerror or error})") from error
    if len(data) > MAX_BYTES:
        raise InputError(source, f"too large for a plan (over {MAX_BYTES // 1_000_000} MB)")
    if b"\x00" in data:
        raise InputError(source, "binary data, not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            source, f"not UTF-8 text (bad byte at offset {error.start}); convert it to UTF-8"
        ) from error


def stem_of(source: str) -> str:
    return "stdin" if source == STDIN else Path(source).stem
