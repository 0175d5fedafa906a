"""Writing results to disk: atomically, and never over another input's results.

The formats themselves are in :mod:`pipeline.writers`.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

from pipeline.errors import OutputBusyError, OutputError

T = TypeVar("T")


def unique_stems(
    sources: Iterable[T],
    stem_of: Callable[[T], str] = lambda path: path.stem,
    taken: Iterable[str] = (),
) -> dict[T, str]:
    """Output stem per input: its own stem, with -2, -3... when an earlier input (or one of
    the ``taken`` stems, already in the output folder) has it."""
    stems: dict[T, str] = {}
    used = {stem.casefold() for stem in taken}
    for source in sources:
        base = stem_of(source)
        stem, counter = base, 1
        while stem.casefold() in used:
            counter += 1
            stem = f"{base}-{counter}"
        used.add(stem.casefold())
        stems[source] = stem
    return stems


def output_stem(path: Path) -> str:
    """The input's stem, but never one ending in ``.raw``: ``a.raw.txt`` is the raw text of a."""
    stem = path.stem
    return f"{stem[:-4]}-raw" if stem.casefold().endswith(".raw") else stem


_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what atomic_write_bytes names them


def utf8_name(name: str) -> str:
    """A file name fit for outputs that reopen it by name: bytes that are not UTF-8 (lone
    surrogates in Python) become "_"."""
    return re.sub("[\udc80-\udcff]", "_", name)


def printable_path(path: Path) -> str:
    """A path for text outputs: a file name that is not UTF-8 (lone surrogates in Python)
    escaped as "\\udce1", which every writer and parser accepts."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write_bytes` of the text in UTF-8. A file name that is not UTF-8 (its
    bytes come back from the file system as lone surrogates) is written escaped, "\\udce1"."""
    atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_writer`."""
    with atomic_writer(path) as handle:
        handle.write(data)


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through, piece by piece: a temporary file renamed over it once
    complete, so a kill never leaves a truncated file, and a long document's output is never
    held whole in memory.

    A target that is not a regular file (``-o /dev/stdout``, ``/dev/null``, a symlink the user
    made) is written through, never replaced. The file gets the permissions the umask allows,
    as any file the user's programs create."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with open(path, "wb") as handle:
            yield handle
        return
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            os.fchmod(handle.fileno(), file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_mode() -> int:
    """The permissions a new file gets under the process's umask (mkstemp's are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def remove_stale_temporaries(out_dir: Path) -> None:
    """Delete temporary files a killed run left behind (never a finished output), in the
    folders of the output tree too."""
    for path in out_dir.rglob(".*.tmp"):
        if _TEMPORARY.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)


LOCK_NAME = ".vnplan.lock"


@contextmanager
def output_dir_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one run: two runs writing into one folder would overwrite
    each other's outputs and record the wrong ones as done. The lock file stays (removing it
    would race a run starting); the kernel drops the lock when its holder exits, killed too."""
    path = out_dir / LOCK_NAME
    try:
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot create {LOCK_NAME} ({error.strerror})") from error
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputBusyError(
                f"{out_dir}: another vnplan run ({holder}) is writing into this folder; "
                "wait for it to finish or choose another -o"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def prepare_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = f"cannot create output directory ({error.strerror})"
        raise OutputError(f"{out_dir}: {reason}") from error
