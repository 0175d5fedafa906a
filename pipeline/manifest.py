"""The batch manifest: what has been done to each document, kept in DIR/manifest.sqlite.

SQLite commits are atomic, so a kill at any moment leaves either the old or the new row. A
document is recorded as done only after all its outputs have been renamed into place, which
is what makes a re-run safe: done and unchanged means its outputs are complete.

A row is a document, named by its id (``stem``: its outputs are DIR/<stem>.*). It is found
again by its files' paths, or, when those are gone, by its content (the SHA-256 of its files),
so an archive moved or renamed is not done again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError

MANIFEST_NAME = "manifest.sqlite"
VERSION = 2  # PRAGMA user_version; 0 is the first layout: one row per input file
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    stem TEXT PRIMARY KEY COLLATE NOCASE,  -- the document id: its outputs are DIR/<stem>.*
    source TEXT NOT NULL,      -- the input file, or the folder and name of a series of pages
    files TEXT NOT NULL,       -- JSON [[absolute path, size, mtime_ns], ...] in page order
    sha256 TEXT NOT NULL,      -- of the content: see content_sha256
    settings TEXT NOT NULL,    -- the options the outputs were made with
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    pages INTEGER NOT NULL,
    error TEXT,
    outputs TEXT NOT NULL,     -- JSON list of output paths, relative to DIR
    fields TEXT,               -- JSON record of the plan's fields, for the batch tables
    finished TEXT NOT NULL DEFAULT (datetime('now'))
)
"""
_COLUMNS = "stem, source, files, sha256, settings, status, pages, error, outputs, fields"


