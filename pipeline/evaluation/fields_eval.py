"""Structured-field accuracy of ``vnplan parse``, scored the way FIELDS.md defines it.

    python -m pipeline.evaluation.fields_eval [--shared DIR]

Scalar fields: exact match after normalisation (NFC, case, en/em dash read as "-", whitespace
collapsed, also around dashes, edge ".;:" dropped). List fields: precision, recall and F1 with
greedy matching of each predicted item to the unmatched gold item whose key is most similar
(normalised Indel similarity ≥ 0.8). Macro F1 of a document: the mean over all fields (a scalar
field scores 1 or 0). Documents: our own samples and test documents; the 11 shared plans as
clean text; raw/002 after diacritic restoration when a model is available. Scans of the same
plans are scored by ``fields_scan_eval``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from pipeline.parse import parse_plan
from pipeline.parse.text import tone_last

REPO_ROOT = Path(__file__).resolve().parents[2]
SCALARS = ("doc_type", "doc_number", "issuer", "place", "date", "title", "movement", "period",
           "signer_name", "signer_title")
LIST_KEYS: dict[str, Callable[[object], str]] = {
    "recipients": lambda item: _text(item),
    "legal_basis": lambda item: _text(item.get("number")),
    "targets": lambda item: _text(item.get("text")),
    "award_forms": lambda item: _text(item.get("form")),
    "timeline": lambda item: f"{_text(item.get('when'))} {_text(item.get('what'))}",
    "sections": lambda item: f"{_text(item.get('number'))} {_text(item.get('heading'))}",
}
THRESHOLD = 0.8


def _text(value: object) -> str:
    return "" if value is None else str(value)


def normalise(value: object) -> str:
    text = unicodedata.normalize("NFC", _text(value)).casefold()
    text = tone_last(text)
    text = text.replace("–", "-").replace("—", "-")
    text = " ".join(text.split())
    text = re.sub(r"\s*-\s*", "-", text)
    return text.strip(".;: ")


def similarity(a: str, b: str) -> float:
    a, b = normalise(a), normalise(b)
    if a == b:
        return 1.0
    return fuzz.ratio(a, b) / 100


@dataclass(frozen=True)
class ListScore:
    matched: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else float(not self.gold)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else float(not self.predicted)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def greedy_pairs(predicted: list[str], gold: list[str]) -> dict[int, tuple[int, float]]:
    """gold index -> (predicted index, similarity): the most similar pair first, each item
    used once, pairs under the threshold left out."""
    pairs = sorted(
        ((similarity(p, g), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)),
        reverse=True,
    )
    matched: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < THRESHOLD:
            break
        if i not in used and j not in matched:
            used.add(i)
            matched[j] = (i, score)
    return matched


def match_lists(predicted: list[str], gold: list[str]) -> ListScore:
    return ListScore(len(greedy_pairs(predicted, gold)), len(predicted), len(gold))


def score_document(predicted: dict, gold: dict) -> dict[str, float | ListScore]:
    scores: dict[str, float | ListScore] = {
        name: float(normalise(predicted.get(name)) == normalise(gold.get(name)))
        for name in SCALARS
    }
    for name, key in LIST_KEYS.items():
        scores[name] = match_lists(
            [key(item) for item in predicted.get(name) or []],
            [key(item) for item in gold.get(name) or []],
        )
    return scores


def field_value(score: float | ListScore) -> float:
    return score.f1 if isinstance(score, ListScore) else score


def macro_f1(scores: dict[str, float | ListScore]) -> float:
    return sum(field_value(s) for s in scores.values()) / len(scores)


def shared_dir(cli_value: str | None) -> Path:
    value = cli_value or os.environ.get("VNPLAN_SHARED")
    return Path(value) if value else REPO_ROOT.parent / "shared"


def restored(text: str) -> str | None:
    """``pipeline.restore.restore_text(text)`` when restoration and its models are available."""
    try:
        from pipeline.restore import restore_text
    except ImportError:
        return None
    try:
        return restore_text(text)
    except (OSError, ValueError) as error:  # a model not built yet
        print(f"\nrestoration failed: {error}")
        return None


def report(title: str, results: dict[str, dict[str, float | ListScore]]) -> None:
    """Per-field table (mean over documents; P/R/F1 pooled for list fields), then per document."""
    print(f"\n== {title} ==")
    names = list(SCALARS) + list(LIST_KEYS)
    print(f"{'field':<14} {'P':>6} {'R':>6} {'F1':>6}")
    for name in names:
        values = [scores[name] for scores in results.values()]
        if isinstance(values[0], ListScore):
            pooled = ListScore(*(sum(getattr(v, f) for v in values)
                                 for f in ("matched", "predicted", "gold")))
            mean_f1 = sum(v.f1 for v in values) / len(values)
            print(f"{name:<14} {pooled.precision:6.3f} {pooled.recall:6.3f} {mean_f1:6.3f}")
        else:
            print(f"{name:<14} {'':>6} {'':>6} {sum(values) / len(values):6.3f}")
    print(f"\n{'document':<45} {'scalars':>8} {'lists':>6} {'macroF1':>8}")
    for doc, scores in results.items():
        scalar = sum(scores[n] for n in SCALARS) / len(SCALARS)
        lists = sum(scores[n].f1 for n in LIST_KEYS) / len(LIST_KEYS)
        print(f"{doc:<45} {scalar:8.3f} {lists:6.3f} {macro_f1(scores):8.3f}")
    mean = sum(macro_f1(s) for s in results.values()) / len(results)
    print(f"{'mean':<45} {'':>8} {'':>6} {mean:8.3f}")


def evaluate(pairs: dict[str, tuple[str, dict]]) -> dict[str, dict[str, float | ListScore]]:
    return {
        name: score_document(parse_plan(text).to_dict(), gold)
        for name, (text, gold) in pairs.items()
    }


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def gold_text_002(data: Path) -> str:
    """Plan 002 as printed: the gold of its line-aligned OCR (junk lines left out)."""
    records = [json.loads(line) for line in
               (data / "gold" / "002.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return "\n".join(r["gold"] for r in records if r["kind"] in ("text", "blank"))


def shared_plans(data: Path) -> dict[str, tuple[str, dict]]:
    """The 11 shared plans as clean text with their gold fields: clean/001 and clean/003, 002
    from its line-aligned gold, and every plans/NNN.txt."""
    plans: dict[str, tuple[str, dict]] = {}
    for number in ("001", "003"):
        text, gold = data / "clean" / f"{number}.txt", data / "gold" / f"fields_{number}.json"
        if text.is_file() and gold.is_file():
            plans[f"clean/{number}"] = (text.read_text(encoding="utf-8"), _read_json(gold))
    if (data / "gold" / "002.jsonl").is_file() and (data / "gold" / "fields_002.json").is_file():
        plans["gold/002"] = (gold_text_002(data), _read_json(data / "gold" / "fields_002.json"))
    for text in sorted((data / "plans").glob("*.txt")):
        gold = text.with_name(f"{text.stem}.fields.json")
        if gold.is_file():
            plans[f"plans/{text.stem}"] = (text.read_text(encoding="utf-8"), _read_json(gold))
    return plans


def own_documents() -> dict[str, tuple[str, dict]]:
    """Our own documents with gold fields: samples/ and the test fixtures of every type."""
    folders = (REPO_ROOT / "samples", REPO_ROOT / "tests" / "fixtures" / "documents")
    return {
        f"{folder.name}/{path.stem}": (path.read_text(encoding="utf-8"),
                                       _read_json(path.with_suffix(".fields.json")))
        for folder in folders
        for path in sorted(folder.glob("*.txt"))
        if path.with_suffix(".fields.json").is_file()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", help="shared/ directory (default: $VNPLAN_SHARED or ../shared)")
    args = parser.parse_args(argv)

    own = own_documents()
    if own:
        report("our own documents (samples/, tests/fixtures/documents/)", evaluate(own))

    data = shared_dir(args.shared) / "data"
    if not data.is_dir():
        print(f"\nskipped: shared data not found at {data}")
        return 0
    plans = shared_plans(data)
    if plans:
        report(f"the {len(plans)} shared plans, clean text (target mean >= 0.95, no field < 0.85)",
               evaluate(plans))
    raw, gold = data / "raw" / "002.txt", data / "gold" / "fields_002.json"
    text = restored(raw.read_text(encoding="utf-8")) if raw.is_file() and gold.is_file() else None
    if text is None:
        print("\nskipped: restoration not available")
    else:
        report("shared raw OCR after restoration (target macro F1 >= 0.90)",
               evaluate({"raw/002 restored": (text, _read_json(gold))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
