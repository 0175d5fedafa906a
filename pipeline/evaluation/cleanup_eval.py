"""``make eval`` (cleanup part): CER per degradation level, cleanup against raw Tesseract.

Pages of the project's own sample plans are rendered, degraded at every level of
:data:`pipeline.synth.LEVELS` (clean, photocopy, skewed, rotated, low-dpi, colour stamp, heavy
noise, shadowed...), written as images, and read three ways: ``vnplan ocr --no-correct`` (with
cleanup), ``vnplan ocr --raw`` (no cleanup), and plain ``tesseract -l vie``. Also reports the
time per page of the cleanup alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from pipeline.api import OcrOptions, ocr_document
from pipeline.evaluation.metrics import char_errors
from pipeline.evaluation.ocr_eval import plain_tesseract
from pipeline.inputs import read_pages
from pipeline.preprocess import clean_page
from pipeline.synth import LEVELS, degrade, render_pages

REPO = Path(__file__).resolve().parents[2]
SYSTEMS = ("vnplan ocr --no-correct", "vnplan ocr --raw", "tesseract -l vie")
# (sample, page index): a header page, a body page and a closing page with its stamp
PAGES = (
    ("kh-xa-cam-binh-nong-thon-moi", 0),
    ("kh-phong-ldtbxh-phu-ninh-giam-ngheo", 1),
    ("kh-mttq-quang-ngai-doi-song-van-hoa", 2),
)


def make_pages(folder: Path) -> list[tuple[str, Path, str]]:
    """(level, image path, truth) for every level and chosen page."""
    made = []
    for name, index in PAGES:
        rendered = render_pages((REPO / "samples" / f"{name}.txt").read_text(encoding="utf-8"))
        page = rendered[index]
        for seed, level in enumerate(LEVELS):
            image = degrade(page.image, seed=seed + 10 * index, level=level)
            path = folder / f"{level}-{name}-p{index + 1}.png"
            image.save(path, dpi=image.info.get("dpi", (300, 300)))
            made.append((level, path, page.truth))
    return made


def score(job: tuple[str, Path, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    level, path, truth = job
    return level, {
        SYSTEMS[0]: char_errors(ocr_document(path, OcrOptions(correct=False)).text, truth),
        SYSTEMS[1]: char_errors(ocr_document(path, OcrOptions(raw=True)).text, truth),
        SYSTEMS[2]: char_errors(plain_tesseract(path), truth),
    }


def cleanup_seconds(pages: list[Path]) -> float:
    """Mean wall time of clean_page alone on 300-dpi A4 pages (after one warm-up)."""
    images = [next(read_pages(path)).pixels for path in pages]
    clean_page(images[0])
    started = time.perf_counter()
    for pixels in images:
        clean_page(pixels)
    return (time.perf_counter() - started) / len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="pages read in parallel")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vnplan-cleanup-eval-") as folder:
        jobs = make_pages(Path(folder))
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(score, jobs))
        seconds = cleanup_seconds([path for level, path, _ in jobs if level == "scan"])
    totals: dict[str, dict[str, list[int]]] = {}
    for level, scores in results:
        for system, (errors, length) in scores.items():
            pooled = totals.setdefault(level, {}).setdefault(system, [0, 0])
            pooled[0] += errors
            pooled[1] += length
    print(f"CER per degradation level, {len(PAGES)} pages each (pooled):\n")
    print("| level | " + " | ".join(SYSTEMS) + " | cut vs --raw |")
    print("|---|" + "---:|" * (len(SYSTEMS) + 1))
    cuts = []
    for level in LEVELS:
        rates = [e / max(n, 1) for e, n in (totals[level][s] for s in SYSTEMS)]
        cut = 1 - rates[0] / rates[1] if rates[1] else 0.0
        if level != "clean":
            cuts.append(cut)
        print(f"| {level} | " + " | ".join(f"{r:.4f}" for r in rates) + f" | {cut:+.0%} |")
    print(f"\nmean CER cut by cleanup over the {len(cuts)} degraded levels: {np.mean(cuts):.0%}")
    print(f"cleanup alone: {seconds:.2f} s per 300-dpi A4 page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
