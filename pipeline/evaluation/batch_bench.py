"""Batch throughput: `vnplan run --jobs 2` against plain `tesseract -l vie`, two at a time.

    python -m pipeline.evaluation.batch_bench [--seeds 2] [--rounds 2] [--jobs 2] [--stages-only]

The pages are our samples (samples/*.txt) rendered as 300-dpi A4 scans, once per seed, into
out/bench/scans. Both sides read the same PNGs in the same run, alternating round by round so
that load from other work on the machine hits both alike. vnplan's run is the whole job
(cleanup, OCR, recovery of dropped blocks, correction, parsing, outputs, tables), started from
the command line with --force so nothing is skipped; then once more without it, where a
resumable batch finds every document done and should leave at once.

Plain Tesseract runs twice per round: as installed (OpenMP may start several threads per
process, which on a small machine fight over the cores), and held to one thread
(OMP_THREAD_LIMIT=1, as vnplan's workers are), the stronger baseline.

Stages: the pages are done once more in this process, one at a time as a worker does them,
and each stage timed where it is called (reading, cleanup, line detection, Tesseract,
correction, the rest of the page; then per document parsing, the outputs, the PDF/A), beside
plain Tesseract on the same pages. Archive outputs: the time per page of OCR is set beside the
time of writing ALTO, hOCR and a PDF/A of the same documents, grouped as the batch groups
them (each sample plan's pages) and as one-page documents, the worst case for the PDF's fixed
cost per document.

Peak memory per worker: vnplan's own report (the worker process's peak resident size), and
the worker's footprint with its running Tesseract, sampled with psutil every 0.1 s, over the
benchmark pages and one page at each of the generator's degradation levels (noise, rotation,
low resolution, a colour stamp...), which are the pages cleanup works hardest on.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from pipeline.inputs import read_pages
from pipeline.models import Document
from pipeline.pages import hold_to_one_thread, ocr_page
from pipeline.parse import parse_plan
from pipeline.synth import LEVELS, degrade, render_pages, write_scans
from pipeline.writers import write_document_outputs
from pipeline.writers.alto import write_alto
from pipeline.writers.hocr import write_hocr
from pipeline.writers.pdf import write_pdf

SAMPLES = Path("samples")
WORK = Path("out/bench")
_PEAK = re.compile(r"peak memory per worker (\d+) MB")


def bench_pages(seeds: int) -> list[Path]:
    """The rendered pages, made once and kept in out/bench/scans."""
    pages: list[Path] = []
    for seed in range(1, seeds + 1):
        folder = WORK / "scans" / f"seed-{seed}"
        for text in sorted(SAMPLES.glob("*.txt")):
            existing = sorted(folder.glob(f"{text.stem}-p*.png"))
            pages.extend(existing or write_scans(text, folder, seed=100 * seed, level="scan"))
    return pages


def time_tesseract(pages: list[Path], jobs: int, one_thread: bool) -> float:
    """Plain Tesseract over the pages, ``jobs`` at a time (xargs -P)."""
    out = WORK / "tesseract"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    arguments = [str(path) for page in pages
                 for path in (page, out / f"{page.parent.name}-{page.stem}")]
    started = time.perf_counter()
    subprocess.run(
        ["xargs", "-0", "-n", "2", "-P", str(jobs), "sh", "-c",
         'tesseract "$0" "$1" -l vie >/dev/null 2>&1'],
        input="\0".join(arguments).encode(), check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"} if one_thread else None,
    )
    return time.perf_counter() - started


@dataclass(frozen=True)
class Run:
    """A timed `vnplan run`."""

    seconds: float
    summary: str  # its last line
    worker_mb: float  # the largest worker footprint sampled (worker + the programs it runs)
    parent_mb: float  # the largest resident size of the main process sampled


def time_vnplan(
    pages: list[Path], jobs: int, name: str, *options: str, page_count: int | None = None,
    force: bool = True, sampled: bool = True,
) -> Run:
    """``vnplan run`` over ``pages``, files of ``page_count`` pages in all (one each by
    default), timed and, if ``sampled``, its memory sampled every 0.1 s; without ``force``, a
    run again over what an earlier one did (0 pages read).

    Sampling walks the process tree in /proc, about 6 ms of CPU a sample: 3% of a core taken
    from the run it measures, which plain Tesseract's timing does not pay. The rounds that
    compare the two are not sampled; the worker's peak comes from its own report."""
    out = WORK / f"vnplan-{name}"
    started = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", *map(str, pages), "-o", str(out),
         "--jobs", str(jobs), *(["--force"] if force else []), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    footprint = parent = 0.0
    while sampled and run.poll() is None:
        footprint = max(footprint, _largest_worker_mb(run.pid))
        with contextlib.suppress(psutil.Error):  # it ended while being looked at
            parent = max(parent, psutil.Process(run.pid).memory_info().rss / 2**20)
        time.sleep(0.1)
    run.wait()  # its few lines of stderr fit in the pipe
    seconds = time.perf_counter() - started
    stderr = run.stderr.read().strip() if run.stderr else ""
    summary = stderr.splitlines()[-1] if stderr else ""
    expected = 0 if not force else len(pages) if page_count is None else page_count
    if run.returncode != 0 or f" {expected} pages" not in summary:
        raise SystemExit(f"vnplan run failed ({run.returncode}): {stderr}")
    return Run(seconds, summary, footprint, parent)


