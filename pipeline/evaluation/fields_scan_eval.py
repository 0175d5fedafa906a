"""Structured fields read from scans, end to end, beside the same documents' clean-text score.

    python -m pipeline.evaluation.fields_scan_eval [--shared DIR] [--levels scan,photocopy]
                                                   [--jobs 2] [--keep DIR]

The shared plans (clean/001 and clean/003, the 002 plan as its gold lines, and plans/NNN.txt)
are laid out as Decree 30 pages by :mod:`pipeline.synth`, degraded at each level, written as
one PDF per plan and put through the real batch (``vnplan run``: cleanup, OCR, correction,
parsing). The ``fields`` of each output are scored against the gold fields with the scorer of
:mod:`pipeline.evaluation.fields_eval` (FIELDS.md's rule, macro F1 over the fields), and so is
``parse_plan`` on the clean text that was rendered, so that what scanning costs shows per
field and per document. Work files go to a temporary folder unless --keep names one.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from pipeline.batch import BatchOptions, run_batch
from pipeline.evaluation.fields_eval import (
    ListScore,
    macro_f1,
    report,
    score_document,
    shared_dir,
    shared_plans,
)
from pipeline.pages import OcrOptions
from pipeline.parse import parse_plan
from pipeline.synth import LEVELS, write_pdf

Scores = dict[str, dict[str, float | ListScore]]
DEFAULT_LEVELS = ("scan", "photocopy")  # an ordinary colour scan; a black-and-white photocopy
SEED = 2020  # degradation seed of the first document; each document gets its own


def documents(data: Path) -> dict[str, tuple[str, dict]]:
    """File stem -> (clean text, gold fields) of the shared plans (``fields_eval``'s set)."""
    return {name.replace("/", "-"): pair for name, pair in shared_plans(data).items()}


def _render(job: tuple[str, Path, str, int]) -> Path:
    text, path, level, seed = job
    return write_pdf(text, path, level=level, seed=seed)


def scan_scores(
    docs: dict[str, tuple[str, dict]], level: str, work: Path, jobs: int
) -> tuple[Scores, int, float]:
    """Render, degrade and write every document as a PDF, run the batch on the folder and
    score its fields; returns the scores, the page count and the seconds taken."""
    started = time.perf_counter()
    pdfs, out = work / level / "pdf", work / level / "out"
    renders = [
        (text, pdfs / f"{name}.pdf", level, SEED + 100 * i)
        for i, (name, (text, _)) in enumerate(docs.items())
    ]
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_render, renders))
    result = run_batch([pdfs], out, OcrOptions(), BatchOptions(jobs=jobs))
    for failure in result.failures:
        print(f"failed: {failure}")
    scores = {}
    for name, (_, gold) in docs.items():
        output = out / f"{name}.json"
        record = json.loads(output.read_text(encoding="utf-8")) if output.is_file() else {}
        scores[name] = score_document(record.get("fields", {}), gold)
    return scores, result.pages, time.perf_counter() - started


def summary(clean: Scores, scanned: dict[str, Scores]) -> None:
    """Macro F1 per document: clean text beside each level, and the means."""
    print("\n== macro F1: clean text beside the scans ==")
    print(f"{'document':<14} {'clean':>8}" + "".join(f" {level:>12}" for level in scanned))
    for name, scores in clean.items():
        row = "".join(f" {macro_f1(s[name]):12.3f}" for s in scanned.values())
        print(f"{name:<14} {macro_f1(scores):8.3f}{row}")
    means = [sum(macro_f1(x) for x in s.values()) / len(s) for s in (clean, *scanned.values())]
    print(f"{'mean':<14} {means[0]:8.3f}" + "".join(f" {m:12.3f}" for m in means[1:]))


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="vnplan-fields-scan-") as folder:
        yield Path(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", help="shared/ directory (default: $VNPLAN_SHARED or ../shared)")
    parser.add_argument("--levels", default=",".join(DEFAULT_LEVELS),
                        help=f"comma-separated degradation levels (of: {', '.join(LEVELS)})")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--keep", type=Path,
                        help="keep the PDFs, their page truth and the batch outputs here")
    args = parser.parse_args(argv)
    levels = [level.strip() for level in args.levels.split(",") if level.strip()]
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        parser.error(f"unknown level(s) {', '.join(unknown)}; known: {', '.join(LEVELS)}")

    data = shared_dir(args.shared) / "data"
    if not data.is_dir():
        print(f"skipped: shared data not found at {data}")
        return 0
    docs = documents(data)
    if not docs:
        print(f"skipped: no documents with gold fields in {data}")
        return 0
    clean = {name: score_document(parse_plan(text).to_dict(), gold)
             for name, (text, gold) in docs.items()}
    report("clean text: parse_plan on the text the scans are rendered from", clean)
    scanned: dict[str, Scores] = {}
    started = time.perf_counter()
    with workspace(args.keep) as work:
        for level in levels:
            scores, pages, seconds = scan_scores(docs, level, work, args.jobs)
            report(f"scans at level {level!r}: {len(docs)} PDFs, {pages} pages, `vnplan run "
                   f"--jobs {args.jobs}`, {seconds:.0f} s", scores)
            scanned[level] = scores
    summary(clean, scanned)
    print(f"\nwall time {time.perf_counter() - started:.0f} s for {len(levels)} level(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
