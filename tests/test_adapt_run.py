"""`vnplan run --adapt`: the batch's own confident lines adapt the correction's model, which is
saved as OUT/lm.npz; the batch stays resumable and deterministic (every page is read first, the
model made once from all of them). Real Tesseract on pages rendered by pipeline.synth."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import correct
from pipeline.batch import ADAPTED_MODEL, BatchOptions, run_batch
from pipeline.cli import main
from pipeline.correct import recorrect_page
from pipeline.finish import write_document
from pipeline.inputs import read_pages
from pipeline.manifest import MANIFEST_NAME, STATE_DIR
from pipeline.pages import OcrOptions, ocr_page
from pipeline.pool import KILL_AT_VARIABLE
from pipeline.restore.adapt import model_digest
from pipeline.restore.build import DEFAULT_MODEL_PATH
from pipeline.synth import write_scans
from pipeline.tasks import DocumentWork
from tests.test_adapt import REPORT

MINUTES = """ĐOÀN TNCS HỒ CHÍ MINH
CHI ĐOÀN TRƯỜNG TRUNG HỌC CƠ SỞ

BIÊN BẢN
Họp chi đoàn tháng mười năm học 2024 - 2025

Thời gian bắt đầu lúc 14 giờ, tại phòng họp của nhà trường.
Thành phần gồm toàn thể đoàn viên và giáo viên chủ nhiệm các lớp.
Chủ trì cuộc họp là đồng chí Bí thư chi đoàn, thư ký là đồng chí Phó Bí thư.
Đồng chí Bí thư báo cáo kết quả hoạt động của chi đoàn trong tháng chín.
Các lớp đã tổ chức tốt phong trào thi đua học tập chào mừng ngày Nhà giáo Việt Nam.
Đội văn nghệ của trường tập luyện thường xuyên để chuẩn bị cho hội diễn cấp huyện.
Một số lớp còn chậm nộp báo cáo và sổ theo dõi hoạt động của chi đội.
Cuộc họp thống nhất giao cho mỗi lớp xây dựng một công trình măng non.
Đoàn viên tích cực tham gia giúp đỡ các bạn học sinh có hoàn cảnh khó khăn.
Chi đoàn phối hợp với giáo viên chủ nhiệm duy trì nề nếp sinh hoạt đầu giờ.
Các đồng chí đoàn viên phát biểu ý kiến và đồng ý với kế hoạch đã nêu.
Cuộc họp kết thúc lúc 16 giờ cùng ngày, biên bản đã được thông qua trước toàn thể.
"""

DECISION = """ỦY BAN NHÂN DÂN
HUYỆN ĐỨC PHONG

QUYẾT ĐỊNH
Về việc công nhận trường đạt chuẩn quốc gia năm 2025

Căn cứ kết quả kiểm tra của đoàn công tác liên ngành cấp huyện;
Xét đề nghị của Trưởng phòng Giáo dục và Đào tạo huyện.
Điều 1. Công nhận Trường Tiểu học Đức Hạnh đạt chuẩn quốc gia mức độ một.
Điều 2. Nhà trường có trách nhiệm duy trì và nâng cao các tiêu chuẩn đã đạt được.
Điều 3. Chánh Văn phòng, Trưởng phòng Giáo dục và Đào tạo và Hiệu trưởng nhà trường chịu
trách nhiệm thi hành quyết định này.
"""

NOT_COMPARED = (MANIFEST_NAME, ".vnplan.lock", ADAPTED_MODEL)  # times, a pid; model: digest


def _batch(tmp_path: Path) -> Path:
    """Three one-page documents: a school report, a youth union's minutes, a decision."""
    folder = tmp_path / "scans"
    for stem, text in (("bao-cao", REPORT), ("bien-ban", MINUTES), ("quyet-dinh", DECISION)):
        source = tmp_path / f"{stem}.txt"
        source.write_text(text, encoding="utf-8")
        write_scans(source, folder, seed=3, level="clean")
    return folder


def _command(folder: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--adapt",
            "--jobs", "1", "--group", "file", "--output-type", "none", *extra]


def _cli(folder: Path, out: Path, *extra: str, env: dict[str, str] | None = None,
         adapt: bool = True) -> subprocess.CompletedProcess:
    command = _command(folder, out, *extra)
    if not adapt:
        command.remove("--adapt")
    return subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})})


