"""Field extraction scored against gold, on documents written for these tests.

Each ``tests/fixtures/documents/NAME.txt`` is an original document (fictional localities, names
and numbers) in the clean-text layout of a Decree 30/2020 administrative document; its
``NAME.fields.json`` is the gold record in the shape and under the rules of FIELDS.md. One test
per (document, field): a scalar field must match exactly after the scorer's normalisation, a list
field must reach F1 >= 0.8 with the scorer's matching (``pipeline.evaluation.fields_eval``).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path

import pytest

from pipeline.evaluation.fields_eval import (
    LIST_KEYS,
    SCALARS,
    field_value,
    greedy_pairs,
    normalise,
    score_document,
    similarity,
)
from pipeline.parse import parse_plan

FIXTURES = Path(__file__).parent / "fixtures" / "documents"
DOCUMENTS = sorted(path.stem for path in FIXTURES.glob("*.txt"))
FIELDS = (*SCALARS, *LIST_KEYS)
LIST_MIN_F1 = 0.8


@functools.cache
def _text(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


@functools.cache
def _gold(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.fields.json").read_text(encoding="utf-8"))


@functools.cache
def _predicted(name: str) -> dict:
    return parse_plan(_text(name)).to_dict()


def _docs_of_type(doc_type: str) -> list[str]:
    return [name for name in DOCUMENTS if _gold(name)["doc_type"] == doc_type]


def _list_report(name: str, field: str, predicted: list, gold: list) -> str:
    """Gold items unmatched (with the closest prediction) and predictions matching no gold item."""
    key = LIST_KEYS[field]
    pred_keys = [key(item) for item in predicted]
    gold_keys = [key(item) for item in gold]
    matched = greedy_pairs(pred_keys, gold_keys)
    lines = []
    for j, g in enumerate(gold_keys):
        if j in matched:
            continue
        best = max(pred_keys, key=lambda p, g=g: similarity(p, g), default=None)
        score = similarity(best, g) if best is not None else 0.0
        lines.append(f"  MISSING gold {g!r}\n          closest predicted ({score:.2f}) {best!r}")
    used = {i for i, _ in matched.values()}
    lines += [f"  EXTRA predicted {p!r}" for i, p in enumerate(pred_keys) if i not in used]
    return (f"{name}: {field}: {len(pred_keys)} predicted, {len(gold_keys)} gold, "
            f"{len(matched)} matched\n" + "\n".join(lines))


def test_fixtures_found():
    assert len(DOCUMENTS) >= 7, f"documents in {FIXTURES}: {DOCUMENTS}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_fixture_is_well_formed(name: str):
    """Gold records have exactly the FIELDS.md keys; text and gold are NFC."""
    gold = _gold(name)
    assert list(gold) == list(FIELDS), f"{name}: keys {list(gold)}"
    assert unicodedata.is_normalized("NFC", _text(name))
    raw = (FIXTURES / f"{name}.fields.json").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)


@pytest.mark.parametrize(
    ("name", "field"),
    [pytest.param(name, field, id=f"{name}:{field}") for name in DOCUMENTS for field in FIELDS],
)
def test_field(name: str, field: str):
    predicted, gold = _predicted(name), _gold(name)
    score = score_document(predicted, gold)[field]
    value = field_value(score)
    if field in LIST_KEYS:
        assert value >= LIST_MIN_F1, (
            f"F1 {value:.2f} < {LIST_MIN_F1} (P {score.precision:.2f}, R {score.recall:.2f})\n"
            + _list_report(name, field, predicted.get(field) or [], gold[field])
        )
    else:
        assert value == 1.0, (
            f"{name}: {field}\n  predicted {predicted.get(field)!r}\n  gold      {gold[field]!r}"
        )


@pytest.mark.parametrize("name", _docs_of_type("Quyết định"))
def test_decision_articles_are_sections_in_order(name: str):
    """Every "Điều N." of a Quyết định is a section, numbered "Điều N", in printed order."""
    article = normalise("Điều")
    expected = [s["number"] for s in _gold(name)["sections"]
                if normalise(s["number"]).startswith(article)]
    assert expected, f"{name}: gold has no Điều sections"
    predicted = [s["number"] for s in _predicted(name)["sections"]
                 if normalise(s["number"]).startswith(article)]
    assert [normalise(n) for n in predicted] == [normalise(n) for n in expected], (
        f"{name}: Điều sections\n  predicted {predicted}\n  gold      {expected}"
    )


def _kinh_gui(text: str) -> list[str]:
    """The "- …" addressee lines right after "Kính gửi:" (or its inline addressee)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Kính gửi:"))
    inline = lines[start].removeprefix("Kính gửi:").strip()
    if inline:
        return [inline.rstrip(";.")]
    addressees = []
    for line in lines[start + 1:]:
        if not line.startswith("- "):
            break
        addressees.append(line[2:].strip().rstrip(";."))
    return addressees


@pytest.mark.parametrize("name", _docs_of_type("Công văn"))
def test_letter_recipients_start_with_addressees(name: str):
    """A Công văn's recipients open with its "Kính gửi:" addressees, one each, in order."""
    addressees = _kinh_gui(_text(name))
    assert len(addressees) > 1, f"{name}: expected several Kính gửi addressees"
    assert _gold(name)["recipients"][: len(addressees)] == addressees  # the gold agrees
    predicted = _predicted(name)["recipients"]
    assert [normalise(r) for r in predicted[: len(addressees)]] == [
        normalise(a) for a in addressees
    ], f"{name}: recipients\n  predicted {predicted}\n  Kính gửi  {addressees}"
