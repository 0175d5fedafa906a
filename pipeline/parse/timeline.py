"""Milestones and deadlines (FIELDS.md `timeline`).

Plans state times in four shapes, each read from the outline rather than from wording:
- an attribute of a task: "Thời gian thực hiện/hoàn thành: …" beside "Đơn vị chủ trì: …"; the
  task is the section it sits in, or the bullet it hangs under;
- a task with its time: "(1) Tổ chức hội nghị: Chậm nhất ngày 10/12/2025";
- a time with its tasks: "Năm 2023: …", "Quý II/2024: …";
- a deadline inside a sentence: "… trước ngày 10/3/2024", "từ năm 2013 đến năm 2015";
and in schedule tables, whose header row says which column holds the time and which the lead.
"""

from __future__ import annotations

import re

from pipeline.parse.models import Milestone
from pipeline.parse.outline import ROMAN_PART, Block
from pipeline.parse.text import collapse, fold

_DM = r"\d{1,2}/\d{1,2}(?:/\d{4})?"
_POINT = (
    rf"(?:ngay\s+)?{_DM}|ngay\s+\d{{1,2}}\s+(?:thang\s+\d{{1,2}}(?:\s+nam\s+\d{{4}})?|hang thang)"
    r"|thang\s+\d{1,2}(?:\s*,\s*\d{1,2})*(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?"
    r"|quy\s+[ivx]+(?:\s*/\s*\d{4}|\s+nam\s+\d{4})?|nam\s+\d{4}"
)
_UNIT = r"(?:ngay|gio|thang|tuan)(?:\s+lam viec)?"
_SPAN = rf"\d+(?:\s*[-–]\s*\d+)?\s+{_UNIT}"
# A time expression at the start of an item, before its colon.
_LEAD = re.compile(
    r"^(?:\d{1,2}\s*[.,)]\s*)?"
    r"((?:truoc|tu|den|cham nhat|trong|dip|dinh ky|hang (?:nam|quy|thang)|nam|thang|quy|dot"
    r"|giai doan|cuoi|dau|giua)\b[^:]{0,90}?):\s*(\S.*)$"
)
_WHEN_WORD = re.compile(r"\d|\b(hang|dinh ky|dip|cuoi|dau|giua)\b")
# A deadline, a span or a recurring date inside a sentence.
_INLINE = re.compile(
    rf"\b(?:(?:thoi gian hoan thanh\s+)?(?:truoc|cham nhat)\s+(?:ngay\s+)?(?:{_POINT})"
    rf"(?:\s+(?:va|den)\s+(?:ngay\s+)?{_DM})?"
    rf"|tu\s+(?:{_POINT})\s+den\s+(?:{_POINT})(?:\s+hang nam)?"
    rf"|(?:xong |hoan thanh )?(?:trong|vao)\s+(?:{_POINT})"
    r"|quy\s+[ivx]+\s*/\s*\d{4}(?:\s*,\s*quy\s+[ivx]+\s*/\s*\d{4})*(?:\s+va thuong xuyen)?"
    r"|(?:theo\s+)?dinh ky\s+(?:ngay\s+\d{1,2}\s+(?:cua|hang)\s+[^,.;]*?(?=\s+cac\b|,|$)"
    r"|\d+\s+thang(?:,\s*\d+\s+thang)*(?:\s+va\s+(?:mot|\d+)\s+nam)?|hang\s+(?:nam|quy|thang))"
    r"|hang nam\s*\((?:truoc|cham nhat)[^)]*\)"
    rf"|(?<=\()\s*ngay\s+{_DM}(?=\s*\))"
    # deadlines counted from an event: "trong thời hạn 10 ngày kể từ …", "trong 24-48 giờ sau
    # khi nước rút", "trước ngày bầu cử 10 ngày"
    rf"|trong\s+(?:vong\s+|thoi han\s+)?{_SPAN}(?:\s+(?:ke tu|sau khi|sau)\b[^,;.]*?"
    r"(?=\s+(?:phai|ban hanh|bao cao|gui|to chuc|hoan thanh|thuc hien)\b|[,;.]|$))?"
    rf"|(?:truoc|sau)\s+(?:ngay|khi)\s+[^\W\d][^,;.\d]{{1,40}}?\s+\d+\s+{_UNIT})"
)
_AGENT = re.compile(
    r"^((?:ubnd|uy ban|phong|ban|so|cac|truong|hoi dong|trung tam|cong chuc|can bo)\b[^;:]*?)"
    r"\s+(?=(?:xay dung|ban hanh|bao cao|to chuc|gui|tong hop|dang ky|phat dong|kiem tra"
    r"|hoan thanh|nop|ra soat|trien khai|thuc hien|tham muu|chu tri)\b)"
)
_TIME_LABEL = re.compile(r"^(?:thoi gian|thoi han)\b")
_TIME_HEADING = re.compile(
    r"^(?:thoi gian|thoi han)(?: (?:thuc hien|hoan thanh|to chuc|trien khai))?$"
)
# Labels that describe a task (who, when, what comes of it) rather than name one.
_ATTRIBUTE = re.compile(
    r"^(?:(?:don vi|co quan|bo phan|nguoi)\b.*\b(?:chu tri|phoi hop|thuc hien|tham muu)"
    r"|chu tri|phoi hop|ket qua|san pham|thoi gian|thoi han|tien do|dia diem"
    r"|nhiem vu|noi dung(?:, bien phap)?|bien phap|co quan thuc hien|don vi thuc hien)\b"
)
_LEAD_BODY = re.compile(r"^(?:(?:don vi|co quan)\b.*\bchu tri\b|chu tri\b)")
# the opening paragraphs that cite the grounds: their dates are the instruments' dates
_CITING = re.compile(r"^(?:can cu|thuc hien|theo de nghi|xet de nghi|tiep theo)\b")
_TIMED = re.compile(r"\d|\b(?:hang (?:nam|quy|thang|tuan|ngay)|dinh ky\s+\S)")


