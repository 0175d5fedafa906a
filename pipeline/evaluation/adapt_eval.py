"""Archive adaptation: restoration of a genre before and after the model learns the batch.

    python -m pipeline.evaluation.adapt_eval            # both parts (a few minutes on 2 cores)
    python -m pipeline.evaluation.adapt_eval --part lines
    python -m pipeline.evaluation.adapt_eval --part batch [--work DIR] [--documents N]
        [--level LEVEL]

``lines``: a batch of a genre the model was built without is simulated by the genre's own
correct lines (as the confident lines of a run would be): the base model is built without the
genre, then adapted (pipeline.restore.adapt) with four lines in five of it, the weight chosen on
held-out lines among those; the fifth line is the test, stripped of its marks and restored by
the base and by the adapted model. Genres: our administrative documents other than plans
(dictionaries/corpus/doc-*) and the VLSP news sentences.

``batch``: the real thing, end to end. Our own administrative documents other than plans
(decisions, reports, minutes, official letters: dictionaries/corpus/doc-*) are rendered as
scans (pipeline.synth) and run as one batch twice: corrected with a base model built without
those documents (``--lm``), and with ``--adapt`` on the same base (its dictionaries folder
without them). The table gives the OCR-corrected CER of both against the rendered truth,
Tesseract's own CER beside them, and the adaptation's weight and lines; then the stripped-text
accuracy of the truth restored by the base and by the batch's adapted model (OUT/lm.npz).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pipeline.api import BatchOptions, OcrOptions, available_cores, run_batch, run_documents
from pipeline.batch import ADAPTED_MODEL
from pipeline.evaluation.genre_eval import by_number, folds
from pipeline.evaluation.metrics import char_errors, syllable_accuracy
from pipeline.restore import LanguageModel, restore_text, strip_diacritics
from pipeline.restore.adapt import adapt, base_sources
from pipeline.restore.build import (
    DICTIONARIES,
    BuildConfig,
    build_model,
    dictionary_sources,
    general_sources,
)
from pipeline.synth import LEVELS, write_scans

TEST_SHARE = 5  # one line in this many is the test; the others are the batch
GENRE = "doc-*.txt"  # our administrative documents other than plans
BATCH_DOCUMENTS = 16  # of them, run as the batch: 42 pages, about 15 minutes on 2 cores
SEED = 17  # of the scans' degradation


def lines_part() -> None:
    config = BuildConfig()
    sources = [*general_sources(config), *dictionary_sources(config)]
    print("| genre | batch lines | test syllables | base | adapted | weight | error rate cut |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, leave_out, text in folds():
        if name == "plans":
            continue  # the base model's own genre
        base = [s for s in sources if not leave_out(s)]
        lines = [line for line in text.splitlines() if line.strip()]
        test = "\n".join(lines[::TEST_SHARE])
        batch = [line for n, line in enumerate(lines) if n % TEST_SHARE]
        stripped = strip_diacritics(test)
        before = syllable_accuracy(restore_text(stripped, build_model(base, config),
                                                mode="stripped"), test)
        adapted = adapt(batch, config, base)
        after = syllable_accuracy(restore_text(stripped, adapted.model, mode="stripped"), test)
        print(f"| {name} | {len(batch)} | {len(test.split())} | {before:.4f} | {after:.4f} | "
              f"{adapted.weight} | {_cut(before, after)} |")


def batch_part(work: Path, documents: int, level: str) -> None:
    """Render, run twice, score; ``work`` keeps the scans and both output folders."""
    texts = sorted((DICTIONARIES / "corpus").glob(GENRE), key=by_number)[:documents]
    scans = work / f"scans-{level}-{len(texts)}"
    if not scans.is_dir():
        for text in texts:
            write_scans(text, scans, seed=SEED, level=level)
    dictionaries = _without_genre(work / "dictionaries")
    config = BuildConfig()
    base_path = work / "base.npz"
    base = build_model(base_sources(config, dictionaries), config)
    base.save(base_path)

    runs: dict[str, tuple[Path, float]] = {}
    for name, options, adapting in (
        ("base", OcrOptions(lm=base_path.absolute()), False),
        ("adapted", OcrOptions(), True),
    ):
        out = work / f"out-{name}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.process_time()
        # no PDF and no fields: not scored, and the PDF is the slowest output
        batch = BatchOptions(jobs=available_cores(), output_type="none", parse=False,
                             adapt=adapting, adapt_dictionaries=dictionaries)
        result = run_batch([scans], out, options, batch)
        if result.failures:
            raise SystemExit(f"{name}: {result.failures}")
        for note in result.notes:
            print(f"<!-- {note} -->")
        runs[name] = out, time.process_time() - started

    scores = {name: _scores(out, scans) for name, (out, _) in runs.items()}
    pages = len(list(scans.glob("*.png")))
    print(f"{len(texts)} documents, {pages} pages, level {level}, seed {SEED}\n")
    print("| correction model | CER corrected | CER Tesseract | parent CPU s |")
    print("|---|---:|---:|---:|")
    for name, (corrected, raw) in scores.items():
        print(f"| {name} | {corrected:.4f} | {raw:.4f} | {runs[name][1]:.1f} |")
    before, after = scores["base"][0], scores["adapted"][0]
    print(f"\nCER cut by adaptation: {_cut(1 - before, 1 - after)}\n")

    truth = "\n".join(path.read_text(encoding="utf-8")
                      for path in sorted(scans.glob("*.gt.txt")))
    stripped = strip_diacritics(truth)
    adapted = LanguageModel.load(runs["adapted"][0] / ADAPTED_MODEL)
    accuracy = {name: syllable_accuracy(restore_text(stripped, model, mode="stripped"), truth)
                for name, model in (("base", base), ("adapted", adapted))}
    print("| stripped truth restored by | syllable accuracy |\n|---|---:|")
    for name, value in accuracy.items():
        print(f"| {name} | {value:.4f} |")


def _without_genre(folder: Path) -> Path:
    """A copy of the project's dictionaries without the genre's documents."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(DICTIONARIES, folder, ignore=shutil.ignore_patterns(GENRE))
    return folder