@dataclass(frozen=True)
class FileFacts:
    """What tells a file unchanged without reading it."""

    path: Path
    size: int
    mtime_ns: int

    @staticmethod
    def of(path: Path) -> FileFacts:
        stat = path.stat()
        return FileFacts(path, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class Entry:
    stem: str
    source: Path
    files: tuple[FileFacts, ...]
    sha256: str
    settings: str
    status: str
    pages: int
    error: str | None
    outputs: list[str]
    fields: dict | None

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(facts.path for facts in self.files)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def content_sha256(paths: Sequence[Path]) -> str:
    """A document's content hash: a single file's own SHA-256 (what ``sha256sum`` prints);
    for several files, the SHA-256 of their SHA-256s in page order, one per line."""
    hashes = [file_sha256(path) for path in paths]
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("".join(f"{h}\n" for h in hashes).encode("ascii")).hexdigest()


class Manifest:
    """One row per document ever processed into the folder, keyed by its id."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST_NAME
        try:
            # Autocommit: each statement is its own transaction unless BEGIN says otherwise.
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._open()
        except sqlite3.DatabaseError as error:
            raise OutputError(
                f"{self.path}: not a usable vnplan manifest ({error}); "
                "use another output folder"
            ) from error

    def _open(self) -> None:
        """Create the table, or bring a first-layout manifest to this one, in one transaction."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            self._db.close()
            raise OutputError(
                f"{self.path}: made by a newer vnplan (manifest version {version}); "
                "use that version or another output folder"
            )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            first_layout = self._db.execute(
                "SELECT 1 FROM pragma_table_info('documents') WHERE name = 'mtime_ns'"
            ).fetchone()
            if first_layout:
                self._migrate_first_layout()
            self._db.execute(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _migrate_first_layout(self) -> None:
        """One row per input file becomes one single-file document: the same id, outputs and
        content hash (a single file's content hash is its SHA-256)."""
        self._db.execute("ALTER TABLE documents RENAME TO documents_first_layout")
        self._db.execute(_SCHEMA)
        rows = self._db.execute(
            "SELECT stem, source, size, mtime_ns, sha256, settings, status, pages, error, "
            "outputs, fields, finished FROM documents_first_layout ORDER BY rowid"
        ).fetchall()
        self._db.executemany(
            f"INSERT INTO documents ({_COLUMNS}, finished) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(stem, source, json.dumps([[source, size, mtime_ns]], ensure_ascii=False), *rest)
             for stem, source, size, mtime_ns, *rest in rows],
        )
        self._db.execute("DROP TABLE documents_first_layout")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def entries(self) -> Iterator[Entry]:
        """Every row, in the order the documents were first recorded."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY rowid")
        for stem, source, files, sha256, settings, status, pages, error, outputs, fields in rows:
            yield Entry(
                stem=stem, source=_from_text(source),
                files=tuple(FileFacts(_from_text(p), size, t) for p, size, t in json.loads(files)),
                sha256=sha256, settings=settings, status=status, pages=pages, error=error,
                outputs=json.loads(outputs), fields=json.loads(fields) if fields else None,
            )

    def record(self, entry: Entry) -> None:
        """Insert or replace the document's row, keeping its first position in the order."""
        values = (
            _as_text(entry.source), _files_json(entry.files), entry.sha256, entry.settings,
            entry.status, entry.pages, entry.error,
            json.dumps(entry.outputs, ensure_ascii=False),
            json.dumps(entry.fields, ensure_ascii=False) if entry.fields is not None else None,
        )
        self._db.execute(
            f"INSERT INTO documents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(stem) DO UPDATE SET source=?, files=?, sha256=?, settings=?, "
            "status=?, pages=?, error=?, outputs=?, fields=?, finished=datetime('now')",
            (entry.stem, *values, *values),
        )

    def repoint(self, stem: str, source: Path, files: Iterable[FileFacts]) -> None:
        """The document's files are now these (moved, renamed or touched): nothing else
        changes, its outputs included."""
        self._db.execute(
            "UPDATE documents SET source = ?, files = ? WHERE stem = ?",
            (_as_text(source), _files_json(files), stem),
        )

    def remove(self, entry: Entry) -> bool:
        """Delete the row if it still describes the same files; whether it did."""
        cursor = self._db.execute(
            "DELETE FROM documents WHERE stem = ? AND files = ?",
            (entry.stem, _files_json(entry.files)),
        )
        return cursor.rowcount > 0


def _files_json(files: Iterable[FileFacts]) -> str:
    return json.dumps([[_as_text(f.path), f.size, f.mtime_ns] for f in files], ensure_ascii=False)


_BYTES = "fs-bytes:"  # a path whose name is not UTF-8, kept as the hex of its bytes


def _as_text(path: Path) -> str:
    """A path as SQLite text (UTF-8 only), reversibly: a name that is not UTF-8 as its bytes."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _BYTES + os.fsencode(path).hex()
    return text


def _from_text(text: str) -> Path:
    return Path(os.fsdecode(bytes.fromhex(text[len(_BYTES):]))) if text.startswith(_BYTES) \
        else Path(text)


class Known:
    """The manifest's rows, indexed to find the one a document of this run continues."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._by_paths = {entry.paths: entry for entry in self.entries}
        self._by_path: dict[Path, list[Entry]] = {}
        self._by_content: dict[str, list[Entry]] = {}
        for entry in self.entries:
            for path in entry.paths:
                self._by_path.setdefault(path, []).append(entry)
            self._by_content.setdefault(entry.sha256, []).append(entry)
        self._claimed: set[str] = set()

    def by_paths(self, paths: tuple[Path, ...]) -> Entry | None:
        """The row of exactly these files, in this order."""
        entry = self._by_paths.get(paths)
        if entry is not None:
            self._claimed.add(entry.stem)
        return entry

    def moved(self, sha256: str) -> Entry | None:
        """A row of the same content whose files are all gone: the same document, moved or
        renamed. Each row is found once, so two copies of one scan stay two documents."""
        for entry in self._by_content.get(sha256, []):
            if entry.stem not in self._claimed and not any(p.exists() for p in entry.paths):
                self._claimed.add(entry.stem)
                return entry
        return None

    def overlapping(self, paths: Iterable[Path], besides: Entry | None) -> list[Entry]:
        """Other rows holding any of these files: documents this one replaces, as when a
        series gained a page or ``--group`` changed."""
        rows = {entry.stem: entry for path in paths for entry in self._by_path.get(path, [])}
        return [row for stem, row in rows.items() if besides is None or stem != besides.stem]