def timeline(body: list[Block]) -> list[Milestone]:
    items: list[Milestone] = []
    seen: set[str] = set()
    header: list[str] | None = None  # the current table's header row
    for index, block in enumerate(body):
        if block.kind == "row":
            if (index == 0 or body[index - 1].kind != "row") and _is_header(block.cells):
                header = block.cells  # a table's first row names its columns
                continue
            found = _row(block.cells, header)
        else:
            header = None
            if block.kind == "heading" or _is_target(block) or (
                not block.path and _CITING.match(fold(block.text))
            ):
                continue
            found = _milestones(body, index)
        for milestone in found:
            key = fold(milestone.when + " " + milestone.what)
            if key not in seen:
                seen.add(key)
                items.append(milestone)
    return items


def _is_target(block: Block) -> bool:
    """A target's year is its deadline (FIELDS.md `targets`), not a milestone of the plan."""
    return bool(re.match(r"chi tieu\b", fold(block.label or block.text))) or any(
        re.search(r"\b(?:muc tieu|chi tieu)\b", fold(h)) for h in block.path[-1:]
    )


def _milestones(body: list[Block], index: int) -> list[Milestone]:
    block = body[index]
    label = fold(block.label or "")
    if block.label and _TIME_LABEL.match(label):
        return _attribute(body, index, block.content or "")
    if index and body[index - 1].kind == "heading" and _TIME_HEADING.match(
        fold(body[index - 1].text)
    ) and body[index - 1].text == (block.path[-1] if block.path else None):
        return _attribute(body, index, block.text)  # "3. Thời gian thực hiện:" / "Từ nay …"
    if block.label and not _LEAD.match(fold(block.text)) and not _ATTRIBUTE.match(label):
        lead = re.match(rf"^(?:{_POINT}|tu\s|truoc\s|cham nhat\s)", fold(block.content or ""))
        if lead:
            when = _time_phrase(block.content or "")
            if when:
                return [Milestone(when, _strip_number(block.label), None)]
    return _sentence_milestones(block)


def _attribute(body: list[Block], index: int, value: str) -> list[Milestone]:
    """"Thời gian …: VALUE": the task is the bullet this line hangs under, else the section it
    sits in; a section that is a whole part (and names no lead) is the time label itself."""
    when = collapse(value).strip(" ,;:.")
    folded = fold(when)
    if not _TIMED.search(folded):
        return []  # "Thường xuyên", "khi có yêu cầu", "theo lộ trình"
    block = body[index]
    if block.number is None:
        # an attribute line of another kind than the line before the attributes (paragraphs
        # under a bullet, bullets under a paragraph) hangs under that line: it is the task
        for j in range(index - 1, -1, -1):
            if body[j].label and _ATTRIBUTE.match(fold(body[j].label)):
                continue
            if body[j].kind in ("heading", block.kind) or body[j].number is not None:
                break
            task = _strip_number(body[j].text)
            return [Milestone(when, collapse(task).rstrip(" .;:"), _lead_body(body, j, index))]
    sections = _enclosing(body, index)
    section = next((h for h in reversed(sections) if not _ATTRIBUTE.match(fold(h.text))), None)
    start = body.index(section) if section is not None else index
    who = _lead_body(body, start, index)
    if section is None or (section.level <= ROMAN_PART and who is None):
        anchor = block.label or (sections[-1].text if sections else "")
    else:
        anchor = section.text
    return [Milestone(when, collapse(anchor).rstrip(" .;:"), who)]


