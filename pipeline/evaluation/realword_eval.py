"""Real-word tone correction: how often a change of a valid syllable's tone was right.

    python -m pipeline.evaluation.realword_eval [--texts DIR] [--levels scan,low-dpi] [--margin M]

Tesseract's Vietnamese model often reads a word with the right letters and the wrong tone
mark ("thế" for "thể", "Nguyên" for "Nguyễn"): a valid syllable, so only the context can tell.
Our own texts are rendered and degraded (synth), read by Tesseract once without correction
(cached in out/realword/), then corrected with and without the real-word step. Each OCR word
is aligned to the printed text; a real-word change is a word the step changed, right when it
now matches the print. Precision = right changes / all changes (issue 13 asks ≥ 0.9); the
tone-only errors left in the text are counted before and after.

By default the texts are the test fixtures (tests/fixtures/documents), which neither the
language model nor the OCR channel was built from; the samples (samples/*.txt) are what the
step's margin was chosen on (``--texts samples``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from pipeline.correct import correct_lines
from pipeline.evaluation.metrics import Pooled
from pipeline.inputs import PageImage
from pipeline.models import Box, Line, Word
from pipeline.pages import OcrOptions, ocr_page
from pipeline.restore.align import core, skeleton
from pipeline.restore.repair import RepairConfig
from pipeline.restore.syllable import decompose
from pipeline.synth import degrade, render_pages

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "out" / "realword"
DEFAULT_TEXTS = REPO / "tests" / "fixtures" / "documents"
DEFAULT_LEVELS = ("scan", "colour-stamp", "low-dpi")
SEED = 11


@dataclass
class Tally(Pooled):
    changes: int = 0
    right: int = 0
    tone_errors_before: int = 0
    tone_errors_after: int = 0
    words: int = 0



def raw_pages(text: Path, level: str) -> list[tuple[list[Line], str]]:
    """Tesseract's uncorrected lines and the printed text of each page, cached as JSON."""
    cache = CACHE / OcrOptions().layout / level / f"{text.stem}.json"  # remove to re-read
    if not cache.exists():
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        pages = []
        for number, rendered in enumerate(render_pages(text.read_text(encoding="utf-8")), 1):
            image = degrade(rendered.image, seed=SEED + number, level=level)
            dpi = float(image.info.get("dpi", (300,))[0])
            page = ocr_page(PageImage(number, np.asarray(image), dpi), OcrOptions(correct=False))
            lines = [[[w.text, w.confidence] for w in line.words] for line in page.lines]
            pages.append({"lines": lines, "truth": rendered.truth})
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    box = Box(0, 0, 1, 1)
    return [
        ([Line([Word(t, c, box) for t, c in words], box, 0) for words in page["lines"]],
         page["truth"])
        for page in json.loads(cache.read_text(encoding="utf-8"))
    ]


def _copy(lines: list[Line]) -> list[Line]:
    return [Line([Word(w.text, w.confidence, w.box) for w in line.words], line.box, 0)
            for line in lines]


def _tone_only(a: str, b: str) -> bool:
    """Same letters, another tone: both valid syllables differing only in the tone mark."""
    x, y = decompose(a.lower()), decompose(b.lower())
    return x is not None and y is not None and x != y and replace(x, tone=0) == replace(y, tone=0)


def score_page(lines: list[Line], truth: str, margin: float | None) -> Tally:
    """Correct the page both ways and count real-word changes against the printed words."""
    before, after = _copy(lines), _copy(lines)
    correct_lines(before, config=RepairConfig(real_word_margin=None))
    correct_lines(after, config=RepairConfig(real_word_margin=margin))
    old = [core(w.text) for line in before for w in line.words]
    new = [core(w.text) for line in after for w in line.words]
    printed = [core(t) for t in truth.split()]
    tally = Tally(words=len(printed))
    ops = Levenshtein.opcodes([skeleton(t) for t in printed], [skeleton(t) for t in old])
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            continue
        for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
            tally.tone_errors_before += _tone_only(printed[i], old[j])
            tally.tone_errors_after += _tone_only(printed[i], new[j])
            if old[j] != new[j]:
                tally.changes += 1
                tally.right += new[j] == printed[i]
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=Path, default=DEFAULT_TEXTS)
    parser.add_argument("--levels", default=",".join(DEFAULT_LEVELS))
    parser.add_argument("--margin", type=float, default=RepairConfig().real_word_margin)
    args = parser.parse_args(argv)
    texts = sorted(args.texts.glob("*.txt"))
    if not texts:
        print(f"{args.texts}: no .txt texts", file=sys.stderr)
        return 1
    print(f"real-word tone correction, margin {args.margin}, texts {args.texts} "
          f"({len(texts)}), levels {args.levels}, layout {OcrOptions().layout}")
    print("| level | words | changes | right | precision | tone errors before | after |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    total = Tally()
    for level in args.levels.split(","):
        tally = Tally()
        for text in texts:
            for lines, truth in raw_pages(text, level):
                tally.add(score_page(lines, truth, args.margin))
        total.add(tally)
        _row(level, tally)
    _row("all", total)
    return 0


def _row(name: str, t: Tally) -> None:
    precision = f"{t.right / t.changes:.3f}" if t.changes else "-"
    print(f"| {name} | {t.words} | {t.changes} | {t.right} | {precision} | "
          f"{t.tone_errors_before} | {t.tone_errors_after} |")


if __name__ == "__main__":
    sys.exit(main())
