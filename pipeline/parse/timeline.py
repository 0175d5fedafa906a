"""Milestones and deadlines: "Năm 2023: …", "Quý II/2024: …", "… trước ngày 10/3/2024",
"Định kỳ ngày 25 của tháng cuối quý …", and rows of a schedule table."""

from __future__ import annotations

import re

from pipeline.parse.models import Milestone
from pipeline.parse.outline import Block
from pipeline.parse.text import collapse, fold

_DM = r"\d{1,2}/\d{1,2}(?:/\d{4})?"
# A time expression at the start of an item, before its colon.
_LEAD = re.compile(
    r"^(?:\d{1,2}\s*[.,)]\s*)?"
    r"((?:truoc|tu|den|cham nhat|trong|dip|dinh ky|hang (?:nam|quy|thang)|nam|thang|quy|dot"
    r"|giai doan|cuoi|dau|giua)\b[^:]{0,90}?):\s*(\S.*)$"
)
_WHEN_WORD = re.compile(r"\d|\b(hang|dinh ky|dip|cuoi|dau|giua)\b")
# A deadline or recurring date inside a sentence.
_INLINE = re.compile(
    rf"\b(?:(?:thoi gian hoan thanh\s+)?(?:truoc|cham nhat)\s+ngay\s+{_DM}"
    rf"(?:\s+(?:va|den)\s+(?:ngay\s+)?{_DM})?"
    rf"|tu\s+ngay\s+{_DM}\s+den\s+(?:ngay\s+)?{_DM}(?:\s+hang nam)?"
    r"|(?:theo\s+)?dinh ky\s+(?:ngay\s+\d{1,2}\s+(?:cua|hang)\s+[^,.;]*?(?=\s+cac\b|,|$)"
    r"|\d+\s+thang(?:,\s*\d+\s+thang)*(?:\s+va\s+(?:mot|\d+)\s+nam)?|hang\s+(?:nam|quy|thang)))"
)
_AGENT = re.compile(
    r"^((?:ubnd|uy ban|phong|ban|so|cac|truong|hoi dong|trung tam|cong chuc|can bo)\b[^;:]*?)"
    r"\s+(?=(?:xay dung|ban hanh|bao cao|to chuc|gui|tong hop|dang ky|phat dong|kiem tra"
    r"|hoan thanh|nop|ra soat|trien khai|thuc hien|tham muu|chu tri)\b)"
)


def timeline(body: list[Block]) -> list[Milestone]:
    items: list[Milestone] = []
    seen: set[str] = set()
    for block in body:
        if block.kind == "heading" or not block.path:
            continue
        for milestone in _milestones(block):
            key = fold(milestone.when + " " + milestone.what)
            if key not in seen:
                seen.add(key)
                items.append(milestone)
    return items


def _milestones(block: Block) -> list[Milestone]:
    if block.kind == "row":
        return _row(block.cells)
    text, folded = block.text, fold(block.text)
    lead = _LEAD.match(folded)
    if lead and _WHEN_WORD.search(lead.group(1)):
        when = text[lead.start(1):lead.end(1)]
        what = text[lead.start(2):]
        return [_milestone(when, what)]
    matches = list(_INLINE.finditer(folded))
    found = []
    for k, match in enumerate(matches):
        left, right = _sentence_bounds(text, match.start(), match.end())
        # two dates in one sentence: each milestone keeps its own side of the comma between
        if k and matches[k - 1].end() > left:
            left = _clause_cut(text, matches[k - 1].end(), match.start()) + 2 or left
        if k + 1 < len(matches) and matches[k + 1].start() < right:
            cut = _clause_cut(text, match.end(), matches[k + 1].start())
            right = cut if cut >= 0 else right
        when = re.sub(r"^(?:thời gian hoàn thành|theo)\s+", "", text[match.start():match.end()],
                      flags=re.IGNORECASE)
        before = text[left:match.start()].rstrip(" ,")
        after = text[match.end():right].strip(" ,.")
        if not before.strip():
            found.append(_milestone(when, after, lead_removed=True))
            continue
        before, dropped = _drop_lead_clause(before)
        what = f"{before} {after}".strip() if after else before
        found.append(_milestone(when, what, lead_removed=dropped))
    return found


def _clause_cut(text: str, start: int, end: int) -> int:
    """The last ", " in text[start:end] that opens a lower-case clause (a list of names goes
    on in capitals), or -1."""
    cuts = [m.start() for m in re.finditer(r", (?=[a-zà-ỹđ])", text[start:end])]
    return start + cuts[-1] if cuts else -1


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(". ", 0, start), text.rfind("; ", 0, start))
    rights = [i for i in (text.find(". ", end), text.find("; ", end)) if i >= 0]
    return (left + 2 if left >= 0 else 0), (min(rights) if rights else len(text))


def _drop_lead_clause(text: str) -> tuple[str, bool]:
    """Drop an opening "Căn cứ …, " / "Trên cơ sở …, " clause: the task starts after it."""
    match = re.match(r"^(?:căn cứ|trên cơ sở|để)\b[^,]*(?:,[^,]*?)*?,\s+(?=[A-ZĐÀ-Ỹ])", text,
                     flags=re.IGNORECASE)
    return (text[match.end():], True) if match else (text, False)


def _milestone(when: str, what: str, lead_removed: bool = False) -> Milestone:
    """When the task follows a time phrase or an opening clause, a leading agent is the party
    responsible and the task starts at its verb."""
    when, what = collapse(when).strip(" ,;:"), collapse(what).strip(" ,;:.")
    what = what.rstrip("/").rstrip(".")
    agent = _AGENT.match(fold(what))
    who = what[:agent.end(1)] if agent else None
    if agent and lead_removed:
        what = what[agent.end():]
    return Milestone(when=when, what=what[:1].upper() + what[1:], who=who)


def _row(cells: list[str]) -> list[Milestone]:
    """A flattened schedule table row: the cell that is a time, the first other cell that is
    not a row number as the task, and the next one (if any) as the party responsible."""
    for index, cell in enumerate(cells):
        folded = fold(cell)
        if re.match(r"^(?:truoc|tu|nam|thang|quy|dinh ky|hang)\b", folded) and re.search(
            r"\d|hang|quy [ivx]+\b", folded
        ):
            tasks = [i for i, c in enumerate(cells) if i != index and not c.isdigit()]
            if not tasks:
                return []
            who = next((cells[i] for i in tasks[1:]), None)
            return [Milestone(collapse(cell), collapse(cells[tasks[0]]), who)]
    return []
