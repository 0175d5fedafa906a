"""Targets and indicators (mục tiêu, chỉ tiêu).

Everything under a heading that names targets counts (one target per bullet); elsewhere a
sentence counts when it is quantified and says it is a target (phấn đấu, chỉ tiêu, tỷ lệ…),
when it commits to a bounded count ("từ 2-3 cơ quan", "ít nhất 02 mô hình"), or when, where
the plan states its aims, it sets a year for reaching a state ("năm 2026 … được công nhận").
Award criteria ("tiêu chuẩn", "đối tượng") and award quotas are quantified too but are not
targets.
"""

from __future__ import annotations

import re

from pipeline.parse.models import Target
from pipeline.parse.outline import Block
from pipeline.parse.text import collapse, fold

_NUM = r"\d+(?:[,.]\d+)?"
_UNITS = (
    r"(?:trieu|ty|ho|nguoi|can|lao dong|tap the|ca nhan|xa|thon|km|m2|ha|lan|co quan|don vi"
    r"|mo hinh|lop|dot|cuoc|buoi)"
)
_QUANTITY = re.compile(
    rf"{_NUM}(?:\s*[-–]\s*{_NUM})?\s*%|\b{_NUM}(?:\s*[-–]\s*{_NUM})?\s+{_UNITS}\b"
)
# A bounded count of things to do ("từ 2-3 cơ quan", "ít nhất 02 mô hình"): a commitment in
# numbers wherever it stands, unless it is an award quota or an award criterion. Not a span of
# time ("trong 3-5 ngày").
_BOUNDED_COUNT = re.compile(
    r"\b((?:tu\s+)?\d{1,3}\s*[-–]\s*\d{1,3}|(?:it nhat|toi thieu)\s+\d{1,3})"
    r"\s+(?!(?:ngay|tuan|thang|quy|nam|gio|phut|den|toi)\b)[^\W\d_]"
)
# A year set for reaching a state: "đến năm 2025, xã … được công nhận đạt chuẩn …".
_GOAL_YEAR = re.compile(
    r"\bnam 20\d\d\b(?!\s*[-–/]\s*\d),?\s+(?:[^\W\d_]+\s+){0,4}?"
    r"(?:duoc cong nhan|dat chuan|dat|ve dich|khong con)\b"
)
_PURPOSE_HEADING = re.compile(r"\b(muc dich|yeu cau)\b")
_AWARD_HEADING = re.compile(r"\bkhen thuong\b")
_VALUE = re.compile(
    rf"(?:(?:tu|tren|duoi|it nhat|toi thieu|vuot(?: tu)?|khong qua|dat)\s+)?{_NUM}"
    rf"(?:\s*[-–]\s*{_NUM})?\s*(?:%|[^\W\d_]+(?:\s[^\W\d_]+){{0,3}}?(?=/|\s+tro len|[,;.]|$))"
    r"(?:/[^\W\d_]+)*(?:\s+tro len)?"
)
# "chương trình mục tiêu quốc gia" names a programme, not a target
_STRONG = re.compile(r"\b(phan dau|chi tieu|muc tieu(?! quoc gia)|ty le)\b")
_SECTION_CUE = re.compile(
    r"\d\s*%|\b(ty le|chi tieu|khong con|dat chuan|tro len|it nhat|binh quan)\b|\d+\s+\w"
)
_TARGET_HEADING = re.compile(r"\b(muc tieu(?! quoc gia)|chi tieu)\b")
_CRITERIA_HEADING = re.compile(r"\b(tieu chuan|doi tuong|ho so|thu tuc)\b")
_INDICATOR = re.compile(
    r"\b(ty le [^,;:]*?)(?=\s+(?:theo|duy tri|giam|tang|dat|duoi|tren|tu|binh quan|vao|den)\b"
    r"|\s+\d|[,;:.]|$)"
)
_YEAR = re.compile(r"\bnam (\d{4})\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ0-9])")


def targets(body: list[Block], period: str | None) -> list[Target]:
    found: list[Target] = []
    for block in body:
        if block.kind not in ("bullet", "para") or not block.path:
            continue
        paths = [fold(h) for h in block.path]
        if _TARGET_HEADING.search(paths[-1]):
            units = [c for c in _clauses(block.text) if _SECTION_CUE.search(fold(c))]
        elif any(_CRITERIA_HEADING.search(p) for p in paths):
            continue
        else:
            in_tree = any(_TARGET_HEADING.search(p) for p in paths)
            purpose = any(_PURPOSE_HEADING.search(p) for p in paths)
            awards = any(_AWARD_HEADING.search(p) for p in paths)
            units = [
                clause
                for sentence in _SENTENCE.split(block.text)
                if _is_target(sentence, in_tree)
                or _is_commitment(sentence, purpose, awards)
                for clause in _clauses(sentence)
            ]
        found.extend(_target(unit, period) for unit in units)
    return found


def _is_target(sentence: str, in_target_tree: bool) -> bool:
    folded = fold(sentence)
    if in_target_tree and (
        ("ty le" in folded and "chi tieu" in folded)
        or re.search(r"\d.*\b(it nhat|toi thieu|tro len)\b|\b(it nhat|toi thieu)\s+\d", folded)
    ):
        return True
    return bool(_QUANTITY.search(folded) and _STRONG.search(folded))


def _is_commitment(sentence: str, in_purpose: bool, in_awards: bool) -> bool:
    """A goal stated without the words "mục tiêu"/"chỉ tiêu": a bounded count of things to do
    outside the award sections, or a year set for reaching a state where the plan states its
    aims (its purpose part, or next to "mục tiêu"/"phấn đấu")."""
    folded = fold(sentence)
    if not in_awards and _BOUNDED_COUNT.search(folded):
        return True
    return bool(_GOAL_YEAR.search(folded) and (in_purpose or _STRONG.search(folded)))


def _clauses(text: str) -> list[str]:
    """A statement, or its ";" clauses when each states a target of its own (a quantity, or
    "không còn …")."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if len(parts) > 1 and all(
        len(p.split()) >= 5 and (_QUANTITY.search(fold(p)) or fold(p).startswith("khong con"))
        for p in parts
    ):
        return parts
    return [text]


def _target(text: str, period: str | None) -> Target:
    folded = fold(text)
    value = _VALUE.search(folded)
    count = None if value else _BOUNDED_COUNT.search(folded)  # "từ 2-3" before a long noun
    span = value.span() if value else count.span(1) if count else None
    indicator = _INDICATOR.search(folded)
    years = _YEAR.findall(folded)
    deadline = years[-1] if years else (period.split("-")[-1] if period else None)
    return Target(
        text=collapse(text),
        indicator=collapse(text[indicator.start(1):indicator.end(1)]) if indicator else None,
        value=collapse(text[span[0]:span[1]]) if span else None,
        deadline=deadline,
    )