def _enclosing(body: list[Block], index: int) -> list[Block]:
    """The section headings around body[index], outermost first."""
    path = body[index].path
    heads: list[Block] = []
    for j in range(index - 1, -1, -1):
        if body[j].kind == "heading" and len(heads) < len(path) and body[j].text in path and (
            not heads or body[j].level < heads[0].level
        ):
            heads.insert(0, body[j])
    return heads


def _lead_body(body: list[Block], start: int, at: int) -> str | None:
    """The lead body ("Đơn vị chủ trì: …", or a "Cơ quan chủ trì" heading over bullets) of the
    task that starts at body[start]: searched to the end of the task, past the time line at."""
    level = body[start].level
    for j in range(start, len(body)):
        block = body[j]
        if j > start and block.kind == "heading" and block.level <= level and not _ATTRIBUTE.match(
            fold(block.text)
        ):
            break
        if (j > max(start, at) and body[start].kind != "heading"
                and block.kind == body[start].kind and not block.label):
            break  # the next task
        if block.label and _LEAD_BODY.match(fold(block.label)) and block.content:
            return collapse(block.content).rstrip(" .;")
        if block.kind == "heading" and _LEAD_BODY.match(fold(block.text)):
            names = []
            for item in body[j + 1:]:
                if item.kind == "heading" or item.label:
                    break
                names.append(collapse(item.text).rstrip(" .;"))
            if names:
                return "; ".join(names)
    return None


def _time_phrase(text: str) -> str | None:
    """The time at the start of a value, up to a bracket or the end of its clause."""
    cut = re.split(r"\s*[(;]|\.\s", text, maxsplit=1)[0]
    return collapse(cut).strip(" ,.:") or None


def _strip_number(text: str) -> str:
    return re.sub(r"^(?:\(\w{1,2}\)|\w{1,2}(?:\.\d{1,2})*\s*[.)/])\s*", "", text)


def _sentence_milestones(block: Block) -> list[Milestone]:
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
            cut = _clause_cut(text, matches[k - 1].end(), match.start())
            left = cut + 2 if cut >= 0 else matches[k - 1].end()
        if k + 1 < len(matches) and matches[k + 1].start() < right:
            cut = _clause_cut(text, match.end(), matches[k + 1].start())
            if cut < 0:  # the next clause starts in capitals: cut at its comma all the same
                cut = text.rfind(", ", match.end(), matches[k + 1].start())
            right = cut if cut >= 0 else matches[k + 1].start()
        when = re.sub(r"^(?:thời gian hoàn thành|theo)\s+", "", text[match.start():match.end()],
                      flags=re.IGNORECASE)
        if _bracketed(text, match.start(), match.end()):
            # "Triển khai Tháng hành động (từ ngày 15/11 đến ngày 15/12) và …": the phrase
            # before the bracket, back to the clause's start
            opening = text.rfind("(", 0, match.start())
            cuts = [m.end() for m in re.finditer(r", | và |: ", text[left:opening])
                    if not _in_quotes(text[left:opening], m.start())]
            start = left + (cuts[-1] if cuts else 0)
            found.append(_milestone(when, text[start:opening]))
            continue
        before = text[left:match.start()].rstrip(" ,")
        after = text[match.end():right].strip(" ,.")
        if not before.strip():
            found.append(_milestone(when, after, lead_removed=True))
            continue
        before, dropped = _drop_lead_clause(before)
        what = f"{before} {after}".strip() if after else before
        what = re.sub(r"\s*\(\s*\)", "", what)  # "(trong năm 2013)" taken out whole
        found.append(_milestone(when, what, lead_removed=dropped))
    return found


def _in_quotes(text: str, at: int) -> bool:
    return text.count("“", 0, at) > text.count("”", 0, at)


def _bracketed(text: str, start: int, end: int) -> bool:
    """The time phrase is all that stands in its brackets."""
    return text[:start].rstrip().endswith("(") and text[end:].lstrip().startswith(")")


