"""Long documents: one PDF of 50, 200 and 800 pages through `vnplan run --jobs 2`; the time
per page and the peak memory per worker should not grow with the page count.

    python -m pipeline.evaluation.scaling_bench [--sizes 50 200 800] [--jobs 2]

The PDFs repeat batch_bench's rendered pages (300-dpi A4 scans of our samples), embedded by
img2pdf as they are, and are made once into out/bench/scaling. Memory: the worker's own report
(its peak resident size) and its footprint with the programs it runs, sampled every 0.1 s;
the main process's peak too, since a long document's pages must not pile up there either.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import img2pdf

from pipeline.evaluation.batch_bench import WORK, bench_pages, time_vnplan

_PEAK = re.compile(r"peak memory per worker (\d+) MB")


def long_pdf(pages: list[Path], count: int) -> Path:
    """A PDF of ``count`` pages, the rendered pages over and over."""
    path = WORK / "scaling" / f"{count}-pages.pdf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        chosen = [str(pages[index % len(pages)]) for index in range(count)]
        path.write_bytes(img2pdf.convert(chosen, rotation=img2pdf.Rotation.none))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    pages = bench_pages(2)
    print(f"one PDF of each size, --jobs {args.jobs}")
    print(f"  {'pages':>6} {'s/page':>8} {'worker MB':>10} {'sampled':>8} {'main MB':>8}")
    rows = []
    for size in args.sizes:
        run = time_vnplan([long_pdf(pages, size)], args.jobs, f"scaling-{size}",
                          page_count=size)
        match = _PEAK.search(run.summary)
        worker = int(match[1]) if match else 0
        rows.append((size, run.seconds / size, worker, run.worker_mb, run.parent_mb))
        print(f"  {size:6d} {run.seconds / size:8.3f} {worker:10d} {run.worker_mb:8.0f} "
              f"{run.parent_mb:8.0f}")
    first = rows[0]
    for size, per_page, worker, sampled, parent in rows[1:]:
        print(f"{size} pages against {first[0]}: time per page {per_page / first[1]:.2f}x, "
              f"worker memory {worker / max(first[2], 1):.2f}x (sampled "
              f"{sampled / max(first[3], 1):.2f}x), main process {parent / max(first[4], 1):.2f}x "
              "(target: within 10%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
