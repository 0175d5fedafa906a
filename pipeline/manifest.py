"""The batch manifest: what has been done to each document, kept in DIR/manifest.sqlite.

SQLite commits are atomic, so a kill at any moment leaves either the old or the new row. A
document is recorded as done only after all its outputs have been renamed into place, which
is what makes a re-run safe: done and unchanged means its outputs are complete.

A row is a document, named by its id (``stem``: its outputs are DIR/<stem>.*). It is found
again by its files' paths, or, when those are gone, by its content (the SHA-256 of its files),
so an archive moved or renamed is not done again.

Besides the manifest, DIR/.vnplan/pages/ keeps the finished pages of documents not yet done
(:class:`PageStore`), so a long document killed mid-way continues where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.errors import ManifestError, OutputError
from pipeline.export import atomic_write_bytes
from pipeline.models import Box, Line, Page, Word, WordCounts

MANIFEST_NAME = "manifest.sqlite"
VERSION = 3  # PRAGMA user_version; 0 is the first layout: one row per input file; 2 lacks counts
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
    finished TEXT NOT NULL DEFAULT (datetime('now')),
    counts TEXT                -- JSON WordCounts, for the report without reading the pages

)
"""
_COLUMNS = "stem, source, files, sha256, settings, status, pages, error, outputs, fields, counts"
_LAYOUT = {*_COLUMNS.split(", "), "finished"}
_SECOND_LAYOUT = _LAYOUT - {"counts"}
_FIRST_LAYOUT = {"source", "stem", "size", "mtime_ns", "sha256", "settings", "status", "pages",
                 "error", "outputs", "fields", "finished"}
