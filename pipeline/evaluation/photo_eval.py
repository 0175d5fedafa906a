"""``make eval`` (real photos): word-F1 and CER of plain Tesseract and vnplan's OCR on real
photos and screenshots of Vietnamese administrative documents, against our own transcriptions.

    python -m pipeline.evaluation.photo_eval [--shared DIR] [--layout {detector,tesseract} ...]

The images are ``shared/data/photos``; their truth is ``photo_truth/<stem>.txt`` (see its
README for how they were transcribed). Rendered pages cannot show what a phone camera, a
screenshot or a web JPEG does to a page; these can.

Word-F1: bags of words (``metrics.words``: NFC, case kept, punctuation stripped from word
edges), so reading order does not count. A ``<?>`` in the truth marks a word nobody can read
in the image: it is removed before scoring and counts for nothing (what a system reads there
counts as an extra word). CER: Levenshtein over the NFC text with whitespace collapsed, after,
on both sides, dropping ``<?>`` and the `` | `` table-cell bars and writing each run of leader
dots as ``...`` (how many dots a form's fill-in line has is not text). Both pooled over all
photos at the end; the mean F1 weighs each photo alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.api import OcrOptions, ocr_document
from pipeline.evaluation.fields_eval import shared_dir
from pipeline.evaluation.metrics import char_errors, f1, word_matches, words
from pipeline.evaluation.ocr_eval import plain_tesseract
from pipeline.pages import LAYOUTS

TRUTH_DIR = Path(__file__).resolve().parent / "photo_truth"
UNREADABLE = "<?>"
_CELL_BAR = re.compile(r"(?<!\S)\|(?!\S)")
_LEADER_DOTS = re.compile(r"(?:\.{2,}|…)[.…]*")

Reader = Callable[[Path], str]


def truth_words_text(truth: str) -> str:
    """The truth with every ``<?>`` taken out, for word scoring (also inside "(<?>).")."""
    return truth.replace(UNREADABLE, " ")


def cer_text(text: str) -> str:
    """What CER compares: no ``<?>``, no free-standing cell bars, leader dots as "..."."""
    return _LEADER_DOTS.sub("...", _CELL_BAR.sub(" ", truth_words_text(text)))


@dataclass(frozen=True)
class Score:
    """Counts for one photo (or pooled): words matched, read and true; character errors and
    truth length."""

    matched: int
    predicted: int
    actual: int
    char_errors: int
    chars: int

    @property
    def f1(self) -> float:
        return f1(self.matched, self.predicted, self.actual)

    @property
    def cer(self) -> float:
        return self.char_errors / max(self.chars, 1)

    def __add__(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(
            dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


ZERO = Score(0, 0, 0, 0, 0)


def score(hypothesis: str, truth: str) -> Score:
    matched, predicted, actual = word_matches(hypothesis, truth_words_text(truth))
    errors, length = char_errors(cer_text(hypothesis), cer_text(truth))
    return Score(matched, predicted, actual, errors, length)


@dataclass(frozen=True)
class PhotoResult:
    name: str
    truth_words: int
    scores: dict[str, Score]  # system name -> score


def vnplan_reader(options: OcrOptions) -> Reader:
    return lambda photo: ocr_document(photo, options).text


def systems(layouts: list[str]) -> dict[str, Reader]:
    """Plain Tesseract, vnplan's OCR with default options, and vnplan with each of ``layouts``."""
    readers: dict[str, Reader] = {
        "tesseract -l vie": plain_tesseract,
        "vnplan ocr": vnplan_reader(OcrOptions()),
    }
    for layout in layouts:
        options = dataclasses.replace(OcrOptions(), layout=layout)
        readers[f"vnplan ocr --layout {layout}"] = vnplan_reader(options)
    return readers


def transcribed_photos(photos: Path, truth_dir: Path = TRUTH_DIR) -> list[tuple[Path, Path]]:
    """(photo, truth) for every truth file whose photo is in ``photos``, by file stem."""
    by_stem = {path.stem: path for path in sorted(photos.iterdir()) if path.is_file()}
    return [
        (by_stem[truth.stem], truth)
        for truth in sorted(truth_dir.glob("*.txt"))
        if truth.stem in by_stem
    ]


def evaluate(pairs: list[tuple[Path, Path]], readers: dict[str, Reader]) -> list[PhotoResult]:
    results = []
    for photo, truth_file in pairs:
        truth = truth_file.read_text(encoding="utf-8")
        results.append(PhotoResult(
            name=photo.name,
            truth_words=len(words(truth_words_text(truth))),
            scores={name: score(read(photo), truth) for name, read in readers.items()},
        ))
    return results


def print_table(results: list[PhotoResult]) -> None:
    """A Markdown table: word-F1 and CER per photo and system, then pooled and mean rows."""
    columns = list(results[0].scores)
    print("| photo | words | " + " | ".join(f"F1 {c}" for c in columns) + " | "
          + " | ".join(f"CER {c}" for c in columns) + " |")
    print("|---|---:|" + "---:|" * 2 * len(columns))
    for result in results:
        scores = [result.scores[c] for c in columns]
        print(f"| {result.name} | {result.truth_words} | "
              + " | ".join(f"{s.f1:.3f}" for s in scores) + " | "
              + " | ".join(f"{s.cer:.3f}" for s in scores) + " |")
    pooled = [sum((r.scores[c] for r in results), ZERO) for c in columns]
    total = sum(r.truth_words for r in results)
    print(f"| **all {len(results)} photos (pooled)** | {total} | "
          + " | ".join(f"**{s.f1:.3f}**" for s in pooled) + " | "
          + " | ".join(f"**{s.cer:.3f}**" for s in pooled) + " |")
    means = [sum(r.scores[c].f1 for r in results) / len(results) for c in columns]
    print("| mean F1 over photos | | " + " | ".join(f"{m:.3f}" for m in means)
          + " |" + " |" * len(columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", help="shared/ directory (default: $VNPLAN_SHARED or ../shared)")
    parser.add_argument(
        "--layout", action="append", default=[], choices=LAYOUTS,
        help="also evaluate vnplan with this layout (beside its default); repeatable",
    )
    args = parser.parse_args(argv)
    photos = shared_dir(args.shared) / "data" / "photos"
    if not photos.is_dir():
        print(f"skipped: real photos not found at {photos}")
        return 0
    pairs = transcribed_photos(photos)
    if not pairs:
        print(f"skipped: none of the photos in {photos} has a truth in {TRUTH_DIR}")
        return 0
    print(f"Real photos with our transcriptions ({len(pairs)} of {photos}): word-F1 and CER")
    print_table(evaluate(pairs, systems(args.layout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
