"""Restoration speed: vnplan against pyvi on the same stripped text.

    python -m pipeline.evaluation.restore_bench [--syllables 200000] [--lm MODEL]

The text is the project's own domain corpus (dictionaries/corpus/*.txt, or the
tests' sentences if it is empty) stripped of its marks and repeated to the
requested size.  Times exclude loading, which is reported on its own.  The ratio is
also given in CPU time, which other processes on a shared machine disturb far less.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from pipeline.evaluation.restore_eval import pyvi_restorer
from pipeline.restore import candidate_index, restore_text, strip_diacritics
from pipeline.restore.build import DEFAULT_MODEL_PATH, DICTIONARIES
from pipeline.restore.lm import LanguageModel

_WORD_RE = re.compile(r"\w+")
_FALLBACK = "Kế hoạch tổ chức thực hiện phong trào thi đua vì người nghèo trên địa bàn xã.\n"


def bench_text(syllables: int) -> str:
    paths = sorted((DICTIONARIES / "corpus").glob("*.txt"))
    base = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths) or _FALLBACK
    base = strip_diacritics(base)
    per_copy = max(len(_WORD_RE.findall(base)), 1)
    return "\n".join([base] * -(-syllables // per_copy))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--syllables", type=int, default=200_000)
    parser.add_argument("--lm", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--no-pyvi", action="store_true", help="skip the pyvi baseline")
    args = parser.parse_args(argv)
    if not args.lm.is_file():
        print(f"restore_bench: no model at {args.lm}; run `vnplan lm build` first")
        return 1

    text = bench_text(args.syllables)
    n = len(_WORD_RE.findall(text))
    start = time.perf_counter()
    lm = LanguageModel.load(args.lm)
    candidate_index(lm)
    load_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    restore_text(text, lm)
    ours, ours_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)
    print(f"text: {n} syllables, {len(text.encode()) / 1e6:.1f} MB")
    print(f"vnplan: model load {load_s:.3f} s, {ours:,.0f} syllables/s")

    pyvi = None if args.no_pyvi else pyvi_restorer()
    if pyvi is None:
        print("pyvi: n/a")
        return 0
    pyvi("khoi dong")  # loads its CRF model
    start, cpu = time.perf_counter(), time.process_time()
    pyvi(text)
    theirs, theirs_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)
    print(f"pyvi:   {theirs:,.0f} syllables/s")
    print(f"speed ratio vnplan/pyvi: {ours / theirs:.2f}x")
    print(f"speed ratio vnplan/pyvi in CPU time: {ours_cpu / theirs_cpu:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
