"""A document written by a worker from its page store: the same files as from its pages held in
memory, while the pages are read one at a time, never all together."""

from __future__ import annotations

import copy
import json
import os
import platform
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from pipeline.finish import write_document
from pipeline.inputs import read_pages
from pipeline.manifest import PageStore
from pipeline.models import Document, Page
from pipeline.pages import ocr_page
from pipeline.parse import parse_plan
from pipeline.pool import LocalPool, Task
from pipeline.preview import preview_jpeg
from pipeline.tasks import DocumentWork, WorkerFunction
from pipeline.writers import write_document_outputs
from pipeline.writers.html import word_counts
from pipeline.writers.pdf import write_pdf

SETTINGS = json.dumps({"lang": "vie", "parse": True, "output_type": "none"}, sort_keys=True)
SHA = "5" * 64
PAGES = 7


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory, _pixels_a: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("finish") / "ke-hoach.png"
    Image.fromarray(_pixels_a).save(path, dpi=(300, 300))
    return path


@pytest.fixture(scope="module")
def real_page(scan: Path) -> Page:
    """The page as Tesseract and the correction read it."""
    return ocr_page(next(read_pages(scan)), source=scan)


def _work(out: Path, scan: Path, given: dict[int, Page] | None = None) -> DocumentWork:
    """A document of PAGES pages, all the same scan; those not ``given`` kept in the store."""
    given = given or {}
    return DocumentWork(
        source=scan, stem="plan", out_dir=out, settings=SETTINGS, sha256=SHA,
        page_refs=tuple((scan, 1) for _ in range(PAGES)),
        kept=tuple(position for position in range(1, PAGES + 1) if position not in given),
        given=given, output_type="none",
    )


def _keep(out: Path, page: Page, preview: bytes) -> None:
    for position in range(1, PAGES + 1):
        stored = copy.deepcopy(page)
        stored.number = position
        PageStore(out).save(SHA, SETTINGS, position, stored, preview if position % 2 else None)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*")
            if path.is_file() and ".vnplan" not in path.parts}


def test_outputs_from_the_store_are_those_of_the_pages_in_memory(
    tmp_path: Path, scan: Path, real_page: Page, _pixels_a: np.ndarray
) -> None:
    preview = preview_jpeg(_pixels_a)
    streamed = tmp_path / "streamed"
    _keep(streamed, real_page, preview)
    written = write_document(_work(streamed, scan, given={3: copy.deepcopy(real_page)}))
    assert not written.errors

    held = tmp_path / "held"
    held.mkdir()
    pages = []
    for position in range(1, PAGES + 1):
        page = copy.deepcopy(real_page)
        page.number, page.source, page.source_page = position, scan, 1
        pages.append(page)
    document = Document(scan, pages)
    fields = parse_plan(document.text).to_dict()
    write_document_outputs(document, fields, held, "plan", settings=json.loads(SETTINGS),
                           previews={n: preview for n in range(1, PAGES + 1, 2)})

    assert written.fields == fields
    assert written.counts == word_counts(document.pages)
    expected, actual = _files(held), _files(streamed)
    assert sorted(actual) == sorted(expected)
    assert "plan.pages/page-2.jpg" in actual  # made from the scan: it was kept without one
    for name, data in expected.items():
        assert actual[name] == data, name


