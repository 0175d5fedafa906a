"""``make eval`` (OCR repair): CER/WER of OCR-damaged text before and after repair, and speed.

1. The development document whose English-model OCR has gold lines
   (``../shared/data/gold/002.jsonl``): CER and WER of the raw OCR and of
   ``vnplan restore`` (automatic mode) on the ``kind == "text"`` lines.
2. The rendered sample pages: CER of ``vnplan ocr`` with correction beside ``--no-correct``.
3. Speed: syllables per second of repair, and the time that means for a 300-page document.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pipeline.api import OcrOptions
from pipeline.evaluation.metrics import char_errors, word_errors
from pipeline.evaluation.ocr_eval import evaluate, print_table, sample_pages
from pipeline.restore import load_language_model, restore_text

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
PAGES_PER_DOCUMENT = 300


def _rate(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    ce = cn = we = wn = 0
    for hyp, ref in pairs:
        e, n = char_errors(hyp, ref)
        ce, cn = ce + e, cn + n
        e, n = word_errors(hyp, ref)
        we, wn = we + e, wn + n
    return ce / max(cn, 1), we / max(wn, 1)


def gold_document(gold: Path) -> None:
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line]
    ocr_lines = [row["ocr"] for row in rows]
    lm = load_language_model()
    restore_text("Ke hoach", lm)  # load the channel before timing
    started = time.perf_counter()
    repaired = restore_text("\n".join(ocr_lines), lm).split("\n")
    seconds = time.perf_counter() - started
    text = [i for i, row in enumerate(rows) if row["kind"] == "text"]
    raw = _rate([(ocr_lines[i], rows[i]["gold"]) for i in text])
    fixed = _rate([(repaired[i], rows[i]["gold"]) for i in text])
    syllables = sum(len(line.split()) for line in ocr_lines)
    print(f"## {gold.name}: {len(text)} text lines, {syllables} tokens\n")
    print("| text | CER | WER |\n|---|---:|---:|")
    print(f"| raw OCR | {raw[0]:.4f} | {raw[1]:.4f} |")
    print(f"| vnplan restore | **{fixed[0]:.4f}** | **{fixed[1]:.4f}** |\n")
    rate = syllables / seconds
    print(f"Repair speed (first run, cold caches): {rate:,.0f} syllables/s ({seconds:.2f} s)")
    started = time.perf_counter()
    restore_text("\n".join(ocr_lines), lm)
    warm = syllables / (time.perf_counter() - started)
    print(f"Repair speed (same text again, warm caches): {warm:,.0f} syllables/s")
    per_page = 470  # words on a full sample page at 13 pt: 427-499 in samples/scans
    print(f"A {PAGES_PER_DOCUMENT}-page document ({PAGES_PER_DOCUMENT * per_page:,} syllables) "
          f"at the cold rate: {PAGES_PER_DOCUMENT * per_page / rate:.0f} s of repair\n")


def correction_on_pages(scans: Path) -> None:
    systems = {"vnplan ocr": OcrOptions(), "vnplan ocr --no-correct": OcrOptions(correct=False)}
    print_table(evaluate(sample_pages(scans), systems, with_plain_tesseract=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=SHARED / "gold" / "002.jsonl")
    parser.add_argument("--scans", type=Path, default=REPO / "samples" / "scans")
    parser.add_argument("--skip-scans", action="store_true", help="Only the gold document.")
    args = parser.parse_args(argv)
    if args.gold.exists():
        gold_document(args.gold)
    else:
        print(f"{args.gold} not found: gold-document part skipped", file=sys.stderr)
    if not args.skip_scans:
        correction_on_pages(args.scans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
