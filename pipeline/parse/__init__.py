"""Structured fields of a Vietnamese administrative plan, from clean, restored or OCR'd text.

    >>> from pipeline.parse import parse_plan
    >>> parse_plan(text).to_dict()["doc_number"]  # doctest: +SKIP
    '27/KH-UBND'
"""

from __future__ import annotations

from pipeline.parse.models import AwardForm, LegalBasis, Milestone, PlanFields, Section, Target
from pipeline.parse.plan import parse_plan

__all__ = [
    "AwardForm", "LegalBasis", "Milestone", "PlanFields", "Section", "Target", "parse_plan",
]