def test_pages_are_read_one_at_a_time(
    tmp_path: Path, scan: Path, real_page: Page, _pixels_a: np.ndarray,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _keep(tmp_path, real_page, preview_jpeg(_pixels_a))
    alive: set[int] = set()
    most = 0
    read = PageStore.page

    def page(self: PageStore, sha256: str, settings: str, position: int) -> Page | None:
        nonlocal most
        found = read(self, sha256, settings, position)
        if found is not None:
            alive.add(id(found))
            weakref.finalize(found, alive.discard, id(found))
            most = max(most, len(alive))
        return found

    monkeypatch.setattr(PageStore, "page", page)
    written = write_document(_work(tmp_path, scan))
    assert not written.errors and written.counts is not None
    assert most <= 2  # the page being written, and the next one as it is read


def test_a_page_lost_from_the_store_is_an_error_of_the_document(
    tmp_path: Path, scan: Path, real_page: Page, _pixels_a: np.ndarray
) -> None:
    _keep(tmp_path, real_page, preview_jpeg(_pixels_a))
    (PageStore(tmp_path).folder(SHA, SETTINGS) / "4.json").unlink()
    written = write_document(_work(tmp_path, scan))
    assert written.errors == [f"page 4 was lost from {PageStore(tmp_path).root}; run again"]
    record = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert [page["number"] for page in record["pages"]] == [1, 2, 3, 5, 6, 7]


def test_the_pdf_leaves_pikepdf_reading_files_as_it_found_it(
    tmp_path: Path, scan: Path, real_page: Page
) -> None:
    """OCRmyPDF maps every file pikepdf opens into memory from then on; left so, the PDF/A
    pass over a long document's joined parts holds the whole file."""
    core = pikepdf._core
    before = core.get_access_default_mmap()
    page = copy.deepcopy(real_page)
    page.source, page.source_page = scan, 1
    write_pdf(Document(scan, [page]), tmp_path / "plan.pdf")
    assert core.get_access_default_mmap() == before
    with pikepdf.open(tmp_path / "plan.pdf") as pdf:
        assert len(pdf.pages) == 1


# A 24 MB block freed, then an 8 MB one taken and freed: the bytes glibc has mapped outside its
# heap while the 8 MB block lives, and how much of it stays resident once it is freed; written
# to the file ``report``.
_MALLOC_PROBE = """
import ctypes, numpy as np
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
def resident():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
first = np.ones(24 << 20, np.uint8)
del first
before, mapped = resident(), libc.mallinfo2().hblkhd
block = np.ones(8 << 20, np.uint8)
mapped = libc.mallinfo2().hblkhd - mapped
del block
open(report, "w").write(f"{mapped} {resident() - before}")
"""


def _probe_result(report: Path) -> tuple[int, int]:
    mapped, kept = report.read_text().split()
    return int(mapped), int(kept)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc tunables")
def test_workers_map_large_blocks_and_give_them_back(tmp_path: Path) -> None:
    """Issue 15: a worker's peak grew with the pages it read, from holes in glibc's heap. In a
    worker, local or Dask's, a block the size of a page's pixels is mapped on its own and
    returned when freed; by default (a process started as the parent is) it is carved from the
    heap once a larger block was freed. The parent's environment is left as it was."""
    before = os.environ.get("GLIBC_TUNABLES")
    pool = LocalPool(1, str(tmp_path))
    try:
        report = tmp_path / "worker"
        probe = Task("probe", "probing", WorkerFunction("builtins", "exec"),
                     (_MALLOC_PROBE, {"report": str(report)}))
        pool.submit(0, probe)
        [(_, outcome)] = pool.completed()
    finally:
        pool.close()
    assert outcome.failure is None
    assert os.environ.get("GLIBC_TUNABLES") == before
    mapped, kept = _probe_result(report)
    assert mapped >= 8 << 20 and kept < 1 << 20

    report = tmp_path / "default"
    # glibc's own defaults: Dask, once imported by an earlier test, sets MALLOC_TRIM_THRESHOLD_
    environment = {key: value for key, value in os.environ.items()
                   if key != "GLIBC_TUNABLES" and not key.startswith("MALLOC_")}
    subprocess.run([sys.executable, "-c", f"report = {str(report)!r}\n{_MALLOC_PROBE}"],
                   env=environment, check=True)
    mapped, _ = _probe_result(report)
    assert mapped == 0

    # a worker whose environment the batch never set (a Dask worker's): the task's function,
    # called as a worker calls it, sets the same threshold as it runs
    report = tmp_path / "dask"
    task = ("from pipeline.tasks import WorkerFunction; "
            f"WorkerFunction('builtins', 'exec')({_MALLOC_PROBE!r}, {{'report': {str(report)!r}}})")
    subprocess.run([sys.executable, "-c", task], env=environment, check=True)
    mapped, kept = _probe_result(report)
    assert mapped >= 8 << 20 and kept < 1 << 20


def test_a_page_kept_in_an_older_format_is_read_again(tmp_path: Path, real_page: Page) -> None:
    """A page stored before the page's JSON gained fields (its layout, models, widening) would
    come back with them empty: it is read again instead."""
    store = PageStore(tmp_path)
    store.save(SHA, SETTINGS, 1, real_page)
    assert store.page(SHA, SETTINGS, 1) is not None
    kept = store.folder(SHA, SETTINGS) / "1.json"
    record = json.loads(kept.read_text())
    record["format"] -= 1
    kept.write_text(json.dumps(record))
    assert store.page(SHA, SETTINGS, 1) is None
