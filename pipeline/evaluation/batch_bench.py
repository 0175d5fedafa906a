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

from pipeline.synth import LEVELS, degrade, render_pages, write_scans

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


def time_vnplan(pages: list[Path], jobs: int, name: str) -> tuple[float, str, float]:
    """Seconds, the summary line, and the largest worker footprint (worker + its Tesseract)."""
    out = WORK / f"vnplan-{name}"
    started = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", *map(str, pages), "-o", str(out),
         "--jobs", str(jobs), "--force"],
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
    plain, one_thread, vnplan, peaks, footprints = [], [], [], [], []
    for round_number in range(1, args.rounds + 1):
        plain.append(time_tesseract(pages, args.jobs, one_thread=False))
        one_thread.append(time_tesseract(pages, args.jobs, one_thread=True))
        seconds, summary, footprint = time_vnplan(pages, args.jobs, "scans")
        vnplan.append(seconds)
        footprints.append(footprint)
        if match := _PEAK.search(summary):
            peaks.append(int(match[1]))
        print(f"round {round_number}: tesseract {plain[-1]:.1f} s, tesseract one thread "
              f"{one_thread[-1]:.1f} s, vnplan {seconds:.1f} s")
    def rate(times: list[float]) -> float:
        return 60 * len(pages) / min(times)

    print(f"\npages per minute, best round of each ({args.jobs} at a time)")
    print(f"  tesseract -l vie (xargs -P{args.jobs})     {rate(plain):6.1f}")
    print(f"  the same with OMP_THREAD_LIMIT=1      {rate(one_thread):6.1f}")
    print(f"  vnplan run --jobs {args.jobs}                   {rate(vnplan):6.1f}")
    print(f"vnplan / tesseract {rate(vnplan) / rate(plain):.2f}, vnplan / tesseract one thread "
          f"{rate(vnplan) / rate(one_thread):.2f} (target >= 0.85)")
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
