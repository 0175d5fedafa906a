"""Batch throughput: `vnplan run --jobs 2` against plain `tesseract -l vie`, two at a time.

    python -m pipeline.evaluation.batch_bench [--seeds 2] [--rounds 2] [--jobs 2]

The pages are our samples (samples/*.txt) rendered as 300-dpi A4 scans, once per seed, into
out/bench/scans. Both sides read the same PNGs in the same run, alternating round by round so
that load from other work on the machine hits both alike. vnplan's run is the whole job
(cleanup, OCR, recovery of dropped blocks, correction, parsing, outputs, tables), started from
the command line with --force so nothing is skipped.

Plain Tesseract runs twice per round: as installed (OpenMP may start several threads per
process, which on a small machine fight over the cores), and held to one thread
(OMP_THREAD_LIMIT=1, as vnplan's workers are), the stronger baseline.

Archive outputs: the pages are OCR'd once in this process and the time per page of OCR
(cleanup, Tesseract, correction) is set beside the time of writing ALTO, hOCR and a PDF/A of
the same documents, grouped as the batch groups them (each sample plan's pages) and as
one-page documents, the worst case for the PDF's fixed cost per document.

Peak memory per worker: vnplan's own report (the worker process's peak resident size), and
the worker's footprint with its running Tesseract, sampled with psutil every 0.1 s, over the
benchmark pages and one page at each of the generator's degradation levels (noise, rotation,
low resolution, a colour stamp...), which are the pages cleanup works hardest on.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from pipeline.inputs import read_pages
from pipeline.models import Document
from pipeline.pages import ocr_page
from pipeline.synth import LEVELS, degrade, render_pages, write_scans
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


def time_vnplan(
    pages: list[Path], jobs: int, name: str, *options: str
) -> tuple[float, str, float]:
    """Seconds, the summary line, and the largest worker footprint (worker + its Tesseract)."""
    out = WORK / f"vnplan-{name}"
    started = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", *map(str, pages), "-o", str(out),
         "--jobs", str(jobs), "--force", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    footprint = 0.0
    while run.poll() is None:
        footprint = max(footprint, _largest_worker_mb(run.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    stderr = run.stderr.read().strip() if run.stderr else ""
    summary = stderr.splitlines()[-1] if stderr else ""
    if run.returncode != 0 or f"{len(pages)} pages" not in summary:
        raise SystemExit(f"vnplan run failed ({run.returncode}): {stderr}")
    return seconds, summary, footprint


def _largest_worker_mb(pid: int) -> float:
    """The largest resident size of a Python process under ``pid`` plus its child processes."""
    try:
        tree = psutil.Process(pid).children(recursive=True)
        sizes = [
            process.memory_info().rss + sum(c.memory_info().rss for c in process.children())
            for process in tree
            if process.name().startswith("python")
        ]
    except psutil.Error:  # a process ended while being looked at
        return 0.0
    return max(sizes, default=0) / 2**20


def archive_output_cost(pages: list[Path]) -> None:
    """Seconds per page of OCR beside seconds per page of writing ALTO, hOCR and PDF/A."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread, as in the batch's workers
    by_plan: dict[str, list] = {}
    started = time.perf_counter()
    for path in pages:
        page = ocr_page(next(read_pages(path)), source=path)
        page.source, page.source_page = path, 1
        by_plan.setdefault(f"{path.parent.name}-{path.stem.rsplit('-p', 1)[0]}", []).append(page)
    ocr_seconds = (time.perf_counter() - started) / len(pages)
    out = WORK / "archive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    write_pdf(Document(pages[0], [by_plan[next(iter(by_plan))][0]]), out / "warm-up.pdf")
    print(f"\narchive outputs, in one process: OCR {ocr_seconds:.2f} s per page "
          f"({len(pages)} pages)")
    for grouping, documents in (
        ("as the batch groups them", [(name, plan) for name, plan in by_plan.items()]),
        ("one page per document", [(f"{name}-{i}", [page]) for name, plan in by_plan.items()
                                   for i, page in enumerate(plan)]),
    ):
        costs = {}
        for label, writer in (("ALTO", lambda d, p: write_alto(d, p.with_suffix(".xml"))),
                              ("hOCR", lambda d, p: write_hocr(d, p.with_suffix(".hocr"))),
                              ("PDF/A", lambda d, p: write_pdf(d, p.with_suffix(".pdf")))):
            started = time.perf_counter()
            for name, plan in documents:
                writer(Document(plan[0].source, plan), out / name)
            costs[label] = (time.perf_counter() - started) / len(pages)
        total = sum(costs.values())
        detail = ", ".join(f"{label} {1000 * cost:.0f} ms" for label, cost in costs.items())
        print(f"  {grouping} ({len(documents)} documents): {detail} per page; "
              f"{100 * total / ocr_seconds:.1f}% of the OCR time per page (target <= 10%)")


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
    args = parser.parse_args(argv)
    pages = bench_pages(args.seeds)
    print(f"{len(pages)} pages (300 dpi A4, samples rendered at {args.seeds} seeds), "
          f"{args.jobs} at a time, {args.rounds} rounds")
    plain, one_thread, vnplan, no_pdf, peaks, footprints = [], [], [], [], [], []
    for round_number in range(1, args.rounds + 1):
        plain.append(time_tesseract(pages, args.jobs, one_thread=False))
        one_thread.append(time_tesseract(pages, args.jobs, one_thread=True))
        seconds, summary, footprint = time_vnplan(pages, args.jobs, "scans")
        vnplan.append(seconds)
        footprints.append(footprint)
        if match := _PEAK.search(summary):
            peaks.append(int(match[1]))
        no_pdf.append(time_vnplan(pages, args.jobs, "no-pdf", "--output-type", "none")[0])
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
    archive_output_cost(pages)
    levels = level_pages()
    _, summary, footprint = time_vnplan(levels, args.jobs, "levels")
    if match := _PEAK.search(summary):
        peaks.append(int(match[1]))
    footprints.append(footprint)
    print(f"peak memory per worker over these and {len(levels)} pages at every degradation "
          f"level: {max(peaks)} MB (worker process, its own report); {max(footprints):.0f} MB "
          "with its running Tesseract (sampled); target < 1024 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
