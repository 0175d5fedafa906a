"""Plan fields as pandas tables: one row per document in ``plans``, one row per item in the
list tables, every table keyed by ``document_id`` (the input's stem)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.export import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

SCALARS = ["doc_type", "doc_number", "issuer", "place", "date", "title", "movement", "period",
           "signer_name", "signer_title"]
LISTS = {
    "legal_basis": ["doc_type", "number", "date", "issuer", "subject"],
    "targets": ["text", "indicator", "value", "deadline"],
    "award_forms": ["form", "awarded_to", "when"],
    "timeline": ["when", "what", "who"],
    "sections": ["number", "heading"],
    "recipients": ["recipient"],
}


def plan_tables(records: Mapping[str, dict]) -> dict[str, pd.DataFrame]:
    """``plans`` and one table per list field, from FIELDS.md records keyed by document id."""
    # pandas takes 0.3 s to import: a batch's parent needs it only at its end, and its workers,
    # which import what the `vnplan` script imports, never
    import pandas as pd

    plans = pd.DataFrame(
        [{"document_id": doc, **{k: record.get(k) for k in SCALARS}}
         for doc, record in records.items()],
        columns=["document_id", *SCALARS],
    )
    tables = {"plans": plans}
    for name, columns in LISTS.items():
        rows = []
        for doc, record in records.items():
            for position, item in enumerate(record.get(name) or [], start=1):
                values = {"recipient": item} if name == "recipients" else item
                rows.append({"document_id": doc, "position": position,
                             **{c: values.get(c) for c in columns}})
        tables[name] = pd.DataFrame(rows, columns=["document_id", "position", *columns])
    return tables


def _inert(value: object) -> object:
    """A cell a spreadsheet would run as a formula (OCR text or a file name starting with
    "=", "+", "-", "@" or a control character) is written with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_tables(records: Mapping[str, dict], out_dir: Path) -> list[Path]:
    """``<table>.csv`` files, UTF-8 with a BOM so spreadsheet software reads Vietnamese right;
    each written atomically."""
    written = []
    for name, frame in plan_tables(records).items():
        path = out_dir / f"{name}.csv"
        safe = frame.apply(lambda column: column.map(_inert))
        atomic_write_text(path, "\ufeff" + safe.to_csv(index=False))
        written.append(path)
    return written
