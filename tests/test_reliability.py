"""Failures kept as small as they can be: a dead worker, a damaged page, a PDF that lies about
its pages, a long document killed mid-way, a manifest vnplan cannot use, and kills at random
moments of a batch.

Every batch OCRs real rendered pages (strips of an A4 page, so runs take seconds) with the real
Tesseract, in real worker processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import img2pdf
import numpy as np
import pandas as pd
import pikepdf
import psutil
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.batch import BatchOptions, run_batch
from pipeline.cli import main
from pipeline.errors import ExitCode, InputError
from pipeline.inputs import count_pages, missing_pdf_pages, read_pages
from pipeline.manifest import MANIFEST_NAME, STATE_DIR, Entry, FileFacts, Manifest
from pipeline.pool import KILL_AT_VARIABLE

STRIP = 650  # rows of an A4 page at 300 dpi in a test page: a header or a few lines of text
NO_PDF = ("--output-type", "none")  # the searchable PDF carries the time it was made


def _strips(page_a: np.ndarray, page_b: np.ndarray) -> list[Image.Image]:
    """Six pages of text: strips of the two plan pages."""
    return [Image.fromarray(pixels[top:top + STRIP]) for top in (0, STRIP, 2 * STRIP)
            for pixels in (page_a, page_b)]


@pytest.fixture
def strips(_pixels_a: np.ndarray, _pixels_b: np.ndarray) -> list[Image.Image]:
    """Fresh images for each test: Pillow keeps per-save state on the object."""
    return _strips(_pixels_a, _pixels_b)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """vnplan in a process of its own: workers start from a forkserver that sees ``env``."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("vnplan: error:")]