def _scores(out: Path, scans: Path) -> tuple[float, float]:
    """CER of the corrected text and of Tesseract's reading, pooled over every page."""
    corrected = raw = length = 0
    for document in run_documents(out):
        for page in document.pages:
            assert page.source is not None
            truth = page.source.with_suffix(".gt.txt").read_text(encoding="utf-8")
            errors, length_here = char_errors(page.text, truth)
            corrected, length = corrected + errors, length + length_here
            raw += char_errors(page.raw_text, truth)[0]
    return corrected / max(length, 1), raw / max(length, 1)


def _cut(before: float, after: float) -> str:
    """How much of the error (1 - accuracy) the change removes."""
    return f"{1 - (1 - after) / max(1 - before, 1e-9):.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("lines", "batch", "all"), default="all")
    parser.add_argument("--work", type=Path, help="Keep the scans and outputs here.")
    parser.add_argument("--documents", type=int, default=BATCH_DOCUMENTS,
                        help=f"The first N documents (default {BATCH_DOCUMENTS}).")
    parser.add_argument("--level", choices=LEVELS, default="scan",
                        help="How worn the scans look (pipeline.synth).")
    arguments = parser.parse_args()
    if arguments.part in ("lines", "all"):
        lines_part()
        print()
    if arguments.part in ("batch", "all"):
        if arguments.work is not None:
            arguments.work.mkdir(parents=True, exist_ok=True)
            batch_part(arguments.work, arguments.documents, arguments.level)
        else:
            with tempfile.TemporaryDirectory(prefix="adapt-eval-") as work:
                batch_part(Path(work), arguments.documents, arguments.level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
