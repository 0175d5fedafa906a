"""Fields read end to end from a scanned document: our own notice, laid out as Decree 30 prints
it (two-column header, seal over the signature), degraded like a scan, written as a PDF and put
through the real batch (cleanup, Tesseract, correction, parsing)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.batch import BatchOptions, run_batch
from pipeline.evaluation.fields_eval import field_value, score_document
from pipeline.pages import OcrOptions
from pipeline.synth import write_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "documents"
# Fields that must survive the scan exactly: the header, the signature under the seal, and the
# recipients that OCR reads interleaved with the signature column.
EXACT = ("doc_type", "doc_number", "issuer", "place", "date", "signer_name", "signer_title",
         "recipients", "legal_basis")


def test_a_scanned_notice_gives_its_header_signature_and_recipients(tmp_path):
    stem = "tb-ubnd-phuong"
    text = (FIXTURES / f"{stem}.txt").read_text(encoding="utf-8")
    gold = json.loads((FIXTURES / f"{stem}.fields.json").read_text(encoding="utf-8"))
    pdf = write_pdf(text, tmp_path / "in" / f"{stem}.pdf", level="scan", seed=7)

    result = run_batch([pdf.parent], tmp_path / "out", OcrOptions(), BatchOptions(jobs=1))

    assert not result.failures
    fields = json.loads((tmp_path / "out" / f"{stem}.json").read_text(encoding="utf-8"))["fields"]
    scores = score_document(fields, gold)
    wrong = {name: (fields[name], gold[name]) for name in EXACT if field_value(scores[name]) < 1}
    assert not wrong
    assert sum(field_value(s) for s in scores.values()) / len(scores) >= 0.9