_FOREIGN = "restore it from a backup, or use another output folder"


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
    counts: WordCounts | None = None  # None: recorded by an older vnplan, or failed

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
        except sqlite3.Error as error:
            raise OutputError(f"{self.path}: cannot open the manifest ({error})") from error
        try:
            self._open(self._check())
        except sqlite3.Error as error:
            self._db.close()
            raise self._error(error, "cannot open the manifest") from error
        except BaseException:
            self._db.close()
            raise

    def _check(self) -> bool:
        """Refuse, before anything is written to it, a file that is not a manifest this vnplan
        can use: not SQLite, damaged, another program's tables, a newer vnplan's. Whether it
        must be made or brought to this layout (a current one is not written to at all)."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise ManifestError(
                f"{self.path}: made by a newer vnplan (manifest version {version}); "
                "use that version or another output folder"
            )
        if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise ManifestError(f"{self.path}: the manifest is damaged; {_FOREIGN}")
        tables = sorted(name for (name,) in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))
        if not tables:
            return True  # a new manifest
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if tables != ["documents"] or columns not in (_LAYOUT, _SECOND_LAYOUT, _FIRST_LAYOUT):
            raise ManifestError(
                f"{self.path}: not a vnplan manifest (tables: {', '.join(tables)}); {_FOREIGN}"
            )
        return columns != _LAYOUT or version != VERSION

    def _error(self, error: sqlite3.Error, doing: str) -> OutputError:
        """A damaged database is the manifest's fault (ManifestError); a full disk or a
        read-only file is the folder's (OutputError)."""
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return ManifestError(f"{self.path}: the manifest is damaged ({error}); {_FOREIGN}")
        return OutputError(f"{self.path}: {doing} ({error})")

    def _open(self, to_make: bool) -> None:
        """Create the table, or bring an earlier layout to this one, in one transaction."""
        if not to_make:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
            if "mtime_ns" in columns:
                self._migrate_first_layout()
            elif columns and "counts" not in columns:  # the second: its rows stay, uncounted
                self._db.execute("ALTER TABLE documents ADD COLUMN counts TEXT")
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
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
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
        """Every row, in the order the documents were first recorded; a row whose JSON is
        damaged stops the run before anything is written (ManifestError)."""
        try:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY rowid").fetchall()
        except sqlite3.Error as error:
            raise self._error(error, "cannot read the manifest") from error
        for (stem, source, files, sha256, settings, status, pages, error, outputs, fields,
             counts) in rows:
            try:
                entry = Entry(
                    stem=stem, source=_from_text(source),
                    files=tuple(FileFacts(_from_text(p), int(size), int(t))
                                for p, size, t in json.loads(files)),
                    sha256=sha256, settings=settings, status=status, pages=pages, error=error,
                    outputs=json.loads(outputs), fields=json.loads(fields) if fields else None,
                    counts=WordCounts(**json.loads(counts)) if counts else None,
                )
                if not (isinstance(entry.outputs, list)
                        and all(isinstance(name, str) for name in entry.outputs)
                        and isinstance(entry.fields, dict | None)):
                    raise ValueError("not the JSON vnplan writes")
            except (ValueError, TypeError, AttributeError) as failure:
                raise ManifestError(
                    f"{self.path}: the row of {stem!r} is damaged ({failure}); {_FOREIGN}"
                ) from failure
            yield entry

    def record(self, entry: Entry) -> None:
        """Insert or replace the document's row, keeping its first position in the order."""
        values = (
            _as_text(entry.source), _files_json(entry.files), entry.sha256, entry.settings,
            entry.status, entry.pages, entry.error,
            json.dumps(entry.outputs, ensure_ascii=False),
            json.dumps(entry.fields, ensure_ascii=False) if entry.fields is not None else None,
            json.dumps(dataclasses.asdict(entry.counts)) if entry.counts is not None else None,
        )
        self._write(
            f"INSERT INTO documents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(stem) DO UPDATE SET source=?, files=?, sha256=?, settings=?, "
            "status=?, pages=?, error=?, outputs=?, fields=?, counts=?, "
            "finished=datetime('now')",
            (entry.stem, *values, *values),
        )

    def repoint(self, stem: str, source: Path, files: Iterable[FileFacts]) -> None:
        """The document's files are now these (moved, renamed or touched): nothing else
        changes, its outputs included."""
        self._write(
            "UPDATE documents SET source = ?, files = ? WHERE stem = ?",
            (_as_text(source), _files_json(files), stem),
        )

    def remove(self, entry: Entry) -> bool:
        """Delete the row if it still describes the same files; whether it did."""
        cursor = self._write(
            "DELETE FROM documents WHERE stem = ? AND files = ?",
            (entry.stem, _files_json(entry.files)),
        )
        return cursor.rowcount > 0

    def _write(self, statement: str, values: tuple) -> sqlite3.Cursor:
        try:
            return self._db.execute(statement, values)
        except sqlite3.Error as error:  # a full disk, a manifest made read-only mid-run
            raise self._error(error, "cannot record in the manifest") from error


_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26  # primary result codes of a damaged database


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


STATE_DIR = ".vnplan"  # the folder's private state besides the manifest
# of a stored page's JSON (2: layout, models, widening; 3: words' choices); another is read again
_PAGE_FORMAT = 3
# settings a page's reading ignores (--adapt corrects the pages again once they are all read)
_NOT_PAGE_SETTINGS = ("pages", "parse", "output_type", "adapt", "adapted_lm")


