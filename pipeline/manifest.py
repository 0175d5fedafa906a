"""The batch manifest: what has been done to each input, kept in DIR/manifest.sqlite.

SQLite commits are atomic, so a kill at any moment leaves either the old or the new row. A
document is recorded as done only after all its outputs have been renamed into place, which
is what makes a re-run safe: done and unchanged means its outputs are complete.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError

MANIFEST_NAME = "manifest.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,   -- absolute path of the input
    stem TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- its outputs are DIR/<stem>.*
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,    -- the options the outputs were made with
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    pages INTEGER NOT NULL,
    error TEXT,
    outputs TEXT NOT NULL,     -- JSON list of output file names
    fields TEXT,               -- JSON record of the plan's fields, for the batch tables
    finished TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


@dataclass(frozen=True)
class Entry:
    source: Path
    stem: str
    size: int
    mtime_ns: int
    sha256: str
    settings: str
    status: str
    pages: int
    error: str | None
    outputs: list[str]
    fields: dict | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Manifest:
    """One row per input ever processed into the folder, keyed by its absolute path."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST_NAME
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as error:
            raise OutputError(
                f"{self.path}: not a usable vnplan manifest ({error}); "
                "use another output folder"
            ) from error

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def entries(self) -> Iterator[Entry]:
        """Every row, in the order the documents were first recorded."""
        rows = self._db.execute(
            "SELECT source, stem, size, mtime_ns, sha256, settings, status, pages, error, "
            "outputs, fields FROM documents ORDER BY rowid"
        )
        for row in rows:
            yield Entry(
                source=Path(row[0]), stem=row[1], size=row[2], mtime_ns=row[3], sha256=row[4],
                settings=row[5], status=row[6], pages=row[7], error=row[8],
                outputs=json.loads(row[9]), fields=json.loads(row[10]) if row[10] else None,
            )

    def record(self, entry: Entry) -> None:
        """Insert or replace the input's row, keeping its first position in the order."""
        values = (
            entry.stem, entry.size, entry.mtime_ns, entry.sha256, entry.settings, entry.status,
            entry.pages, entry.error, json.dumps(entry.outputs, ensure_ascii=False),
            json.dumps(entry.fields, ensure_ascii=False) if entry.fields is not None else None,
        )
        with self._db:
            self._db.execute(
                "INSERT INTO documents (source, stem, size, mtime_ns, sha256, settings, status, "
                "pages, error, outputs, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET stem=?, size=?, mtime_ns=?, sha256=?, "
                "settings=?, status=?, pages=?, error=?, outputs=?, fields=?, "
                "finished=datetime('now')",
                (str(entry.source), *values, *values),
            )
