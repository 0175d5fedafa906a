"""Which files make one document, and its name: a scanner often writes one image per page
(``scan-p1.png``, ``scan-p2.png``...), and an archive keeps documents in a tree of folders.

``find_documents`` expands the command line's paths into ``DocumentSpec``s: the files of each
document in page order and an id, the document's path relative to the input it was found
under, without extension (``2024/ubnd-xa/0001``), so outputs can mirror the archive's tree.
Only names are looked at here (and a TIFF's page count); reading pages is the batch's job.

Groupings (``--group``):

- ``auto``: in one folder, single-page images whose names differ only by a page number form one
  document, in page-number order (see ``page_series``); every other file is a document alone.
- ``folder``: all the images of a folder form one document, in natural name order; a PDF stays
  a document alone.
- ``file``: every file is a document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.errors import InputError
from pipeline.export import output_stem, utf8_name
from pipeline.inputs import count_pages, discover

GROUPINGS = ("auto", "file", "folder")
# An image's suffix and the type it names: a series may spell it both ways.
IMAGE_SUFFIXES = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".tif": ".tif",
                  ".tiff": ".tif"}

# The page number: the last digits of the name, after a page word (p, trang = page...) or a
# separator, or in brackets as file managers number copies: "scan-p1", "scan_0001",
# "page-2", "Trang 3", "0001", "doc (3)".
_NUMBERED = re.compile(
    r"(?P<name>.*?)(?:(?:^|[\s._-]+)(?:p|pg|page|trang|tr)\.?[\s._-]*|[\s._-]*)"
    r"(?P<number>[0-9]+)",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"(?P<name>.*?)\s*\((?P<number>[0-9]+)\)")


@dataclass(frozen=True)
class DocumentSpec:
    """A document to process: its files in page order, and the id its outputs are named by."""

    id: str  # posix path relative to its input root, no extension; made unique by the batch
    files: tuple[Path, ...]  # absolute paths
    source: Path  # what to call it in messages: the file, or its folder / the series' name

    def pages(self) -> list[tuple[Path, int]]:
        """Every page as (file, 1-based page in that file), in document order.

        Reads each file's header; InputError names the file that has no readable pages.
        """
        return [(path, number) for path in self.files
                for number in range(1, count_pages(path) + 1)]


@dataclass(frozen=True)
class PageName:
    """A file name read as a page of a series: what the series' files share, and the number."""

    key: tuple[str, str, str]  # the name before and after the number, and the type, folded
    name: str  # the series' name: before the number and its page word, as written
    number: int


def page_name(filename: str) -> PageName | None:
    """The page number a file name carries, if any (``scan-p10.png`` → scan, 10)."""
    path = PurePosixPath(filename)
    suffix = IMAGE_SUFFIXES.get(path.suffix.lower())
    if suffix is None:
        return None
    stem = path.stem
    match = _BRACKETED.fullmatch(stem) or _NUMBERED.fullmatch(stem)
    if match is None:
        return None
    start, end = match.span("number")
    key = (stem[:start].casefold(), stem[end:].casefold(), suffix)
    return PageName(key, match["name"].rstrip(" ._-"), int(match["number"]))


def page_series(filenames: Sequence[str]) -> list[tuple[str | None, list[str]]]:
    """The names of one folder as documents: (series name, its pages in order) for each series,
    (None, [name]) for each name that is a document alone; in the order of the first names.

    A series is two names or more that differ only by their page number, with distinct
    numbers starting at 0 or 1: ``report-2023.png`` and ``report-2024.png`` (years), or
    camera counters such as ``IMG_4711.jpg``, ``IMG_4712.jpg``, are separate documents.
    """
    read = {filename: page_name(filename) for filename in filenames}
    series: dict[tuple[str, str, str], list[str]] = {}
    for filename, page in read.items():
        if page is not None:
            series.setdefault(page.key, []).append(filename)
    groups: list[tuple[str | None, list[str]]] = []
    placed: set[tuple[str, str, str]] = set()
    for filename, page in read.items():
        members = series.get(page.key, []) if page is not None else []
        numbers = [read[member].number for member in members]
        if len(members) < 2 or len(set(numbers)) < len(numbers) or min(numbers) > 1:
            groups.append((None, [filename]))
        elif page.key not in placed:
            placed.add(page.key)
            groups.append((page.name, sorted(members, key=lambda member: read[member].number)))
    return groups