def _largest_worker_mb(pid: int) -> float:
    """The largest resident size of a Python process under ``pid`` plus the programs it runs
    (Tesseract, Ghostscript): not plus the workers, for the forkserver they are forked from."""
    try:
        tree = psutil.Process(pid).children(recursive=True)
        sizes = [
            process.memory_info().rss + sum(c.memory_info().rss for c in process.children()
                                            if not c.name().startswith("python"))
            for process in tree
            if process.name().startswith("python")
        ]
    except psutil.Error:  # a process ended while being looked at
        return 0.0
    return max(sizes, default=0) / 2**20


# The stages of a page, timed where ocr_page calls them: (stage, module, function).
PAGE_STAGES = (
    ("cleanup", "pipeline.preprocess", "clean_page"),
    ("line detection", "pipeline.detect", "ink_marks"),
    ("line detection", "pipeline.detect", "detect_lines"),
    ("line detection", "pipeline.detect", "ink_covered"),
    ("Tesseract", "pipeline.ocr", "recognise_lines"),
    ("Tesseract", "pipeline.ocr", "recognise"),
    ("Tesseract", "pipeline.ocr", "recover_dropped_text"),
    ("correction", "pipeline.correct", "correct_lines"),
)


@contextmanager
def timed_stages(seconds: dict[str, float]) -> Iterator[None]:
    """Add the time spent in each of PAGE_STAGES' functions to ``seconds[stage]``."""
    originals = []
    for stage, module_name, name in PAGE_STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*args, _stage=stage, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_stage] = seconds.get(_stage, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def stage_costs(pages: list[Path]) -> None:
    """Seconds per page of each stage of the work, done in this process one page at a time as
    a worker does it, beside plain Tesseract on the same pages; then what writing ALTO, hOCR
    and PDF/A adds, for documents as the batch groups them and as one-page documents (the
    worst case for the PDF's fixed cost per document)."""
    hold_to_one_thread()  # one Tesseract and one OpenCV thread, as in the batch's workers
    out = WORK / "archive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    warm = ocr_page(next(read_pages(pages[0])), source=pages[0])  # models loaded once
    write_pdf(Document(pages[0], [warm]), out / "warm-up.pdf")
    seconds: dict[str, float] = {}
    by_plan: dict[str, list] = {}
    with timed_stages(seconds):
        for path in pages:
            started = time.perf_counter()
            image = next(read_pages(path))
            seconds["reading the image"] = (seconds.get("reading the image", 0.0)
                                            + time.perf_counter() - started)
            page = ocr_page(image, source=path)
            seconds["page, in all"] = (seconds.get("page, in all", 0.0)
                                       + time.perf_counter() - started)
            page.source, page.source_page = path, 1
            by_plan.setdefault(f"{path.parent.name}-{path.stem.rsplit('-p', 1)[0]}",
                               []).append(page)
    seconds["the rest of the page (reading order, junk, boxes)"] = seconds["page, in all"] - sum(
        value for stage, value in seconds.items() if stage != "page, in all")
    documents = [Document(plan[0].source, plan) for plan in by_plan.values()]
    for stage, work in (
        ("parsing the fields", lambda d, name: parse_plan(d.text)),
        ("txt, JSON, ALTO, hOCR, review page", lambda d, name: write_document_outputs(
            d, parse_plan(d.text).to_dict(), out, name)),
        ("PDF/A", lambda d, name: write_pdf(d, out / f"{name}.pdf")),
    ):
        started = time.perf_counter()
        for name, document in zip(by_plan, documents, strict=True):
            work(document, name)
        seconds[stage] = time.perf_counter() - started
    seconds["txt, JSON, ALTO, hOCR, review page"] -= seconds["parsing the fields"]
    started = time.perf_counter()
    for path in pages:
        subprocess.run(["tesseract", str(path), str(out / "tesseract"), "-l", "vie"],
                       check=True, capture_output=True)
    tesseract = (time.perf_counter() - started) / len(pages)
    total = seconds["page, in all"] + sum(
        value for stage, value in seconds.items() if stage in
        ("parsing the fields", "txt, JSON, ALTO, hOCR, review page", "PDF/A"))
    print(f"\nseconds per page of each stage, one page at a time in this process "
          f"({len(pages)} pages, {len(documents)} documents)")
    for stage, value in seconds.items():
        if stage != "page, in all":
            print(f"  {stage:50} {value / len(pages):6.3f}  {100 * value / total:5.1f}%")
    print(f"  {'all of it':50} {total / len(pages):6.3f}")
    print(f"  {'plain tesseract -l vie, one thread, same pages':50} {tesseract:6.3f}  "
          f"(vnplan's work is {total / len(pages) / tesseract:.2f}x Tesseract's)")
    ocr_seconds = seconds["page, in all"] / len(pages)
    print(f"archive outputs beside the OCR of a page ({ocr_seconds:.2f} s: cleanup, "
          "detection, Tesseract, correction)")
    for grouping, groups in (
        ("as the batch groups them", [(name, plan) for name, plan in by_plan.items()]),
        ("one page per document", [(f"{name}-{i}", [page]) for name, plan in by_plan.items()
                                   for i, page in enumerate(plan)]),
    ):
        costs = {}
        for label, writer in (("ALTO", lambda d, p: write_alto(d, p.with_suffix(".xml"))),
                              ("hOCR", lambda d, p: write_hocr(d, p.with_suffix(".hocr"))),
                              ("PDF/A", lambda d, p: write_pdf(d, p.with_suffix(".pdf")))):
            started = time.perf_counter()
            for name, plan in groups:
                writer(Document(plan[0].source, plan), out / name)
            costs[label] = (time.perf_counter() - started) / len(pages)
        added = sum(costs.values())
        detail = ", ".join(f"{label} {1000 * cost:.0f} ms" for label, cost in costs.items())
        print(f"  {grouping} ({len(groups)} documents): {detail} per page; "
              f"{100 * added / ocr_seconds:.1f}% of the OCR time per page (target <= 10%)")


def level_pages() -> list[Path]:
    """Page 1 of one sample at every degradation level, the hard cases for memory."""
    folder = WORK / "levels"
    text = sorted(SAMPLES.glob("*.txt"))[0]
    pages = []
    for level in LEVELS:
        page = folder / f"{level}.png"
        if not page.exists():
            folder.mkdir(parents=True, exist_ok=True)
            degrade(render_pages(text.read_text(encoding="utf-8"))[0].image, seed=5,
                    level=level).save(page)
        pages.append(page)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2, help="renderings of each sample page")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--stages-only", action="store_true",
                        help="only the seconds per stage, not the batch runs")
    args = parser.parse_args(argv)
    pages = bench_pages(args.seeds)
    if args.stages_only:
        stage_costs(pages)
        return 0
    print(f"{len(pages)} pages (300 dpi A4, samples rendered at {args.seeds} seeds), "
          f"{args.jobs} at a time, {args.rounds} rounds")
    plain, one_thread, vnplan, no_pdf, peaks, footprints = [], [], [], [], [], []
    for round_number in range(1, args.rounds + 1):
        plain.append(time_tesseract(pages, args.jobs, one_thread=False))
        one_thread.append(time_tesseract(pages, args.jobs, one_thread=True))
        run = time_vnplan(pages, args.jobs, "scans", sampled=False)
        seconds = run.seconds
        vnplan.append(seconds)
        if match := _PEAK.search(run.summary):
            peaks.append(int(match[1]))
        no_pdf.append(time_vnplan(pages, args.jobs, "no-pdf", "--output-type", "none",
                                  sampled=False).seconds)
        print(f"round {round_number}: tesseract {plain[-1]:.1f} s, tesseract one thread "
              f"{one_thread[-1]:.1f} s, vnplan {seconds:.1f} s, vnplan without PDF "
              f"{no_pdf[-1]:.1f} s")
    def rate(times: list[float]) -> float:
        return 60 * len(pages) / min(times)

    print(f"\npages per minute, best round of each ({args.jobs} at a time)")
    print(f"  tesseract -l vie (xargs -P{args.jobs})     {rate(plain):6.1f}")
    print(f"  the same with OMP_THREAD_LIMIT=1      {rate(one_thread):6.1f}")
    print(f"  vnplan run --jobs {args.jobs}                   {rate(vnplan):6.1f}")
    print(f"  vnplan run --jobs {args.jobs} --output-type none  {rate(no_pdf):6.1f}")
    print(f"vnplan / tesseract {rate(vnplan) / rate(plain):.2f}, vnplan / tesseract one thread "
          f"{rate(vnplan) / rate(one_thread):.2f} (target >= 0.85)")
    print(f"the searchable PDF/A costs the batch {100 * (min(vnplan) / min(no_pdf) - 1):.1f}% "
          "of its time (ALTO and hOCR are written either way)")
    again = min(time_vnplan(pages, args.jobs, "scans", force=False).seconds
                for _ in range(args.rounds))
    print(f"the same run again, every document done already: {again:.2f} s")
    stage_costs(pages)
    levels = level_pages()
    run = time_vnplan(levels, args.jobs, "levels")
    if match := _PEAK.search(run.summary):
        peaks.append(int(match[1]))
    footprints.append(run.worker_mb)
    print(f"peak memory per worker over these and {len(levels)} pages at every degradation "
          f"level: {max(peaks)} MB (worker process, its own report); {max(footprints):.0f} MB "
          "with its running Tesseract (sampled); target < 1024 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
