"""Legal basis: every instrument the plan cites.

Two sources (FIELDS.md): the opening "Căn cứ … / Thực hiện …" paragraphs, where laws and
resolutions may be cited by name only, and any instrument cited by its number anywhere in the
body. A citation reads: type [name] [số] NUMBER [ngày DATE] [của ISSUER] [về SUBJECT | verb …].
"""

from __future__ import annotations

import re

from pipeline.parse.dates import NUMERIC, WORDED_TAIL, iso
from pipeline.parse.models import LegalBasis
from pipeline.parse.outline import Block
from pipeline.parse.text import collapse, fold

_TYPES = {
    fold(name): name
    for name in (
        "Hiến pháp", "Bộ luật", "Luật", "Pháp lệnh", "Nghị quyết liên tịch", "Nghị quyết",
        "Nghị định", "Quyết định", "Thông tư liên tịch", "Thông tư", "Chỉ thị", "Kế hoạch",
        "Hướng dẫn", "Công văn", "Văn bản", "Thông báo", "Kết luận", "Chương trình", "Đề án",
        "Quy định", "Quy chế", "Điều lệ", "Công điện", "Tờ trình", "Biên bản", "Báo cáo",
    )
}
_TYPE_RE = "|".join(sorted(map(re.escape, _TYPES), key=len, reverse=True))
# Symbols: 24/2021/QH15, 1705/QĐ-TTg, 09-NQ/TU, 202/KH-UBND (a letter code is required).
_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,5}(?:/\d{4})?[/-](?:[^\W\d_][\w&.]*)(?:[/-](?:\s(?=[A-ZĐ]{2}))?[\w&]+)*)"
)  # "27/NQ- TW" as printed
_TYPE_BEFORE = re.compile(rf"\b({_TYPE_RE})\b(?:(?!\b(?:{_TYPE_RE})\b)[^;])*?\s*$")
_DATE_AFTER = re.compile(rf"^\s*,?\s*(?:ngay\s*)?(?:{NUMERIC}|{WORDED_TAIL})")
_OF = re.compile(r"^\s*,?\s*cua\s+")
_STOP = re.compile(
    r"\s+(?:ve|ban hanh|phe duyet|quy dinh|huong dan|trien khai|thuc hien|to chuc|sua doi"
    r"|tang cuong|day manh)\b|[;,.(]|$"
)
_SUBJECT_END = re.compile(r";|\.(?:\s|$)|\(sau day|\s*,\s*(?:ban|uy ban|ubnd|phong|so)\s|$")
_NAMED = re.compile(r"\b(luat|bo luat|phap lenh|hien phap|nghi quyet)\b\s+(?!so\b)(?=[^\W\d_])")
_CODES = {"QH": "Luật", "NĐ": "Nghị định", "QĐ": "Quyết định", "NQ": "Nghị quyết",
          "TT": "Thông tư", "CT": "Chỉ thị", "KH": "Kế hoạch", "HD": "Hướng dẫn",
          "TTr": "Tờ trình", "BB": "Biên bản", "BC": "Báo cáo", "TB": "Thông báo"}
_ISSUERS = {"CP": "Chính phủ", "TTg": "Thủ tướng Chính phủ"}


def legal_basis(body: list[Block], own_number: str | None = None) -> list[LegalBasis]:
    """Every instrument cited, once each, in its first printed form; the document itself
    ("Kèm theo Quyết định số …" over its appendix) is not one."""
    own = re.sub(r"\s", "", own_number or "").casefold()
    found: dict[str, LegalBasis] = {}
    order: list[LegalBasis] = []
    first_heading = next((i for i, b in enumerate(body) if b.kind == "heading"), len(body))
    for index, block in enumerate(body):
        text = block.text
        folded = fold(text)
        if index < first_heading:
            for item in _named(text, folded):
                key = f"{item.doc_type}|{fold(item.subject or item.issuer or '')}"
                if key in found:
                    _fill(found[key], item)
                else:
                    found[key] = item
                    order.append(item)
        for match in _NUMBER.finditer(text):
            item = _cited(text, folded, match)
            if item is None or (own and re.sub(r"\s", "", item.number or "").casefold() == own):
                continue
            same = found.get(item.number.casefold()) or _same_instrument(order, item)
            if same:
                _fill(same, item)
            else:
                found[item.number.casefold()] = item
                order.append(item)
    return order


