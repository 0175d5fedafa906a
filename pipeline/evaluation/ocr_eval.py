"""``make eval`` (OCR part): CER of vnplan's OCR against the samples' true page text.

Each rendered sample page ``<name>-pN.png`` has its printed text in ``<name>-pN.gt.txt``. The
table puts the pipeline (with cleanup, and with ``--no-clean``) beside plain ``tesseract -l vie``
run as a separate program on the same page, and pools the errors over all pages at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from pipeline.api import OcrOptions, ocr_document
from pipeline.evaluation.metrics import char_errors

REPO = Path(__file__).resolve().parents[2]
SYSTEMS = {
    "vnplan ocr": OcrOptions(),
    "vnplan ocr --no-clean": OcrOptions(clean=False),
}


def plain_tesseract(page: Path, lang: str = "vie") -> str:
    completed = subprocess.run(
        ["tesseract", str(page), "-", "-l", lang],
        check=True, capture_output=True, text=True,
    )
    return completed.stdout


def evaluate(
    pages: list[Path],
    systems: dict[str, OcrOptions] = SYSTEMS,
    with_plain_tesseract: bool = True,
) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """(page name, {system: (errors, truth length)}) for every page with a .gt.txt truth."""
    rows = []
    for page in pages:
        truth = page.with_suffix(".gt.txt").read_text(encoding="utf-8")
        scores = {
            name: char_errors(ocr_document(page, options).text, truth)
            for name, options in systems.items()
        }
        if with_plain_tesseract:
            scores["tesseract -l vie"] = char_errors(plain_tesseract(page), truth)
        rows.append((page.name, scores))
    return rows


def print_table(rows: list[tuple[str, dict[str, tuple[int, int]]]]) -> None:
    """A Markdown table of CER per page and system, pooled over the pages at the end."""
    columns = list(rows[0][1])
    print("| page | " + " | ".join(f"CER {c}" for c in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    totals = {c: [0, 0] for c in columns}
    for name, scores in rows:
        cells = []
        for column in columns:
            errors, length = scores[column]
            totals[column][0] += errors
            totals[column][1] += length
            cells.append(f"{errors / max(length, 1):.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    pooled = [f"**{e / max(n, 1):.4f}**" for e, n in totals.values()]
    print(f"| all {len(rows)} pages (pooled) | " + " | ".join(pooled) + " |")


def sample_pages(scans: Path) -> list[Path]:
    return sorted(p for p in scans.glob("*.png") if p.with_suffix(".gt.txt").exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scans", nargs="?", type=Path, default=REPO / "samples" / "scans")
    args = parser.parse_args(argv)
    pages = sample_pages(args.scans)
    if not pages:
        print(f"no sample pages with .gt.txt truth in {args.scans}", file=sys.stderr)
        return 1
    print_table(evaluate(pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