def _outputs(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.name not in NOT_COMPARED}


def _statuses(out: Path) -> dict[str, str]:
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        rows = dict(db.execute("SELECT stem, status FROM documents").fetchall())
    db.close()
    return rows


def _settings(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))["settings"]


def _kill_once_a_page_is_kept(folder: Path, out: Path) -> None:
    """Start an --adapt run and SIGKILL it, workers and all, as soon as its first page is
    kept: in the first phase, before any model or document exists."""
    process = subprocess.Popen(_command(folder, out), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if list((out / STATE_DIR / "pages").glob("*/*.json")):
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before the kill"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_an_interrupted_adapt_run_ends_as_an_uninterrupted_one(tmp_path: Path) -> None:
    """One run goes through; the other is killed while it reads, then run again with the
    worker writing one document killed (as by the OOM killer), then run to the end. Both end
    with the same outputs and the same model; nothing read or written is done twice."""
    folder = _batch(tmp_path)
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    run = _cli(folder, whole)
    assert run.returncode == 0, run.stderr
    assert "lm.npz: adapted to" in run.stderr

    _kill_once_a_page_is_kept(folder, broken)
    assert not (broken / ADAPTED_MODEL).exists(), "the model waits for every page"
    assert not (broken / "bao-cao-p1.txt").exists(), "no document before the model"

    run = _cli(folder, broken, env={KILL_AT_VARIABLE: "bien-ban-p1:outputs"})
    assert run.returncode == 1 and "the worker process died" in run.stderr, run.stderr
    assert _statuses(broken) == {"bao-cao-p1": "done", "bien-ban-p1": "failed",
                                 "quyet-dinh-p1": "done"}
    done = {name: (broken / name).stat().st_mtime_ns
            for name in ("bao-cao-p1.txt", "quyet-dinh-p1.txt")}

    pages: list[int] = []
    result = run_batch([folder], broken, batch=BatchOptions(
        jobs=1, group="file", output_type="none", adapt=True),
        on_progress=lambda _, total: pages.append(total))
    assert pages == [0], "the failed document's page was kept: nothing is read again"
    assert [document.source.name for document in result.done] == ["bien-ban-p1.png"]
    assert any("made by an earlier run" in note for note in result.notes)
    for name, mtime in done.items():
        assert (broken / name).stat().st_mtime_ns == mtime, f"{name} was written twice"

    assert _outputs(broken) == _outputs(whole)
    assert model_digest(broken / ADAPTED_MODEL) == model_digest(whole / ADAPTED_MODEL)
    assert not (broken / STATE_DIR).exists(), "every document done: no page kept"


@pytest.mark.slow
def test_the_adapted_model_serves_restore_and_stays_the_folders(tmp_path: Path) -> None:
    """OUT/lm.npz is a model `vnplan restore --lm` takes. The settings tell adapted outputs
    apart: a run without --adapt redoes them, and one with it redoes those. A document added
    later is corrected with the folder's model as it is, the others stay done; deleting the
    model adapts afresh, to every document."""
    folder = _batch(tmp_path)
    out = tmp_path / "out"
    assert _cli(folder, out).returncode == 0
    digest = model_digest(out / ADAPTED_MODEL)
    settings = _settings(out, "bao-cao-p1")
    assert settings["adapt"] is True and settings["adapted_lm"] == digest

    restored = CliRunner().invoke(main, ["restore", "-", "--lm", str(out / ADAPTED_MODEL)],
                                  input="Phong Dao tao bao cao nhu sau.")
    assert restored.exit_code == 0 and restored.output.strip() == "Phòng Đào tạo báo cáo như sau."

    plain = _cli(folder, out, adapt=False)
    assert "3 documents, 3 pages, 0 failed, 0 already done" in plain.stderr, plain.stderr
    assert "adapt" not in _settings(out, "bao-cao-p1")
    again = _cli(folder, out)
    assert "3 documents, 3 pages, 0 failed, 0 already done" in again.stderr, again.stderr
    assert "made by an earlier run" in again.stderr
    assert _settings(out, "bao-cao-p1") == settings

    extra = tmp_path / "them.txt"
    extra.write_text(MINUTES.replace("tháng mười", "tháng mười một"), encoding="utf-8")
    write_scans(extra, folder, seed=5, level="clean")
    added = _cli(folder, out)
    assert "1 documents, 1 pages, 0 failed, 3 already done" in added.stderr, added.stderr
    assert model_digest(out / ADAPTED_MODEL) == digest, "the folder's model is kept"
    assert _settings(out, "them-p1") == settings

    (out / ADAPTED_MODEL).unlink()
    fresh = _cli(folder, out)
    assert "4 documents, 4 pages, 0 failed, 0 already done" in fresh.stderr, fresh.stderr
    assert "lm.npz: adapted to" in fresh.stderr
    assert _settings(out, "bao-cao-p1")["adapted_lm"] == model_digest(out / ADAPTED_MODEL)


def test_too_few_confident_lines_keep_the_base_model(tmp_path: Path) -> None:
    """One short decision cannot choose a weight: said on stderr, the base model is saved as
    OUT/lm.npz and corrects the document as a run without --adapt does."""
    source = tmp_path / "quyet-dinh.txt"
    source.write_text(DECISION, encoding="utf-8")
    scans = write_scans(source, tmp_path / "scans", seed=3, level="clean")
    runner = CliRunner()
    adapted = runner.invoke(main, ["run", str(scans[0]), "-o", str(tmp_path / "a"), "--adapt",
                                   "--output-type", "none", "--jobs", "1"])
    assert adapted.exit_code == 0, adapted.output
    assert "the model is not adapted, too few lines the OCR was sure of" in adapted.output
    plain = runner.invoke(main, ["run", str(scans[0]), "-o", str(tmp_path / "b"),
                                 "--output-type", "none", "--jobs", "1"])
    assert plain.exit_code == 0, plain.output
    assert ((tmp_path / "a" / "quyet-dinh-p1.txt").read_text(encoding="utf-8")
            == (tmp_path / "b" / "quyet-dinh-p1.txt").read_text(encoding="utf-8"))
    assert (tmp_path / "a" / ADAPTED_MODEL).is_file()


def test_a_page_corrected_again_from_its_readings_is_the_page_as_corrected(
    tmp_path: Path,
) -> None:
    """What --adapt does to each kept page, with the model it was read with, gives the page
    back as it was: the correction runs from Tesseract's readings, not from its own text."""
    source = tmp_path / "bien-ban.txt"
    source.write_text(MINUTES, encoding="utf-8")
    # a low-resolution page: Tesseract misreads some of its words, and the correction mends them
    scan = write_scans(source, tmp_path / "scans", seed=7, level="low-dpi")[0]
    page = ocr_page(next(iter(read_pages(scan))), OcrOptions(), scan)
    assert any(word.corrected_from for line in page.lines for word in line.words)
    again = copy.deepcopy(page)
    recorrect_page(again, "vie", None)
    assert again == page


def test_a_document_is_corrected_again_once_per_page_however_many_outputs_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every output reads the pages anew; the model runs on each page once, and the later
    reads get its changes back: the outputs are those of the page as it was corrected."""
    source = tmp_path / "bien-ban.txt"
    source.write_text(MINUTES, encoding="utf-8")
    scan = write_scans(source, tmp_path / "scans", seed=7, level="low-dpi")[0]
    page = ocr_page(next(iter(read_pages(scan))), OcrOptions(), scan)
    assert any(word.corrected_from for line in page.lines for word in line.words)
    runs = []
    real = correct.correct_lines
    monkeypatch.setattr(correct, "correct_lines", lambda *a, **k: runs.append(1) or real(*a, **k))

    def written(out: Path, model: Path | None) -> dict[str, bytes]:
        work = DocumentWork(scan, "bien-ban", out, "{}", "0" * 64, ((scan, 1),), (),
                            given={1: copy.deepcopy(page)}, output_type="none", model=model)
        assert write_document(work).errors == []
        return _outputs(out)

    as_read = written(tmp_path / "as-read", None)
    assert runs == []
    # the model the page was read with: corrected again, it is the same page
    assert written(tmp_path / "again", DEFAULT_MODEL_PATH) == as_read
    assert runs == [1]


def test_adapt_refuses_options_that_leave_it_nothing_to_do(tmp_path: Path) -> None:
    for option in (["--no-correct"], ["--raw"], ["--lm", __file__]):
        result = CliRunner().invoke(main, ["run", str(tmp_path), "-o", str(tmp_path / "out"),
                                           "--adapt", *option])
        assert result.exit_code == 2 and "--adapt corrects with a model of its own" in (
            result.output), result.output