def _cited(text: str, folded: str, match: re.Match) -> LegalBasis | None:
    number = match.group(1).rstrip(".")
    before = _TYPE_BEFORE.search(folded[max(0, match.start() - 120):match.start()])
    doc_type = _TYPES[before.group(1)] if before else _type_from_code(number)
    if doc_type is None:
        return None
    rest_at = match.start() + len(number)
    date, rest_at = _date_after(folded, rest_at)
    issuer, rest_at = _issuer_after(text, folded, rest_at)
    issuer = issuer or _issuer_from_code(number)
    subject = _subject_after(text, folded, rest_at)
    return LegalBasis(doc_type, number, date, issuer, subject)


def _named(text: str, folded: str) -> list[LegalBasis]:
    """Laws and resolutions cited by name, without a number ("Căn cứ Luật Thi đua, khen thưởng
    ngày 15/6/2022"; "Nghị quyết Đại hội …")."""
    items = []
    for match in _NAMED.finditer(folded):
        tail = folded[match.end():]
        if (
            not text[match.end()].isupper()
            or re.match(r"[^;.]{0,80}?\bso\s+\d", tail)
            or folded[:match.start()].endswith("cua ")  # a law named inside a subject
            # "Luật số 97/2025/QH15 về sửa đổi … của Luật A, Luật B": inside that citation
            or _NUMBER.search(text[_clause_start(folded, match.start()):match.start()])
        ):
            continue  # cited by number: handled with the numbered ones
        doc_type = _TYPES[match.group(1)]
        end = re.search(r"\s+ngay\b|\s+(?:nhiem ky|de ra|ve)\b|[;.(]|$", tail).start()
        name = collapse(text[match.end():match.end() + end]).rstrip(",")
        date, _ = _date_after(folded, match.end() + end)
        if doc_type == "Nghị quyết":
            items.append(LegalBasis(doc_type, None, date, name or None, None))
        else:
            items.append(LegalBasis(doc_type, None, date, None, name or None))
    return items


def _clause_start(folded: str, at: int) -> int:
    return max(folded.rfind(";", 0, at), folded.rfind(". ", 0, at)) + 1


def _date_after(folded: str, at: int) -> tuple[str | None, int]:
    match = _DATE_AFTER.match(folded[at:])
    if not match:
        return None, at
    groups = [g for g in match.groups() if g is not None]
    return iso(*groups[:3]), at + match.end()


def _issuer_after(text: str, folded: str, at: int) -> tuple[str | None, int]:
    of = _OF.match(folded[at:])
    if not of:
        return None, at
    start = at + of.end()
    stop = _STOP.search(folded, start)
    end = stop.start() if stop else len(text)
    issuer = collapse(text[start:end]).strip(" ,")
    return issuer or None, end


def _subject_after(text: str, folded: str, at: int) -> str | None:
    tail = folded[at:]
    lead = re.match(r"^\s*,?\s*(?:ve\s+(?:viec\s+)?)?", tail)
    start = at + lead.end()
    if not lead.group().strip(" ,") and not re.match(
        r"(ban hanh|phe duyet|quy dinh|huong dan|trien khai|thuc hien|to chuc|sua doi)\b",
        folded[start:],
    ):
        return None
    end = _SUBJECT_END.search(folded, start)
    subject = collapse(text[start:end.start() if end else len(text)]).strip(" ,")
    return subject or None


def _type_from_code(number: str) -> str | None:
    for part in re.split(r"[/-]", number)[1:]:
        code = re.sub(r"\d+$", "", part)
        if code in _CODES:
            return _CODES[code]
    return None


def _issuer_from_code(number: str) -> str | None:
    return _ISSUERS.get(re.split(r"[/-]", number)[-1])


def _same_instrument(items: list[LegalBasis], item: LegalBasis) -> LegalBasis | None:
    """One instrument cited twice with its symbol printed differently: same type, same leading
    number, same date."""
    lead = re.match(r"\d+", item.number or "")
    for other in items:
        if (
            item.date and other.date == item.date and other.doc_type == item.doc_type
            and lead and re.match(r"\d+", other.number or "x")
            and re.match(r"\d+", other.number).group() == lead.group()
        ):
            return other
    return None


def _fill(kept: LegalBasis, other: LegalBasis) -> None:
    for name in ("date", "issuer", "subject"):
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(other, name))
