"""Archive adaptation: restoration of a genre before and after the model learns the batch.

    python -m pipeline.evaluation.adapt_eval

A batch of a genre the model was built without is simulated by the genre's own correct lines
(as the confident lines of a run would be): the base model is built without the genre, then
adapted (pipeline.restore.adapt) with four lines in five of it, the weight chosen on held-out
lines among those; the fifth line is the test, stripped of its marks and restored by the base
and by the adapted model. Genres: our administrative documents other than plans
(dictionaries/corpus/doc-*) and the VLSP news sentences.
"""

from __future__ import annotations

import sys

from pipeline.evaluation.genre_eval import folds
from pipeline.evaluation.metrics import syllable_accuracy
from pipeline.restore import restore_text, strip_diacritics
from pipeline.restore.adapt import adapt
from pipeline.restore.build import BuildConfig, build_model, dictionary_sources, general_sources

TEST_SHARE = 5  # one line in this many is the test; the others are the batch


def main() -> int:
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
        cut = 1 - (1 - after) / max(1 - before, 1e-9)
        print(f"| {name} | {len(batch)} | {len(test.split())} | {before:.4f} | {after:.4f} | "
              f"{adapted.weight} | {cut:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