class PageStore:
    """The finished pages of documents not yet done, one small JSON per page, so a long
    document killed mid-way (or failed on one page) continues where it stopped instead of
    from page 1. Kept in DIR/.vnplan/pages/<content hash>-<settings hash>/<position>.json,
    with the page's review-page image (<position>.jpg) when the worker made it: a changed file
    or other settings never reuse a page; a document's pages are removed once it is done."""

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / STATE_DIR / "pages"

    def folder(self, sha256: str, settings: str) -> Path:
        """Where a document's pages are kept: by its content and the settings that shape how a
        page is read (not which pages, the fields or the PDF: a re-run with another
        ``--output-type`` or ``--pages`` reuses them)."""
        try:
            shaping = json.loads(settings)
            for name in _NOT_PAGE_SETTINGS:
                shaping.pop(name, None)
            settings = json.dumps(shaping, sort_keys=True)
        except (ValueError, AttributeError):
            pass  # not the settings vnplan writes: taken as they are
        return self.root / f"{sha256}-{hashlib.sha256(settings.encode()).hexdigest()[:16]}"

    def load(self, sha256: str, settings: str, positions: Iterable[int]) -> dict[int, Page]:
        """The stored pages among ``positions``; a page that cannot be read is left out (read
        again), never an error."""
        folder = self.folder(sha256, settings)
        if not folder.is_dir():
            return {}
        pages: dict[int, Page] = {}
        for position in positions:
            page = self._page_in(folder, position)
            if page is not None:
                pages[position] = page
        return pages

    def page(self, sha256: str, settings: str, position: int) -> Page | None:
        """The stored page at ``position``, None when it cannot be read: one page at a time,
        so a long document's pages need never be in memory together."""
        return self._page_in(self.folder(sha256, settings), position)

    @staticmethod
    def _page_in(folder: Path, position: int) -> Page | None:
        try:
            record = json.loads((folder / f"{position}.json").read_bytes())
            if record["format"] == _PAGE_FORMAT and record["vnplan"] == __version__:
                return _page_from_json(record["page"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass
        return None

    def save(
        self, sha256: str, settings: str, position: int, page: Page, preview: bytes | None = None
    ) -> None:
        """Keep the page, and its review-page image if it has one (written first: a page kept
        has the image it was kept with)."""
        folder = self.folder(sha256, settings)
        record = {"format": _PAGE_FORMAT, "vnplan": __version__, "page": _page_to_json(page)}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if preview is not None:
                atomic_write_bytes(folder / f"{position}.jpg", preview)
            atomic_write_bytes(folder / f"{position}.json", json.dumps(record).encode("ascii"))
        except OSError as error:
            raise OutputError(
                f"{folder}: cannot keep a finished page ({error.strerror})"
            ) from error

    def previews(self, sha256: str, settings: str, positions: Iterable[int]) -> dict[int, bytes]:
        """The review-page images kept with pages among ``positions``; one that cannot be read
        is left out (made again from the scan)."""
        found: dict[int, bytes] = {}
        for position in positions:
            image = self.preview(sha256, settings, position)
            if image is not None:
                found[position] = image
        return found

    def preview(self, sha256: str, settings: str, position: int) -> bytes | None:
        """The review-page image kept with the page at ``position``, if it can be read."""
        try:
            return (self.folder(sha256, settings) / f"{position}.jpg").read_bytes()
        except OSError:
            return None

    def discard(self, sha256: str, settings: str) -> None:
        """The document is done: its pages are no longer needed."""
        shutil.rmtree(self.folder(sha256, settings), ignore_errors=True)
        self._tidy()

    def keep_only(self, keys: Iterable[tuple[str, str]]) -> None:
        """Remove the pages of every document but these (sha256, settings): those of files
        since changed, removed or done with other settings."""
        wanted = {self.folder(sha256, settings).name for sha256, settings in keys}
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder.name not in wanted:
                    shutil.rmtree(folder, ignore_errors=True)
        self._tidy()

    def _tidy(self) -> None:
        """No empty state folder left in the user's output folder."""
        for folder in (self.root, self.root.parent):
            try:
                folder.rmdir()
            except OSError:
                return  # not empty, or not there


_PAGE_LOCAL = ("source", "source_page")  # where the page came from: set by the batch


def _page_to_json(page: Page) -> dict:
    record = dataclasses.asdict(page)
    for name in _PAGE_LOCAL:
        del record[name]
    return record


def _page_from_json(record: dict) -> Page:
    """The page as stored; a field missing or unknown (another layout of Page) is a
    TypeError."""
    lines = [
        Line(**{**line, "box": Box(**line["box"]),
                "words": [_word_from_json(word) for word in line["words"]]})
        for line in record.pop("lines")
    ]
    return Page(**record, lines=lines)


def _word_from_json(record: dict) -> Word:
    """The word as stored, its letters' choices (JSON lists) as the tuples a read word holds."""
    choices = tuple(tuple((letter, cost) for letter, cost in options)
                    for options in record.get("choices", ()))
    return Word(**{**record, "box": Box(**record["box"]), "choices": choices})
