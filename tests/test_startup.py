"""Start-up: the command's own process imports what scheduling needs, not the workers' heavy
modules nor what it needs only at its end; tasks name the workers' functions; Tesseract's errors
are the project's own; the pages are read in an order that ends the batch with every worker
busy."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline import ocr, tasks
from pipeline.batch import _Job, _reading_order
from pipeline.documents import find_documents
from pipeline.errors import MissingDependencyError
from pipeline.installed import check_tesseract, tesseract_languages
from pipeline.pool import Task
from pipeline.synth import render_pages

# What the workers import in the forkserver and the parent must not: OCRmyPDF (0.3 s), and
# pytesseract, which imports pandas as it loads; pandas itself, which only the batch's tables
# need, at its end (the workers import what the `vnplan` script imports, as they start).
WORKERS_ONLY = ("ocrmypdf", "pytesseract", "pipeline.pages", "pipeline.finish",
                "pipeline.writers.pdf", "pandas")
# What the parent needs only at its end or for other commands, and imports then (or as the
# batch starts, while the forkserver imports): NumPy and OpenCV (0.25 s), the report, the
# parser, the correction's models.
NOT_AT_START = ("numpy", "cv2", "pipeline.report", "pipeline.parse", "pipeline.restore",
                "pipeline.synth", "pipeline.preprocess")


def _imported_by(statement: str, modules: tuple[str, ...] = WORKERS_ONLY) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after ``statement``."""
    probe = (f"import sys; {statement}; "
             f"print(' '.join(m for m in {modules!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return done.stdout.split()


def test_the_command_and_the_batch_leave_the_page_work_to_the_workers() -> None:
    assert _imported_by("import pipeline.cli") == []
    assert _imported_by("import pipeline.api, pipeline.batch") == []
    # the forkserver's preload: a worker reading detected lines never needs pytesseract
    preloaded = _imported_by("import pipeline.pool, pipeline.pages, pipeline.finish")
    assert "pipeline.finish" in preloaded
    assert "pytesseract" not in preloaded and "pandas" not in preloaded


def test_the_command_starts_without_numpy_opencv_or_the_models() -> None:
    assert _imported_by("import pipeline.cli", NOT_AT_START) == []
    assert _imported_by("import pipeline.api, pipeline.batch", NOT_AT_START) == []
    # a command defined apart is there when asked for, with what it needs
    probe = ("import click, pipeline.cli as c; "
             "c.main.get_command(click.Context(c.main), 'restore')")
    assert {"numpy", "pipeline.restore"} <= set(_imported_by(probe, NOT_AT_START))


def test_the_apis_page_functions_are_there_when_asked_for() -> None:
    assert _imported_by("from pipeline.api import ocr_page") == ["pipeline.pages"]
    assert _imported_by("from pipeline import restore_text; restore_text") == []
    with pytest.raises(AttributeError):
        import pipeline.api

        pipeline.api.no_such_function  # noqa: B018


@pytest.fixture(scope="module")
def page_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page of a plan's opening, rendered by our own generator."""
    text = "ỦY BAN NHÂN DÂN\nXÃ AN PHÚ\n\nKẾ HOẠCH\nTrồng cây xanh năm 2024\n"
    path = tmp_path_factory.mktemp("page") / "plan.png"
    render_pages(text)[0].image.save(path, dpi=(300, 300))
    return path


def test_a_task_names_its_function_and_the_worker_runs_it(page_png: Path) -> None:
    """Pickled, a page's task is its names and arguments, not the code; called, it reads."""
    task = Task(f"{page_png.name}:1", "reading page 1", tasks.ocr_page_of,
                (page_png, 1, tasks.OcrOptions(correct=False), None, False))
    sent = pickle.dumps(task)
    assert b"pipeline.pages" in sent and len(sent) < 1000
    received = pickle.loads(sent)
    outcome = received.function(*received.arguments)
    assert isinstance(outcome, tasks.PageOutcome) and outcome.error is None
    assert "KẾ HOẠCH" in outcome.page.text


def test_a_run_with_nothing_to_do_starts_no_worker_process(page_png: Path,
                                                          tmp_path: Path) -> None:
    """The workers' forkserver (0.6 s of CPU importing) starts when the plan finds work: a
    batch run again over a folder it has done finds none, and starts neither it nor a worker."""
    probe = ("import sys; from pathlib import Path; from multiprocessing import forkserver; "
             "from pipeline.batch import run_batch; "
             "result = run_batch([Path(sys.argv[1])], Path(sys.argv[2])); "
             "print(len(result.done), len(result.skipped), "
             "forkserver._forkserver._forkserver_pid is not None)")
    runs = [subprocess.run([sys.executable, "-c", probe, str(page_png), str(tmp_path / "out")],
                           capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert runs == [["1", "0", "True"], ["0", "1", "False"]]


def test_a_language_tesseract_lacks_is_named_with_its_package() -> None:
    assert {"vie", "eng"} <= tesseract_languages()
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr-xyz"):
        check_tesseract("vie+xyz")


def test_tesseract_failing_on_a_page_fails_that_page(page_png: Path) -> None:
    """Tesseract refusing its arguments (psm 14 does not exist) is the page's failure, told
    in the page's outcome, not a crash of the worker."""
    options = tasks.OcrOptions(layout="tesseract", psm=14)
    outcome = tasks.ocr_page_of(page_png, 1, options, None, False)
    assert outcome.page is None
    assert outcome.error is not None and outcome.error.startswith("Tesseract failed on page 1")
    with pytest.raises(ocr.TesseractFailed):
        ocr.recognise(np.asarray(Image.open(page_png).convert("L")), psm=14)


def _jobs(folder: Path, pages: dict[str, int]) -> list[_Job]:
    """The batch's jobs for documents of ``pages`` pages each (names in input order), found
    as a run finds them, each page to read."""
    text = "ỦY BAN NHÂN DÂN\nXÃ AN PHÚ\n\nKẾ HOẠCH\n"
    image = render_pages(text)[0].image
    for name, count in pages.items():
        for number in range(1, count + 1):
            image.save(folder / (f"{name}-p{number}.png" if count > 1 else f"{name}.png"))
    documents, problems = find_documents([folder], "auto")
    assert not problems
    jobs = []
    for spec in documents:
        job = _Job(spec, spec.id, (), "", [], page_refs=spec.pages())
        job.todo = list(range(1, job.page_count + 1))
        jobs.append(job)
    return jobs


def test_long_documents_are_read_first_and_the_last_ones_side_by_side(tmp_path: Path) -> None:
    """Longest first: a long document's outputs are written while other pages are read. The
    last two documents (two workers) interleaved and ending together: their outputs are
    written side by side, not one while the other worker waits."""
    jobs = _jobs(tmp_path, {"a": 2, "b": 5, "c": 3, "d": 1})
    order = [(job.spec.id, position) for job, position in _reading_order(jobs, 2)]
    assert order == [("b", 1), ("b", 2), ("b", 3), ("b", 4), ("b", 5),
                     ("c", 1), ("c", 2), ("c", 3),
                     ("a", 1), ("a", 2), ("d", 1)]
    order = [(job.spec.id, position) for job, position in _reading_order(jobs, 3)]
    assert order[:5] == [("b", p) for p in range(1, 6)]
    assert order[5:] == [("c", 1), ("c", 2), ("a", 1), ("c", 3), ("a", 2), ("d", 1)]
    every = _reading_order(jobs, 8)  # more workers than documents: all side by side
    assert [(job.spec.id, position) for job, position in every][:4] == [
        ("b", 1), ("b", 2), ("b", 3), ("c", 1)]
    assert sorted((job.spec.id, position) for job, position in every) == sorted(
        (job.spec.id, position) for job in jobs for position in job.todo)