def _rows(out: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        rows = db.execute("SELECT stem, status FROM documents ORDER BY stem").fetchall()
    db.close()
    return rows


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file of the output folder but the manifest (its rows carry the time they were
    written) and the lock (the pid of the run)."""
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.name not in (MANIFEST_NAME, ".vnplan.lock")}


def _pages_to_do(inputs: list[Path], out: Path, **options) -> tuple[int, object]:
    """Run the batch in this process; the pages it sent to the workers, and its result."""
    totals: list[int] = []
    result = run_batch(inputs, out, batch=BatchOptions(jobs=2, output_type="none", **options),
                       on_progress=lambda done, total: totals.append(total))
    return (totals[0] if totals else 0), result


def _json_pages(path: Path) -> list[int]:
    return [page["number"] for page in json.loads(path.read_text(encoding="utf-8"))["pages"]]


def _two_documents(strips: list[Image.Image], tmp_path: Path) -> Path:
    """A folder of two documents: ho-so.tif (three pages) and to-trinh.png."""
    folder = tmp_path / "scans"
    folder.mkdir()
    strips[0].save(folder / "ho-so.tif", save_all=True, append_images=strips[1:3],
                   dpi=(300, 300))
    strips[3].save(folder / "to-trinh.png", dpi=(300, 300))
    return folder


# A dead worker


def test_a_dead_worker_fails_only_its_own_page(strips: list[Image.Image], tmp_path: Path) -> None:
    """The worker reading page 2 of ho-so.tif is SIGKILLed (as by the OOM killer): that page
    fails with how the worker died; the other worker's page, the pages after it (read by the
    worker that replaced it) and the other documents are done, and the tables written."""
    folder, out = _two_documents(strips, tmp_path), tmp_path / "out"
    run = _cli("run", str(folder), "-o", str(out), "--jobs", "2", *NO_PDF,
               env={KILL_AT_VARIABLE: "ho-so.tif:2"})
    assert run.returncode == ExitCode.input_failed, run.stderr
    assert _errors(run.stderr) == [
        f"vnplan: error: {folder / 'ho-so.tif'}: the worker process died (killed by signal 9, "
        "as when memory runs out) while reading page 2; run again to retry; the 2 pages read "
        "are written"
    ]
    assert "1 documents, 1 pages, 1 failed" in run.stderr
    assert _rows(out) == [("ho-so", "failed"), ("to-trinh", "done")]
    assert list(pd.read_csv(out / "plans.csv")["document_id"]) == ["to-trinh"]
    assert _json_pages(out / "ho-so.json") == [1, 3]

    to_do, result = _pages_to_do([folder], out)  # the next run reads page 2 only
    assert to_do == 1 and not result.failures
    assert _rows(out) == [("ho-so", "done"), ("to-trinh", "done")]
    assert _json_pages(out / "ho-so.json") == [1, 2, 3]
    assert "bảo hiểm y tế" in (out / "ho-so.txt").read_text(encoding="utf-8").split("\f")[1]
    assert not (out / STATE_DIR).exists(), "a done document's pages are not kept"


def test_a_worker_killed_while_writing_a_document_fails_only_that_document(
    strips: list[Image.Image], tmp_path: Path
) -> None:
    """Documents are written by the workers, not by the batch's own process: the worker
    writing ho-so's outputs is SIGKILLed. ho-so fails, saying so; its pages are kept, so the
    next run reads none again and only writes it; no temporary file is left behind."""
    folder, out = _two_documents(strips, tmp_path), tmp_path / "out"
    run = _cli("run", str(folder), "-o", str(out), "--jobs", "2", *NO_PDF,
               env={KILL_AT_VARIABLE: "ho-so:outputs"})
    assert run.returncode == ExitCode.input_failed, run.stderr
    assert _errors(run.stderr) == [
        f"vnplan: error: {folder / 'ho-so.tif'}: the worker process died (killed by signal 9, "
        "as when memory runs out) while writing its outputs; run again to retry"
    ]
    assert _rows(out) == [("ho-so", "failed"), ("to-trinh", "done")]
    assert not list(out.rglob(".*.tmp")), "a killed writer's temporaries are removed"

    to_do, result = _pages_to_do([folder], out)
    assert to_do == 0 and not result.failures  # every page kept: only the writing is redone
    assert _rows(out) == [("ho-so", "done"), ("to-trinh", "done")]
    assert _json_pages(out / "ho-so.json") == [1, 2, 3]


# Page-level resume


def test_a_long_pdf_killed_mid_way_continues_where_it_stopped(
    strips: list[Image.Image], tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    images = []
    for number, strip in enumerate(strips, start=1):
        images.append(tmp_path / f"p{number}.png")
        strip.save(images[-1], dpi=(300, 300))
    pdf = folder / "dai.pdf"
    pdf.write_bytes(img2pdf.convert([str(image) for image in images]))
    reference = tmp_path / "reference"
    assert _pages_to_do([pdf], reference)[0] == 6

    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(pdf), "-o", str(out), "--jobs", "1",
         *NO_PDF], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(list(out.glob(f"{STATE_DIR}/pages/*/*.json"))) < 2:
        assert time.monotonic() < deadline and process.poll() is None, "no page was kept"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the run, its workers and their Tesseracts
    process.wait()
    kept = len(list(out.glob(f"{STATE_DIR}/pages/*/*.json")))
    assert 2 <= kept < 6 and not (out / "dai.txt").exists()

    to_do, result = _pages_to_do([pdf], out)
    assert to_do == 6 - kept, "the pages kept are not read again"
    assert not result.failures and result.pages == 6
    assert _outputs(out) == _outputs(reference)
    assert not (out / STATE_DIR).exists()


# A manifest vnplan cannot use


def _valid_manifest(out: Path, rows: int = 1) -> None:
    with Manifest(out) as manifest:
        for number in range(rows):
            manifest.record(Entry(
                stem=f"van-ban-{number}", source=Path(f"/luu-tru/van-ban-{number}.pdf"),
                files=(FileFacts(Path(f"/luu-tru/van-ban-{number}.pdf"), 1000, 1),),
                sha256=f"{number:064x}", settings="{}", status="done", pages=1, error=None,
                outputs=[f"van-ban-{number}.txt"], fields={"title": "Kế hoạch " * 40},
            ))


def _not_sqlite(path: Path) -> None:
    path.write_text("Sổ ghi chép của tôi, không phải cơ sở dữ liệu\n" * 50, encoding="utf-8")


def _another_programs(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers (name) VALUES ('Nguyễn Văn An')")
    db.close()


def _another_documents_table(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT, body BLOB)")
        db.execute("INSERT INTO documents (title) VALUES ('Công văn 12')")
    db.close()


def _bad_json(path: Path) -> None:
    _valid_manifest(path.parent)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE documents SET files = '[[\"/luu-tru/van-ban-0.pdf\", 1000'")
    db.close()


def _damaged_sqlite(path: Path) -> None:
    _valid_manifest(path.parent, rows=60)  # several pages of rows
    data = bytearray(path.read_bytes())
    assert len(data) >= 5 * 4096
    data[2 * 4096:4 * 4096] = bytes(range(256)) * 32  # two b-tree pages overwritten
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make", [_not_sqlite, _another_programs, _another_documents_table,
                                  _bad_json, _damaged_sqlite])
def test_a_manifest_vnplan_cannot_use_is_one_line_and_left_untouched(make, tmp_path: Path) -> None:
    scan, out = tmp_path / "trang.png", tmp_path / "out"
    Image.new("L", (30, 30), 255).save(scan)
    out.mkdir()
    make(out / MANIFEST_NAME)
    before = (out / MANIFEST_NAME).read_bytes()
    result = CliRunner().invoke(main, ["run", str(scan), "-o", str(out)])
    assert result.exit_code == ExitCode.manifest_unusable, result.output
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith(f"vnplan: error: {out / MANIFEST_NAME}: ")
    assert "restore it from a backup, or use another output folder" in result.output
    assert (out / MANIFEST_NAME).read_bytes() == before, "nothing overwritten"
    assert sorted(p.name for p in out.iterdir()) == [".vnplan.lock", MANIFEST_NAME]


# A damaged page of a multi-page TIFF


def test_a_damaged_page_of_a_tiff_loses_only_that_page(
    strips: list[Image.Image], tmp_path: Path
) -> None:
    folder, out = tmp_path / "scans", tmp_path / "out"
    folder.mkdir()
    tiff = folder / "hong.tif"
    strips[0].save(tiff, save_all=True, append_images=strips[1:3], compression="tiff_deflate",
                   dpi=(300, 300))
    with Image.open(tiff) as image:
        image.seek(1)
        offset, length = image.tag_v2[273][0], image.tag_v2[279][0]  # its first strip
    data = bytearray(tiff.read_bytes())
    data[offset + length // 3:offset + length // 3 + 64] = bytes(64)
    tiff.write_bytes(bytes(data))
    with pytest.raises(InputError, match="page 2: image data is damaged"):
        list(read_pages(tiff, {2}))

    result = CliRunner().invoke(main, ["run", str(folder), "-o", str(out), "--jobs", "2"])
    assert result.exit_code == ExitCode.input_failed, result.output
    [error] = _errors(result.output)
    assert error.startswith(f"vnplan: error: {tiff}: page 2: image data is damaged")
    assert error.endswith("; the 2 pages read are written")
    assert _rows(out) == [("hong", "failed")]
    assert _json_pages(out / "hong.json") == [1, 3]
    text = (out / "hong.txt").read_text(encoding="utf-8").split("\f")
    assert len(text) == 2 and "KẾ HOẠCH" in text[0] + text[1]

    to_do, again = _pages_to_do([folder], out)
    assert to_do == 1, "only the damaged page is read again"
    [failure] = again.failures
    assert failure.reason.startswith("page 2: image data is damaged")


# PDFs: a stale error code, a page count that lies


def _encrypted(path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(path, encryption=pikepdf.Encryption(owner="chu", user="mat-khau"))


def _no_pages(path: Path) -> None:
    pikepdf.new().save(path)


def _damaged(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\nxref\n%%EOF")


def test_each_unreadable_pdf_gets_its_own_reason(tmp_path: Path) -> None:
    """PDFium's last error is a global that a failure may leave unset: a PDF without pages
    read after a password-protected one was called password-protected too."""
    folder = tmp_path / "scans"
    folder.mkdir()
    expected = {}
    for name, make, reason in (
        ("a-khoa.pdf", _encrypted, "PDF is password-protected; remove the password and try again"),
        ("b-trong.pdf", _no_pages, "PDF has no pages"),
        ("c-hong.pdf", _damaged, "not a readable PDF (damaged or not a PDF)"),
        ("d-khoa.pdf", _encrypted, "PDF is password-protected; remove the password and try again"),
        ("e-trong.pdf", _no_pages, "PDF has no pages"),
    ):
        make(folder / name)
        expected[folder / name] = reason
    for path, reason in [*expected.items(), *reversed(expected.items())]:
        with pytest.raises(InputError) as caught:
            count_pages(path)
        assert caught.value.reason == reason, path.name

    result = CliRunner().invoke(main, ["run", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == ExitCode.input_failed
    assert _errors(result.output) == [f"vnplan: error: {path}: {reason}"
                                      for path, reason in expected.items()]


def test_a_pdf_whose_page_count_lies_is_read_for_the_pages_it_has(
    strips: list[Image.Image], tmp_path: Path
) -> None:
    folder, out = tmp_path / "scans", tmp_path / "out"
    folder.mkdir()
    images = []
    for number, strip in enumerate(strips[:2], start=1):
        images.append(str(tmp_path / f"p{number}.png"))
        strip.save(images[-1], dpi=(300, 300))
    (tmp_path / "honest.pdf").write_bytes(img2pdf.convert(images))
    with pikepdf.open(tmp_path / "honest.pdf") as pdf:  # one object per line: easy to edit
        pdf.save(tmp_path / "qdf.pdf", qdf=True, compress_streams=True,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
    data = (tmp_path / "qdf.pdf").read_bytes()
    assert data.count(b"/Count 2\n") == 1
    lying = folder / "noi-doi.pdf"
    lying.write_bytes(data.replace(b"/Count 2\n", b"/Count 20"))  # same length: xref intact
    assert count_pages(lying) == 20 and missing_pdf_pages(lying) == list(range(3, 21))

    result = CliRunner().invoke(main, ["run", str(folder), "-o", str(out), *NO_PDF])
    assert result.exit_code == ExitCode.input_failed
    assert _errors(result.output) == [
        f"vnplan: error: {lying}: declares 20 pages, 2 readable; the 2 pages read are written"
    ]
    assert len(result.output) < 400, "said once, not once per missing page"
    pages = (out / "noi-doi.txt").read_text(encoding="utf-8").split("\f")
    assert len(pages) == 2 and "KẾ HOẠCH" in pages[0] + pages[1]


# Fault injection: kills at random moments


FAULT_ROUNDS = 3  # in the default run; the slow test runs 20
DOCUMENTS = ["ho-so", "ke-hoach", "so-hoa", "to-trinh"]


@pytest.fixture(scope="module")
def batch_inputs(
    _pixels_a: np.ndarray, _pixels_b: np.ndarray, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A three-page TIFF, two one-page PNGs and a two-page born-digital PDF (read from its own
    text, no OCR): seven pages, five of them OCR'd."""
    strips = _strips(_pixels_a, _pixels_b)
    folder = tmp_path_factory.mktemp("faults") / "scans"
    folder.mkdir()
    strips[0].save(folder / "ho-so.tif", save_all=True, append_images=strips[1:3],
                   dpi=(300, 300))
    strips[3].save(folder / "ke-hoach.png", dpi=(300, 300))
    strips[4].save(folder / "to-trinh.png", dpi=(300, 300))
    work = folder.parent / "digital"
    work.mkdir()
    images = []
    for number, strip in enumerate((strips[5], strips[2]), start=1):
        images.append(str(work / f"p{number}.png"))
        strip.save(images[-1], dpi=(300, 300))
    (work / "pages.txt").write_text("\n".join(images) + "\n", encoding="utf-8")
    subprocess.run(["tesseract", str(work / "pages.txt"), str(folder / "so-hoa"), "-l", "vie",
                    "pdf"], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module")
def uninterrupted(batch_inputs: Path, tmp_path_factory: pytest.TempPathFactory):
    """The outputs of a run nobody kills, and how long it took."""
    base = tmp_path_factory.mktemp("uninterrupted")
    started = time.monotonic()
    run = _fault_run(batch_inputs, base / "out", base / "tmp")
    assert run.wait(timeout=600) == 0, run.stderr.read()
    seconds = time.monotonic() - started
    assert _rows(base / "out") == [(stem, "done") for stem in DOCUMENTS]
    return _outputs(base / "out"), seconds


def _fault_run(inputs: Path, out: Path, temp: Path) -> subprocess.Popen:
    temp.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(inputs), "-o", str(out), "--jobs", "2",
         *NO_PDF],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},  # the run's temporary folder: watched here
    )


