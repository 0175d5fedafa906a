"""Forms of commendation: named awards (Giấy khen, Bằng khen, Cờ thi đua, Huân chương,
danh hiệu …) with the authority that gives them, and the kinds of commendation a plan sets
out under its own headings ("Khen thưởng hằng năm", "Khen thưởng đối với …")."""

from __future__ import annotations

import re

from pipeline.parse.models import AwardForm
from pipeline.parse.outline import Block
from pipeline.parse.text import collapse, fold

_AWARD = r"(?:giay khen|bang khen|co thi dua|huan chuong|huy chuong|ky niem chuong)"
_AUTHORITY = (
    r"(?:chu tich|thu tuong|bo truong|giam doc|ubnd|uy ban|ban thuong truc|ban chap hanh"
    r"|hoi dong|tinh uy|huyen uy|thanh uy)"
)
_STOP = (
    r"(?=\s+(?:cho|tang|doi voi|de|va cac|ve|nam|khi|theo|de nghi|hoan thien|xet|trinh)\b"
    r"|[,;.:)(|]|$)"
)
_OF = re.compile(rf"\b({_AWARD})(\s+cua\s+{_AUTHORITY}.*?)?{_STOP}")
_GIVES = re.compile(rf"\b({_AUTHORITY}[^,;.]*?)\s+tang\s+({_AWARD})\b")
_TITLE = re.compile(r"\bdanh hieu\s+[“\"]([^”\"]+)[”\"](?:\s*,\s*[“\"][^”\"]+[”\"])*")
_KINDS = re.compile(
    r"\bkhen thuong (hang nam|thuong xuyen|dot xuat|theo dot(?:, chuyen de)?|chuyen de"
    r"|so ket, tong ket|tong ket(?:(?! va )[^,;.:])*)"
    r"|\b((?:so ket|tong ket)(?:, tong ket)?(?: [^,;.]{0,40}?)?) (?:va|,) khen thuong\b"
)
# "Tổng kết phong trào, trình cấp có thẩm quyền xem xét, khen thưởng cho …": commendation at a
# summing-up, with someone to commend (not "tổng kết công tác thi đua, khen thưởng", the work)
_SUMMING_UP = re.compile(
    r"\b((?:so ket|tong ket) (?!va\b)[^,;.:]{1,40}?)(?:,[^.;:]{1,60}?)?,? (?:va )?khen thuong"
    r"(?= (?:cho|doi voi) )"
)
# "Các hình thức khen thưởng gồm: Huân chương Lao động; Bằng khen …; Giấy khen": a list of forms
_LISTED = re.compile(r"\bhinh thuc khen thuong\b[^:]{0,40}:")
_LIST_ITEM = re.compile(rf"^{_AWARD}\b")
_HEADING = re.compile(r"^(khen thuong|bieu duong, khen thuong)\b")
_TO = re.compile(r"\b(?:cho|doi voi)\s+([^;.]+?)(?=\s+(?:co thanh tich|theo|de)\b|[;.]|$)")
_WHEN = re.compile(r"\b(hang nam|cuoi nam|so ket|tong ket|dot xuat|ket thuc [^,;.]+)")


def award_forms(body: list[Block]) -> list[AwardForm]:
    forms: dict[str, AwardForm] = {}
    for block in body:
        text, folded = block.text, fold(block.text)
        if block.kind == "heading":
            if _is_award_heading(block, folded):
                target = re.match(r"^khen thuong doi voi\s+(?:doi voi\s+)?(.+)$", folded)
                awarded_to = text[target.start(1):] if target else None
                _add(forms, text, awarded_to, _when(text, folded))
            if len(text.split()) <= 12:
                continue  # a short heading names a topic; a long one is an item with its text
        when = _when(text, folded)
        # "A đề nghị tặng Bằng khen của B": B gives it, A only proposes
        givers = [g for g in _GIVES.finditer(folded) if not folded.startswith(" cua ", g.end())]
        for match in givers:
            form = f"{text[match.start(2):match.end(2)]} của {_authority(text, match)}"
            _add(forms, form, _to(text, folded, match.end()), when)
        for match in _OF.finditer(folded):
            if match.group(2):
                _add(forms, text[match.start():match.end()], _to(text, folded, match.end()), when)
                continue
            # "… tặng Cờ thi đua cho A và Bằng khen cho B": the giver named once for both
            giver = next((g for g in reversed(givers) if g.end() < match.start()
                          and ";" not in folded[g.end():match.start()]), None)
            if giver:
                form = f"{text[match.start(1):match.end(1)]} của {_authority(text, giver)}"
                _add(forms, form, _to(text, folded, match.end()), when)
        if any(re.search(r"khen thuong", fold(h)) for h in block.path):
            for match in _TITLE.finditer(folded):
                for name in re.findall(r"“[^”]+”|\"[^\"]+\"", text[match.start(1) - 1:match.end()]):
                    _add(forms, f"Danh hiệu {name}", _to(text, folded, match.end()), when)
        listed = _LISTED.search(folded)
        if listed:
            for item in re.split(r"[;,]", text[listed.end():]):
                item = collapse(item).strip(" .")
                if _LIST_ITEM.match(fold(item)) and len(item.split()) <= 12:
                    _add(forms, item, _to(text, folded, listed.end()), when)
        for match in _KINDS.finditer(folded):
            group = 1 if match.group(1) else 2  # "khen thưởng X" or "X và khen thưởng"
            label = text[match.start(group):match.end(group)]
            _add(forms, f"Khen thưởng {label}", _to(text, folded, match.end()), label)
        for match in _SUMMING_UP.finditer(folded):
            label = text[match.start(1):match.end(1)]
            _add(forms, f"Khen thưởng {label[:1].lower()}{label[1:]}",
                 _to(text, folded, match.end()), when)
    return list(forms.values())


def _is_award_heading(block: Block, folded: str) -> bool:
    """"Khen thưởng hằng năm", "Biểu dương, khen thưởng": a kind of commendation; not the
    part heading that only groups them, nor criteria and paperwork."""
    return bool(
        block.level > 1
        and _HEADING.match(folded)
        and len(folded.split()) > 2
        and not re.search(r"tieu chuan|thu tuc|ho so", folded)
    )


def _authority(text: str, giver: re.Match) -> str:
    """The giver: what follows the last "đề nghị"/"trình" of the phrase before "tặng"."""
    phrase = text[giver.start(1):giver.end(1)]
    cut = [m.end() for m in re.finditer(r"(?:^|\s)(?:đề nghị|trình)\s+", phrase, re.IGNORECASE)]
    return phrase[cut[-1]:] if cut else phrase


def _add(forms: dict[str, AwardForm], form: str, awarded_to: str | None, when: str | None):
    form = collapse(form).strip(" ,;:.")
    form = form[:1].upper() + form[1:]
    key = fold(form)
    if key not in forms:
        awarded_to = collapse(awarded_to).strip(" ,;") if awarded_to else None
        forms[key] = AwardForm(form, awarded_to or None, when)


def _to(text: str, folded: str, at: int) -> str | None:
    match = _TO.search(folded, at, min(len(folded), at + 200))
    return text[match.start(1):match.end(1)] if match else None


def _when(text: str, folded: str) -> str | None:
    match = _WHEN.search(folded)
    return text[match.start(1):match.end(1)] if match else None
