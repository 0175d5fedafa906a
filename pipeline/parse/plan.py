"""``parse_plan``: the document's parts (Decree 30 layout) to its fields (FIELDS.md)."""

from __future__ import annotations

import re

from pipeline.parse import closing, header
from pipeline.parse.awards import award_forms
from pipeline.parse.legal import legal_basis
from pipeline.parse.models import PlanFields, Section
from pipeline.parse.parts import split_document
from pipeline.parse.spelling import respell_from_body
from pipeline.parse.targets import targets
from pipeline.parse.text import collapse
from pipeline.parse.timeline import timeline

# marks no title begins or ends with: a seal's or a rule's debris OCR read beside it ("'TRIỂN
# KHAI …", "_TRIỂN KHAI …"); typographic quotes and brackets are kept
_TITLE_DEBRIS = re.compile(r"^[`'_~^*|\\]+\s*|\s*[`'_~^*|\\]+$")

PLAN = "Kế hoạch"


def parse_plan(text: str) -> PlanFields:
    """All fields of one document (a plan, or any other type's header fields); what the text
    does not say stays None or []. Never raises on odd text (empty, junk, no header, no
    signature)."""
    if not text.strip():
        return PlanFields()
    parts = split_document(text)
    number, place, date, issuer_lines = header.cut_header(parts.header)
    body_text = " ".join(block.text for block in parts.body)
    title = respell_from_body(
        _TITLE_DEBRIS.sub("", collapse(" ".join(parts.title))), body_text
    ) or None
    movement, period = header.title_fields(title, body_text)
    doc_type = parts.doc_type or header.doc_type_from(number, body_text)
    if doc_type != PLAN:
        movement = None  # only a plan launches or organises a movement (FIELDS.md)
    signer_name, signer_title = closing.signature(parts.closing)
    whole = parts.body + parts.appendix  # appendices hold schedules, awards and citations too
    return PlanFields(
        doc_type=doc_type,
        doc_number=number,
        issuer=header.issuer_name(issuer_lines),
        place=place,
        date=date,
        title=title,
        movement=movement,
        period=period,
        signer_name=signer_name,
        signer_title=signer_title,
        recipients=parts.addressees + closing.recipients(parts.closing),
        legal_basis=legal_basis(whole, number),
        targets=targets(parts.body, period),
        award_forms=award_forms(whole),
        timeline=timeline(whole),
        sections=[
            Section(block.number, block.text)
            for block in parts.body
            if block.kind == "heading" and block.number
        ],
    )
