"""Syllable accuracy of diacritic restoration on the shared development documents.

    python -m pipeline.evaluation.restore_eval [--shared DIR] [--lm MODEL] [--errors N]

Each document (shared/data/clean/*.txt and the gold lines of gold/002.jsonl with
kind == "text") is stripped of its marks, restored by vnplan and by pyvi's
ViUtils.add_accents, and scored as 1 − WER over lower-cased \\w+ tokens
(Levenshtein over token sequences).  shared/ is read for measurement only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.restore import (
    ModelMissingError,
    load_language_model,
    restore_text,
    strip_diacritics,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Score:
    errors: int
    words: int

    @property
    def accuracy(self) -> float:
        return 1.0 - self.errors / self.words if self.words else 1.0


def words(text: str) -> list[str]:
    return _WORD_RE.findall(unicodedata.normalize("NFC", text).lower())


def score(gold: str, hypothesis: str) -> Score:
    ref = words(gold)
    return Score(Levenshtein.distance(ref, words(hypothesis)), len(ref))


def shared_dir(cli_value: str | None) -> Path:
    value = cli_value or os.environ.get("VNPLAN_SHARED")
    return Path(value) if value else REPO_ROOT.parent / "shared"


def load_documents(shared: Path) -> dict[str, str]:
    """Name → gold text of every evaluation document found under shared/data."""
    data = shared / "data"
    docs = {
        f"clean/{p.name}": p.read_text(encoding="utf-8") for p in sorted(data.glob("clean/*.txt"))
    }
    for path in sorted(data.glob("gold/*.jsonl")):
        text = path.read_text(encoding="utf-8")
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        docs[f"gold/{path.name}"] = "\n".join(r["gold"] for r in lines if r.get("kind") == "text")
    return docs


def pyvi_restorer() -> Callable[[str], str] | None:
    """pyvi's add_accents line by line (it raises on some inputs: keep those lines)."""
    try:
        from pyvi import ViUtils
    except ImportError:
        return None

    def run(text: str) -> str:
        out = []
        for line in text.split("\n"):
            try:
                out.append(str(ViUtils.add_accents(line)))
            except (KeyError, IndexError, ValueError):
                out.append(line)
        return "\n".join(out)

    return run


def confusions(gold: str, hypothesis: str) -> Counter[tuple[str, str]]:
    """(gold, restored) word pairs that differ, for same-length token sequences."""
    ref, hyp = words(gold), words(hypothesis)
    if len(ref) != len(hyp):
        return Counter()
    return Counter((r, h) for r, h in zip(ref, hyp, strict=True) if r != h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", help="shared/ directory (default: $VNPLAN_SHARED or ../shared)")
    parser.add_argument("--lm", type=Path, help="syllable LM (default: the built one)")
    parser.add_argument("--errors", type=int, default=0, help="print the N commonest confusions")
    parser.add_argument("--no-pyvi", action="store_true", help="skip the pyvi baseline")
    args = parser.parse_args(argv)

    shared = shared_dir(args.shared)
    docs = load_documents(shared) if (shared / "data").is_dir() else {}
    if not docs:
        print(f"restore_eval: no evaluation data under {shared}/data; skipped")
        return 0
    try:
        lm = load_language_model(args.lm)
    except ModelMissingError as error:
        print(f"restore_eval: {error}")
        return 1
    pyvi = None if args.no_pyvi else pyvi_restorer()

    totals = {"vnplan": [0, 0], "pyvi": [0, 0]}
    wrong: Counter[tuple[str, str]] = Counter()
    print(f"{'document':<22} {'words':>6} {'vnplan':>8} {'pyvi':>8}")
    for name, gold in docs.items():
        stripped = strip_diacritics(gold)
        ours = restore_text(stripped, lm)
        s = score(gold, ours)
        wrong.update(confusions(gold, ours))
        totals["vnplan"][0] += s.errors
        totals["vnplan"][1] += s.words
        theirs = "n/a"
        if pyvi is not None:
            p = score(gold, pyvi(stripped))
            totals["pyvi"][0] += p.errors
            totals["pyvi"][1] += p.words
            theirs = f"{p.accuracy:8.2%}"
        print(f"{name:<22} {s.words:>6} {s.accuracy:>8.2%} {theirs:>8}")
    overall = Score(*totals["vnplan"])
    base = f"{Score(*totals['pyvi']).accuracy:8.2%}" if pyvi is not None else "n/a"
    print(f"{'overall':<22} {overall.words:>6} {overall.accuracy:>8.2%} {base:>8}")
    for (ref, hyp), count in wrong.most_common(args.errors):
        print(f"  {count:3d}  {ref} -> {hyp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