def natural_key(name: str) -> list[str | int]:
    """Sorts ``p2`` before ``p10``: runs of digits compare as numbers."""
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"([0-9]+)", name)]


def find_documents(
    paths: Iterable[Path], group: str = "auto", *, skip: Path | None = None,
    page_count: Callable[[Path], int] = count_pages,
) -> tuple[list[DocumentSpec], list[InputError]]:
    """The documents under the command line's paths (folders searched recursively), each file
    in one document only, in the order they were found; and the paths that do not exist.

    A folder inside an input folder that is ``skip`` (the output folder, with PDFs of its own)
    is not searched. ``page_count`` tells a multi-page TIFF, which stays a document alone in
    ``auto``.
    """
    if group not in GROUPINGS:
        raise ValueError(f"unknown grouping {group!r}; known: {', '.join(GROUPINGS)}")
    found: dict[Path, tuple[Path, Path]] = {}  # absolute file -> (as found, its input root)
    problems: list[InputError] = []
    for path in paths:
        files, missing = discover([path])
        problems.extend(missing)
        root = path if path.is_dir() else path.parent
        inner = skip is not None and path.is_dir() and _strictly_inside(skip, path)
        for file in files:
            if not (inner and _strictly_inside(file, skip)):
                found.setdefault(file.resolve(), (file, root))
    folders: dict[Path, list[Path]] = {}
    for absolute, (file, _) in found.items():
        folders.setdefault(file.parent.absolute(), []).append(absolute)
    documents: dict[Path, DocumentSpec] = {}  # by its first file, to keep the order found
    for files in folders.values():
        for spec in _group_folder(files, found, group, page_count):
            documents[spec.files[0]] = spec
    return [documents[file] for file in found if file in documents], problems


def _group_folder(
    files: list[Path], found: dict[Path, tuple[Path, Path]], group: str,
    page_count: Callable[[Path], int],
) -> list[DocumentSpec]:
    """The documents of one folder's files (absolute paths, in the order found)."""
    if group == "file":
        return [_alone(file, found) for file in files]
    images = {found[file][0].name: file for file in files
              if _single_image(file, group, page_count)}  # by the name it was found by
    grouped = set(images.values())
    specs = [_alone(file, found) for file in files if file not in grouped]
    if group == "folder":
        pages = [images[name] for name in sorted(images, key=natural_key)]
        return specs + ([_series("", pages, found)] if pages else [])
    for name, members in page_series(list(images)):
        pages = [images[member] for member in members]
        specs.append(_alone(pages[0], found) if name is None else _series(name, pages, found))
    return specs


def _single_image(path: Path, group: str, page_count: Callable[[Path], int]) -> bool:
    """An image file; for ``auto`` one page only, so a multi-page TIFF stays alone."""
    suffix = IMAGE_SUFFIXES.get(path.suffix.lower())
    if suffix is None:
        return False
    if group == "folder" or suffix != ".tif":
        return True
    try:
        return page_count(path) == 1
    except InputError:
        return True  # damaged: it fails the series it belongs to, which names it


def _alone(file: Path, found: dict[Path, tuple[Path, Path]]) -> DocumentSpec:
    path, root = found[file]
    relative = PurePosixPath(_relative(path, root))
    document_id = utf8_name(str(relative.with_name(output_stem(path))))
    return DocumentSpec(id=document_id, files=(file,), source=file)


def _series(name: str, pages: list[Path], found: dict[Path, tuple[Path, Path]]) -> DocumentSpec:
    """Several files as one document, named after the series (or the folder, for no name)."""
    first, root = found[pages[0]]
    folder, location = _relative(first.parent, root), pages[0].parent
    if not name:
        document_id = folder or location.name or "document"
    else:
        document_id = f"{folder}/{name}" if folder else name
    return DocumentSpec(id=utf8_name(document_id), files=tuple(pages),
                        source=location / name if name else location)


def _strictly_inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path != folder and path.is_relative_to(folder)


def _relative(path: Path, root: Path) -> str:
    """``path`` under ``root`` as a posix path, "" for the root itself."""
    relative = path.relative_to(root).as_posix()
    return "" if relative == "." else relative
