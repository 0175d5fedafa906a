"""The review report's cost: its share of the batch's time, and its bytes per page.

    python -m pipeline.evaluation.report_bench [--seeds 1] [--jobs 2] [--rounds 2]

The pages are batch_bench's (our samples rendered as 300-dpi A4 scans, out/bench/scans). Each
round runs the batch in this process, as `vnplan run --jobs N --force` does, into
out/bench/vnplan-report, with the report's parts timed where they run, in the main process:
finding each field's lines, writing each review page with its page images (the scan read again
and reduced), and the index at the end.

- CPU share: the report's CPU time over the whole batch's (the main process, the workers and
  their Tesseract runs, sampled with psutil). With the workers keeping every core busy, as a
  batch does, this is what the report adds to the batch's time.
- Wall share, an upper bound: the report's time in the main process over the batch's time, as
  if the main process were never waiting for the workers meanwhile.

Also timed: `vnplan report` making the whole report again from the outputs (JSON read back,
every scan read again), per page. Size: every review page, page image and the index, over
the pages. Targets: at most 5% of the batch's time, at most 300 KB a page.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from pipeline import batch as batch_module
from pipeline import writers
from pipeline.api import BatchOptions, OcrOptions, run_batch
from pipeline.evaluation.batch_bench import WORK, bench_pages
from pipeline.report import write_report
from pipeline.writers import INDEX_NAME
from pipeline.writers.html import IMAGES_SUFFIX

OUT = WORK / "vnplan-report"


class _Clock:
    """Time spent in the wrapped functions: CPU of the main process meanwhile (OpenCV may
    resize on threads of its own; the pool's threads mostly wait), and wall time."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def wrap(self, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - cpu
                self.wall += time.perf_counter() - wall
        return timed


@contextmanager
def _report_timed(clock: _Clock) -> Iterator[None]:
    """The batch's report calls, timed (the names as the batch and its writer call them)."""
    patched = [(writers, "write_html"), (writers, "field_provenance"),
               (batch_module, "write_report")]
    originals = [getattr(module, name) for module, name in patched]
    for module, name in patched:
        setattr(module, name, clock.wrap(getattr(module, name)))
    try:
        yield
    finally:
        for (module, name), original in zip(patched, originals, strict=True):
            setattr(module, name, original)


class _TreeCpu:
    """CPU seconds of this process and its descendants, sampled until stopped: the workers
    with the Tesseract runs they waited for; the forkserver by its own time only, since the
    workers it reaps are counted already."""

    def __init__(self) -> None:
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _TreeCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            for child in me.children():
                self._add(child, with_children=False)
                for worker in self._children(child):
                    self._add(worker, with_children=True)

    @staticmethod
    def _children(process: psutil.Process) -> list[psutil.Process]:
        try:
            return process.children()
        except psutil.Error:
            return []

    def _add(self, process: psutil.Process, with_children: bool) -> None:
        try:
            times = process.cpu_times()
        except psutil.Error:  # gone since it was listed: its last sample stands
            return
        total = times.user + times.system
        if with_children:
            total += times.children_user + times.children_system
        self._seen[process.pid] = total

    @property
    def seconds(self) -> float:
        own = psutil.Process().cpu_times()
        return own.user + own.system + sum(self._seen.values())


def run_round(pages: list[Path], jobs: int) -> tuple[float, float, _Clock]:
    """Batch seconds, batch CPU seconds, and the report's clock."""
    shutil.rmtree(OUT, ignore_errors=True)
    clock = _Clock()
    before = psutil.Process().cpu_times()
    started = time.perf_counter()
    with _report_timed(clock), _TreeCpu() as tree:
        result = run_batch(pages, OUT, OcrOptions(), BatchOptions(jobs=jobs, force=True))
    seconds = time.perf_counter() - started
    if result.failures or result.pages != len(pages):
        raise SystemExit(f"the batch failed: {[str(f) for f in result.failures]}")
    cpu = tree.seconds - before.user - before.system
    return seconds, cpu, clock


def rebuild_seconds(out: Path) -> float:
    """Seconds to make the whole report again from the batch's outputs and the scans."""
    for folder in list(out.rglob(f"*{IMAGES_SUFFIX}")):
        shutil.rmtree(folder)
    for page in list(out.rglob("*.html")):
        page.unlink()
    started = time.perf_counter()
    report = write_report(out, rebuild=True)
    seconds = time.perf_counter() - started
    if report.index is None or report.pages_written != len(report.rows):
        raise SystemExit(f"the report was not made again: {report.notes}")
    return seconds


def report_bytes(out: Path) -> tuple[int, int]:
    """Bytes of the review pages and index, and of the page images."""
    pages = sum(path.stat().st_size for path in out.rglob("*.html"))
    images = sum(path.stat().st_size for folder in out.rglob(f"*{IMAGES_SUFFIX}")
                 for path in folder.iterdir())
    return pages, images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="renderings of each sample page")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    pages = bench_pages(args.seeds)
    count = len(pages)
    print(f"{count} pages (300 dpi A4), the batch of vnplan run --jobs {args.jobs}, "
          f"{args.rounds} rounds")
    cpu_shares, wall_shares = [], []
    for round_number in range(1, args.rounds + 1):
        seconds, cpu, clock = run_round(pages, args.jobs)
        cpu_shares.append(clock.cpu / cpu)
        wall_shares.append(clock.wall / seconds)
        print(f"round {round_number}: batch {seconds:.1f} s, {cpu:.1f} s CPU "
              f"({cpu / count:.2f} s a page); report {clock.cpu:.2f} s CPU "
              f"({1000 * clock.cpu / count:.0f} ms a page), {clock.wall:.2f} s in the main "
              f"process: {100 * cpu_shares[-1]:.1f}% of the CPU, at most "
              f"{100 * wall_shares[-1]:.1f}% of the time")
    rebuilt = rebuild_seconds(OUT)
    html, images = report_bytes(OUT)
    index = (OUT / INDEX_NAME).stat().st_size
    print(f"\nthe report's share of the batch, worst round: {100 * max(cpu_shares):.1f}% of "
          f"its CPU time, at most {100 * max(wall_shares):.1f}% of its wall time "
          "(target <= 5%)")
    print(f"vnplan report, everything made again from the outputs and the scans: "
          f"{rebuilt:.2f} s ({1000 * rebuilt / count:.0f} ms a page)")
    print(f"size: {(html + images) / count / 1000:.0f} KB a page (target <= 300 KB): page "
          f"images {images / count / 1000:.0f} KB, review pages "
          f"{(html - index) / count / 1000:.0f} KB, index {index / 1000:.1f} KB in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
