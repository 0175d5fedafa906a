"""``make eval`` (layout part): the text-line detector against Tesseract's own layout.

    python -m pipeline.evaluation.layout_eval [--texts A.txt,B.txt] [--levels scan,skewed]
                                              [--keep DIR]

Plans of our own (two of ``dictionaries/corpus``, which the detector's settings were not tuned
on: that was done on ``samples/``) are laid out as Decree 30 pages by :mod:`pipeline.synth`
and degraded at each level: a grey seal ("scan"), a red one ("colour-stamp"), tilted 4-12
degrees ("skewed"), 150 dpi ("low-dpi"). Each page is read by plain ``tesseract -l vie`` (a
separate program), by ``vnplan ocr --layout tesseract`` and by ``vnplan ocr --layout
detector``; the table gives, per level and pooled, the CER, the words of the true text that
are missing from the reading (a bag of words: order does not count), and the seconds per page
(one process, one page at a time; on a busy machine only the ratios mean much).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.evaluation.metrics import Pooled, char_errors, normalise
from pipeline.pages import OcrOptions, ocr_document
from pipeline.synth import LEVELS, write_scans

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = (
    REPO / "dictionaries" / "corpus" / "plan-06-an-toan-giao-thong-krong-pac.txt",
    REPO / "dictionaries" / "corpus" / "plan-09-khuyen-hoc-kim-son.txt",
)
DEFAULT_LEVELS = ("scan", "colour-stamp", "skewed", "low-dpi")
SEED = 1300  # degradation seed of the first text; each text and level gets its own
PLAIN = "tesseract -l vie"
SYSTEMS = {
    "vnplan ocr --layout tesseract": OcrOptions(layout="tesseract"),
    "vnplan ocr --layout detector": OcrOptions(layout="detector"),
}


@dataclass
class Score(Pooled):
    """Counts for pooling: character errors over the truth's length, words lost over the
    truth's words, seconds over pages; and the junk lines the reading left out."""

    errors: int = 0
    length: int = 0
    lost: int = 0
    words: int = 0
    seconds: float = 0.0
    pages: int = 0
    junk: int = 0



@dataclass
class Table:
    """Scores per level and system."""

    levels: dict[str, dict[str, Score]] = field(default_factory=dict)

    def score(self, level: str, system: str) -> Score:
        return self.levels.setdefault(level, {}).setdefault(system, Score())


def words_lost(hypothesis: str, reference: str) -> tuple[int, int]:
    """(words of the reference not in the hypothesis, words of the reference), as bags."""
    reference_words = Counter(normalise(reference).split())
    found = reference_words & Counter(normalise(hypothesis).split())
    total = sum(reference_words.values())
    return total - sum(found.values()), total


def plain_tesseract(page: Path) -> str:
    done = subprocess.run(["tesseract", str(page), "-", "-l", "vie"],
                          check=True, capture_output=True, text=True)
    return done.stdout


def page_score(text: str, truth: str, seconds: float, junk: int = 0) -> Score:
    errors, length = char_errors(text, truth)
    lost, words = words_lost(text, truth)
    return Score(errors, length, lost, words, seconds, 1, junk)


def evaluate(pages: list[tuple[str, Path]], table: Table) -> None:
    """Read every (level, page) with every system, adding to ``table``."""
    for level, page in pages:
        truth = page.with_suffix(".gt.txt").read_text(encoding="utf-8")
        started = time.perf_counter()
        text = plain_tesseract(page)
        table.score(level, PLAIN).add(page_score(text, truth, time.perf_counter() - started))
        for name, options in SYSTEMS.items():
            started = time.perf_counter()
            document = ocr_document(page, options)
            seconds = time.perf_counter() - started
            junk = sum(line.junk for p in document.pages for line in p.lines)
            table.score(level, name).add(page_score(document.text, truth, seconds, junk))
        print(f"  {page.name} ({level}) done", file=sys.stderr, flush=True)


def render(texts: list[Path], levels: list[str], work: Path) -> list[tuple[str, Path]]:
    pages = []
    for t, text in enumerate(texts):
        for k, level in enumerate(levels):
            seed = SEED + 100 * t + 10 * k
            pages += [(level, path) for path in write_scans(text, work / level, seed=seed,
                                                            level=level)]
    return pages


def print_table(table: Table) -> None:
    systems = [PLAIN, *SYSTEMS]
    print("| level | pages | " + " | ".join(f"CER {s}" for s in systems)
          + " | " + " | ".join(f"words lost {s}" for s in systems)
          + " | " + " | ".join(f"s/page {s}" for s in systems) + " | junk lines (detector) |")
    print("|---|---:|" + "---:|" * (3 * len(systems) + 1))
    pooled = {system: Score() for system in systems}
    rows = list(table.levels.items())
    for _, scores in rows:
        for system in systems:
            pooled[system].add(scores[system])
    for level, scores in [*rows, ("all (pooled)", pooled)]:
        cells = [f"{scores[s].errors / max(scores[s].length, 1):.4f}" for s in systems]
        cells += [f"{scores[s].lost} / {scores[s].words}" for s in systems]
        cells += [f"{scores[s].seconds / max(scores[s].pages, 1):.1f}" for s in systems]
        cells.append(str(scores[systems[-1]].junk))
        print(f"| {level} | {scores[PLAIN].pages} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", default=",".join(str(p) for p in HELD_OUT),
                        help="comma-separated plan texts to render (default: two held-out "
                             "plans of dictionaries/corpus)")
    parser.add_argument("--levels", default=",".join(DEFAULT_LEVELS),
                        help=f"comma-separated degradation levels (of: {', '.join(LEVELS)})")
    parser.add_argument("--keep", type=Path, help="keep the rendered pages here")
    args = parser.parse_args(argv)
    texts = [Path(t) for t in args.texts.split(",") if t.strip()]
    levels = [level.strip() for level in args.levels.split(",") if level.strip()]
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        parser.error(f"unknown level(s) {', '.join(unknown)}; known: {', '.join(LEVELS)}")
    missing = [str(text) for text in texts if not text.is_file()]
    if missing:
        parser.error(f"no such text: {', '.join(missing)}")
    table = Table()
    with tempfile.TemporaryDirectory(prefix="vnplan-layout-") as folder:
        work = args.keep or Path(folder)
        evaluate(render(texts, levels, work), table)
    print_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
