"""`vnplan run` as a batch: parallel, on a Dask cluster, resumable after a kill, past bad files.

Every run OCRs real rendered pages with the real Tesseract; the pages are short so a run takes
seconds.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.export import output_dir_lock
from pipeline.manifest import MANIFEST_NAME


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.output


def _outputs(folder: Path) -> dict[str, bytes]:
    """Every output but the manifest, whose timestamps differ from run to run; a PDF by its
    text layer, since its metadata holds the time it was made."""
    return {p.name: _pdf_text(p) if p.suffix == ".pdf" else p.read_bytes()
            for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST_NAME}


def _pdf_text(path: Path) -> bytes:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout


def _rows(folder: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(folder / MANIFEST_NAME) as db:
        return db.execute("SELECT stem, status, error FROM documents ORDER BY stem").fetchall()


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, _pixels_a, _pixels_b) -> Path:
    """A two-page TIFF (the plan page A, then page B) and a PNG of page B."""
    folder = tmp_path_factory.mktemp("scans")
    page_a, page_b = Image.fromarray(_pixels_a), Image.fromarray(_pixels_b)
    page_a.save(folder / "ho-so.tif", save_all=True, append_images=[page_b], dpi=(300, 300))
    page_b.save(folder / "to-trinh.png", dpi=(300, 300))
    return folder


@pytest.fixture(scope="module")
def one_job(scans: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("jobs1")
    code, output = _run(str(scans), "-o", str(out), "--jobs", "1")
    assert code == 0, output
    return _outputs(out)


def test_outputs_of_a_batch(one_job: dict[str, bytes]) -> None:
    expected = {f"{stem}{suffix}" for stem in ("ho-so", "to-trinh")
                for suffix in (".txt", ".raw.txt", ".json", ".alto.xml", ".hocr", ".pdf")}
    assert expected <= set(one_job)
    text = one_job["ho-so.txt"].decode("utf-8")
    assert text.count("\f") == 1 and "bảo hiểm y tế" in text and "KẾ HOẠCH" in text
    record = json.loads(one_job["ho-so.json"])
    assert [page["number"] for page in record["pages"]] == [1, 2]
    assert record["fields"]["doc_number"] == "18/KH-UBND"
    plans = pd.read_csv(io.BytesIO(one_job["plans.csv"]))
    assert list(plans["document_id"]) == ["ho-so", "to-trinh"]
    assert list(plans["doc_number"].fillna("")) == ["18/KH-UBND", ""]


def test_two_jobs_give_the_same_outputs_as_one(
    one_job: dict[str, bytes], scans: Path, tmp_path: Path
) -> None:
    code, output = _run(str(scans), "-o", str(tmp_path), "--jobs", "2")
    assert code == 0, output
    assert _outputs(tmp_path) == one_job


def test_a_dask_cluster_gives_the_same_outputs_as_local_processes(
    one_job: dict[str, bytes], scans: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
        processes=True,
    ) as cluster:
        code, output = _run(str(scans), "-o", str(tmp_path), "--scheduler",
                            cluster.scheduler_address)
    assert code == 0, output
    assert _outputs(tmp_path) == one_job


def test_an_unreachable_scheduler_is_one_clear_error(scans: Path, tmp_path: Path) -> None:
    code, output = _run(str(scans), "-o", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9")
    assert code == ExitCode.cluster_unreachable
    assert output.count("\n") == 1 and "cannot reach the Dask scheduler" in output


def test_a_rerun_skips_what_is_done_and_redoes_what_changed(
    page_a: Image.Image, page_b: Image.Image, tmp_path: Path
) -> None:
    scan, out = tmp_path / "trang.png", tmp_path / "out"
    page_b.save(scan)
    assert _run(str(scan), "-o", str(out))[0] == 0
    first = (out / "trang.txt").stat().st_mtime_ns

    code, output = _run(str(scan), "-o", str(out))
    assert code == 0 and "0 documents, 0 pages, 0 failed, 1 already done" in output
    assert (out / "trang.txt").stat().st_mtime_ns == first

    code, output = _run(str(scan), "-o", str(out), "--force")
    assert code == 0 and "1 documents, 1 pages" in output

    code, output = _run(str(scan), "-o", str(out), "--no-correct")
    assert code == 0 and "1 documents, 1 pages" in output, "other settings: redone"

    page_a.save(scan)  # the same file name, new content
    code, output = _run(str(scan), "-o", str(out), "--no-correct")
    assert code == 0 and "1 documents, 1 pages" in output
    assert "Lê Văn Thắng" in (out / "trang.txt").read_text(encoding="utf-8")
    assert _rows(out) == [("trang", "done", None)]


def test_a_corrupt_file_mid_batch_is_recorded_and_retried(
    page_b: Image.Image, tmp_path: Path
) -> None:
    folder, out = tmp_path / "scans", tmp_path / "out"
    folder.mkdir()
    page_b.save(folder / "a.png")
    page_b.save(folder / "c.png")
    whole = (folder / "a.png").read_bytes()
    (folder / "b.png").write_bytes(whole[: len(whole) // 3])  # header intact, pixels cut off

    code, output = _run(str(folder), "-o", str(out), "--jobs", "2")
    assert code == ExitCode.input_failed
    assert "2 documents, 2 pages, 1 failed" in output
    errors = [line for line in output.splitlines() if line.startswith("vnplan: error:")]
    assert len(errors) == 1 and "b.png" in errors[0] and "damaged" in errors[0]
    assert [(stem, status) for stem, status, _ in _rows(out)] == [
        ("a", "done"), ("b", "failed"), ("c", "done")
    ]
    assert not (out / "b.txt").exists()
    assert len(pd.read_csv(out / "plans.csv")) == 2

    code, output = _run(str(folder), "-o", str(out), "--jobs", "2")
    assert code == ExitCode.input_failed
    assert "0 documents, 0 pages, 1 failed, 2 already done" in output


def test_a_page_over_the_time_limit_fails_its_document(
    page_a: Image.Image, tmp_path: Path
) -> None:
    page_a.save(tmp_path / "cham.png")
    code, output = _run(str(tmp_path / "cham.png"), "-o", str(tmp_path / "out"),
                        "--page-timeout", "0.05")
    assert code == ExitCode.input_failed
    assert "cham.png: page 1: Tesseract took over 0.05 s" in output


def _start(folder: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--jobs", "1",
         "--group", "file"],  # five documents, not the five pages of one
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def _wait_for_done(out: Path, process: subprocess.Popen, count: int = 1) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / MANIFEST_NAME).exists():
            try:
                if sum(status == "done" for _, status, _ in _rows(out)) >= count:
                    return
            except sqlite3.OperationalError:
                pass  # the schema is being created
        time.sleep(0.05)
    raise AssertionError("the batch finished or stalled before the kill")


@pytest.fixture
def five_scans(page_b: Image.Image, tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    for number in range(1, 6):
        page_b.save(folder / f"trang-{number}.png")
    return folder


def test_a_batch_killed_mid_way_completes_on_the_next_run(
    five_scans: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    inputs = {path: path.read_bytes() for path in five_scans.iterdir()}
    process = _start(five_scans, out)
    _wait_for_done(out, process)
    os.killpg(process.pid, signal.SIGKILL)  # the whole process group, as a power cut would
    process.wait()
    # a document recorded done keeps its outputs; one killed while they were written is redone
    survived = {f"{stem}.txt": (out / f"{stem}.txt").stat().st_mtime_ns
                for stem, status, _ in _rows(out) if status == "done"}
    assert survived, "the first document's outputs were written before the kill"

    code, output = _run(str(five_scans), "-o", str(out), "--group", "file")
    assert code == 0, output
    summary = re.search(r"(\d+) documents, .* (\d+) already done", output)
    assert summary, output
    done_now, skipped = int(summary[1]), int(summary[2])
    assert done_now + skipped == 5 and skipped >= 1
    assert [(stem, status) for stem, status, _ in _rows(out)] == [
        (f"trang-{n}", "done") for n in range(1, 6)
    ]
    for name, mtime in survived.items():
        assert (out / name).stat().st_mtime_ns == mtime, f"{name} was done twice"
    for number in range(1, 6):
        record = json.loads((out / f"trang-{number}.json").read_text(encoding="utf-8"))
        assert "bảo hiểm y tế" in record["pages"][0]["text"]
    assert not list(out.glob(".*.tmp")), "no temporary file is left behind"
    assert len(pd.read_csv(out / "plans.csv")) == 5
    assert {path: path.read_bytes() for path in five_scans.iterdir()} == inputs


def test_sigterm_stops_the_batch_cleanly(five_scans: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = _start(five_scans, out)
    _wait_for_done(out, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.interrupted, stderr
    assert stderr.strip().splitlines()[-1] == "vnplan: interrupted"
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # complete, not truncated


def test_a_second_run_into_a_held_output_folder_is_refused(tmp_path):
    """Two runs into one folder would overwrite each other's outputs and record the wrong
    ones as done: the second says who holds the folder, exits 6 and writes nothing."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "in").mkdir()
    with output_dir_lock(out):  # a run in progress
        result = CliRunner().invoke(main, ["run", str(tmp_path / "in"), "-o", str(out)])
    assert result.exit_code == ExitCode.output_busy
    assert f"pid {os.getpid()}" in result.output and "another vnplan run" in result.output
    assert sorted(p.name for p in out.iterdir()) == [".vnplan.lock"]
    # once the holder is gone the folder is free again
    assert CliRunner().invoke(main, ["run", str(tmp_path / "in"), "-o", str(out)]).exit_code \
        != ExitCode.output_busy