def _workers(run: psutil.Process) -> list[psutil.Process]:
    """The pool's worker processes: children of the forkserver the run started."""
    try:
        servers = [child for child in run.children()
                   if "forkserver" in " ".join(child.cmdline())]
        return [worker for server in servers for worker in server.children()]
    except psutil.Error:
        return []


def _round(inputs: Path, base: Path, rng: random.Random, seconds: float,
           expected: dict[str, bytes]) -> str:
    """One run killed at random moments (a worker, then the main process), then a run to the
    end; what was killed."""
    out, temp = base / "out", base / "tmp"
    run = _fault_run(inputs, out, temp)
    process = psutil.Process(run.pid)
    kill_worker_at = rng.uniform(0.2, 0.9) * seconds
    kill_main_at = kill_worker_at + rng.uniform(0.0, 0.5) * seconds
    family: dict[int, psutil.Process] = {}  # every process of the run ever seen
    killed: list[str] = []
    started = time.monotonic()
    while run.poll() is None and "main" not in killed:
        with contextlib.suppress(psutil.Error):
            family.update({child.pid: child for child in process.children(recursive=True)})
        elapsed = time.monotonic() - started
        if "worker" not in killed and elapsed >= kill_worker_at:
            workers = _workers(process)
            if workers:
                rng.choice(sorted(workers, key=lambda w: w.pid)).kill()
                killed.append("worker")
        if elapsed >= kill_main_at:
            run.kill()
            killed.append("main")
        time.sleep(0.01)
    run.wait()
    run.stderr.close()
    _, alive = psutil.wait_procs(list(family.values()), timeout=60)
    assert not alive, f"orphans of the killed run: {[p.pid for p in alive]}"

    done_before = {stem: (out / f"{stem}.txt").stat().st_mtime_ns
                   for stem, status in (_rows(out) if (out / MANIFEST_NAME).exists() else [])
                   if status == "done"}
    finish = _fault_run(inputs, out, temp)
    assert finish.wait(timeout=600) == 0, finish.stderr.read()
    summary = re.search(r"(\d+) documents, .* (\d+) already done", finish.stderr.read())
    finish.stderr.close()
    assert summary and int(summary[1]) + int(summary[2]) == len(DOCUMENTS)

    assert _rows(out) == [(stem, "done") for stem in DOCUMENTS], "each document once, no -2"
    for stem, mtime in done_before.items():
        assert (out / f"{stem}.txt").stat().st_mtime_ns == mtime, f"{stem} was done twice"
    outputs = _outputs(out)
    assert outputs == expected, [name for name in expected if outputs.get(name) != expected[name]]
    assert not list(out.rglob("*.tmp")) and not (out / STATE_DIR).exists()
    # nothing: not the run folders, page images, Tesseract's files nor the forkserver's socket
    # folder (pymp-*) of a killed run (only onnxruntime's one file of its own, ".ses")
    assert [p.name for p in temp.iterdir() if p.name != ".ses"] == []
    return "+".join(killed) or "none"


def _fault_injection(rounds: int, batch_inputs: Path, uninterrupted, tmp_path: Path) -> None:
    expected, seconds = uninterrupted
    rng = random.Random(14)
    kills = [_round(batch_inputs, tmp_path / f"round-{number}", rng, seconds, expected)
             for number in range(rounds)]
    assert "worker" in " ".join(kills), kills  # the seed makes at least one round kill one


def test_kills_at_random_moments_leave_every_document_done_once(
    batch_inputs: Path, uninterrupted, tmp_path: Path
) -> None:
    _fault_injection(FAULT_ROUNDS, batch_inputs, uninterrupted, tmp_path)


@pytest.mark.slow
def test_kills_at_random_moments_twenty_rounds(
    batch_inputs: Path, uninterrupted, tmp_path: Path
) -> None:
    _fault_injection(20, batch_inputs, uninterrupted, tmp_path)
