"""``parse_plan``: the document's parts (layout) to its fields (FIELDS.md)."""

from __future__ import annotations

from pipeline.parse import closing, header
from pipeline.parse.awards import award_forms
from pipeline.parse.layout import split_document
from pipeline.parse.legal import legal_basis
from pipeline.parse.models import PlanFields, Section
from pipeline.parse.targets import targets
from pipeline.parse.text import collapse
from pipeline.parse.timeline import timeline


def parse_plan(text: str) -> PlanFields:
    """All fields of one plan; what the text does not say stays None or []. Never raises on
    odd text (empty, junk, no header, no signature)."""
    if not text.strip():
        return PlanFields()
    layout = split_document(text)
    number, place, date, issuer_lines = header.cut_header(layout.header)
    title = collapse(" ".join(layout.title)) or None
    body_text = " ".join(block.text for block in layout.body)
    movement, period = header.title_fields(title, body_text)
    signer_name, signer_title = closing.signature(layout.closing)
    return PlanFields(
        doc_type=layout.doc_type or header.doc_type_from(number, body_text),
        doc_number=number,
        issuer=header.issuer_name(issuer_lines),
        place=place,
        date=date,
        title=title,
        movement=movement,
        period=period,
        signer_name=signer_name,
        signer_title=signer_title,
        recipients=closing.recipients(layout.closing),
        legal_basis=legal_basis(layout.body),
        targets=targets(layout.body, period),
        award_forms=award_forms(layout.body),
        timeline=timeline(layout.body),
        sections=[
            Section(block.number, block.text)
            for block in layout.body
            if block.kind == "heading" and block.number
        ],
    )