def _clause_cut(text: str, start: int, end: int) -> int:
    """The last ", " in text[start:end] that opens a lower-case clause (a list of names goes
    on in capitals), or -1."""
    cuts = [m.start() for m in re.finditer(r", (?=[a-zà-ỹđ])", text[start:end])]
    return start + cuts[-1] if cuts else -1


MAX_TASK = 600  # characters a task may run on either side of its time: keeps a run-on line linear


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    floor, ceiling = max(0, start - MAX_TASK), min(len(text), end + MAX_TASK)
    left = max(text.rfind(". ", floor, start), text.rfind("; ", floor, start))
    rights = [i for i in (text.find(". ", end, ceiling), text.find("; ", end, ceiling)) if i >= 0]
    return (left + 2 if left >= 0 else floor), (min(rights) if rights else ceiling)


def _drop_lead_clause(text: str) -> tuple[str, bool]:
    """Drop an opening "Căn cứ …, " / "Trên cơ sở …, " clause: the task starts after it."""
    match = re.match(r"^(?:căn cứ|trên cơ sở|để)\b[^,]*(?:,[^,]*?)*?,\s+(?=[A-ZĐÀ-Ỹ])", text,
                     flags=re.IGNORECASE)
    return (text[match.end():], True) if match else (text, False)


def _milestone(when: str, what: str, lead_removed: bool = False) -> Milestone:
    """When the task follows a time phrase or an opening clause, a leading agent is the party
    responsible and the task starts at its verb."""
    when, what = collapse(when).strip(" ,;:"), collapse(what).strip(" ,;:.")
    what = what.rstrip(" /.")
    label = re.match(r"^([^:]{2,40}):\s*", what)
    if label and _ATTRIBUTE.match(fold(label.group(1))):
        what = what[label.end():]  # "Nội dung: Triển khai …": the task after its label
    agent = _AGENT.match(fold(what))
    who = what[:agent.end(1)] if agent else None
    if agent and lead_removed:
        what = what[agent.end():]
    return Milestone(when=when, what=what[:1].upper() + what[1:], who=who)


_HEAD_TIME = re.compile(r"\b(?:thoi gian|thoi han|tien do)\b")
_HEAD_TASK = re.compile(r"\b(?:noi dung|nhiem vu|cong viec|hoat dong|ten)\b")
_HEAD_LEAD = re.compile(r"\bchu tri\b|^(?:co quan|don vi|nguoi)(?: thuc hien)?$")


def _is_header(cells: list[str]) -> bool:
    """A table's header row: it names a time column and holds no dates of its own."""
    folded = [fold(c) for c in cells]
    return any(_HEAD_TIME.search(c) and len(c.split()) <= 6 for c in folded) and not any(
        re.search(r"\d{4}|\d/\d", c) for c in folded
    )


def _row(cells: list[str], header: list[str] | None) -> list[Milestone]:
    """A table row: by its header's columns (time, task, lead) when the row has as many cells;
    else the cell that is a time, the first other cell that is not a row number as the task,
    and the next one (if any) as the party responsible."""
    if header and len(header) == len(cells):
        heads = [fold(h) for h in header]
        time_col = next(i for i, h in enumerate(heads) if _HEAD_TIME.search(h))
        task_col = next((i for i, h in enumerate(heads) if _HEAD_TASK.search(h) and i != time_col),
                        None)
        if task_col is None:
            task_col = next((i for i, c in enumerate(cells)
                             if i != time_col and c and not c.rstrip(".").isdigit()), None)
        lead_col = next((i for i, h in enumerate(heads) if _HEAD_LEAD.search(h)), None)
        when = collapse(cells[time_col])
        if task_col is None or not _TIMED.search(fold(when)):
            return []
        who = collapse(cells[lead_col]) if lead_col is not None and cells[lead_col] else None
        return [Milestone(when, collapse(cells[task_col]), who)]
    cells = [c for c in cells if c]
    for index, cell in enumerate(cells):
        folded = fold(cell)
        if re.match(r"^(?:truoc|tu|nam|thang|quy|dinh ky|hang)\b", folded) and re.search(
            r"\d|hang|quy [ivx]+\b", folded
        ):
            tasks = [i for i, c in enumerate(cells) if i != index and not c.rstrip(".").isdigit()]
            if not tasks:
                return []
            who = next((cells[i] for i in tasks[1:]), None)
            return [Milestone(collapse(cell), collapse(cells[tasks[0]]), who)]
    return []