def test_workers_leave_when_the_main_process_is_killed(scans: Path, tmp_path: Path) -> None:
    """SIGKILL of vnplan alone (not its process group): its workers and the pool's server
    must not live on holding memory and the terminal."""
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(scans), "-o", str(tmp_path / "out"),
         "--jobs", "2", "--output-type", "none"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = [p for p in psutil.Process(run.pid).children(recursive=True)
                   if p.name().startswith("python")]
    assert len(workers) >= 2, "the pool never started"
    run.kill()
    run.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [p.pid for p in alive]


def test_the_next_run_removes_what_a_killed_run_left_in_the_temporary_folder(
    scans: Path, tmp_path: Path
) -> None:
    """SIGKILL of vnplan leaves its run folder and multiprocessing's (the forkserver's socket)
    in the temporary folder, since no code of the killed run can remove them: the next run
    does, and leaves nothing of its own."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = [sys.executable, "-m", "pipeline", "run", str(scans), "-o", str(tmp_path / "out"),
               "--jobs", "1", "--output-type", "none"]
    environment = {**os.environ, "TMPDIR": str(temp)}
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True, env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(temp.glob("vnplan-run-*/multiprocessing")):
        time.sleep(0.1)
    run.kill()
    run.wait()
    left = sorted(path.name.split("-")[0] for path in temp.iterdir())
    assert left == ["pymp", "vnplan"], left
    again = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    assert again.returncode == 0, again.stderr
    # onnxruntime keeps one small file of its own there (".ses", the same on every run)
    assert [path.name for path in temp.iterdir() if path.name != ".ses"] == []


def test_a_terminated_run_leaves_no_page_images_behind(scans: Path, tmp_path: Path) -> None:
    """SIGTERM mid-page: the workers' temporary page images go with the run."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(scans), "-o", str(tmp_path / "out"),
         "--jobs", "2", "--output-type", "none",
         "--layout", "tesseract"],  # the layout that hands Tesseract page images in files
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(temp.rglob("vnplan-*.p?m")):
        time.sleep(0.05)  # until a worker has handed Tesseract a page image
    assert list(temp.rglob("vnplan-*.p?m")), "no page image was ever written"
    run.terminate()
    assert run.wait(timeout=60) == ExitCode.interrupted
    assert not [p.name for p in temp.iterdir()]
