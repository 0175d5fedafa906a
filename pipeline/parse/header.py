"""Header fields: issuing body, number, place and date, document type, title, movement, period.

The header is two columns (issuer and "Số:" on the left; motto, place and date on the right)
that OCR may read in either order or flatten into shared lines, so each line is cut into the
pieces it holds (motto, number, place-date) and what is left over belongs to the issuer.
"""

from __future__ import annotations

import re

from pipeline.parse import gazetteer
from pipeline.parse.casing import capitalised
from pipeline.parse.dates import iso
from pipeline.parse.parts import DOC_TYPES, motto_spans
from pipeline.parse.text import collapse, fold, is_upper_text

# "Số: 37/KH-UBND"; OCR may drop the colon ("Số 37/KH-UBND") but then a digit or the blank
# of a draft follows at once
_NUMBER = re.compile(
    r"\bs[o6ô0uư]?\s*(?:[:;.]\s*|\s+(?=[\d/]))((?:[\w.-]*\s?/\s?)+[\w.&-]*[\w&])"
)
# The label of the number line, "Số:", which a body's name ("Sở …") never carries
_NUMBER_LABEL = re.compile(r"^\s*s[o6ô0]\s*[:;]")
_SYMBOL = re.compile(r"[A-ZĐ][A-ZĐ\d&.]*(?:-[A-ZĐ\d&.]+)+")  # "KH-UBND", "QĐ-BCĐ"
_PLACE_DATE = re.compile(
    r"(?P<place>[^\W\d_][^,:;]*?)\s*,\s*ngay\b[\s._…]*(?P<d>\d{1,2})?[\s._…]*"
    r"thang[\s._…]*(?P<m>\d{1,2})?[\s._…]*nam\s*(?P<y>\d{4})"
)
_QUOTED = re.compile(r"[“\"«]([^”\"»]{3,}?)[”\"»]")
_PERIOD = re.compile(
    r"(?:giai doan|nhiem ky)\s*(\d{4})\s*[-–—]\s*(\d{4})|(\d{4})\s*[-–—]\s*(\d{4})"
)
_YEAR = re.compile(r"\bnam\s+(\d{4})\b")
_CONTINUES = ("xa ", "phuong ", "thi tran ", "huyen ", "quan ", "thi xa ", "thanh pho ", "tinh ",
              "va ", "& ", "- ", "tp. ", "tp ")
_PARTY_COMMITTEE = re.compile(r"^(?:tinh|huyen|thanh|quan|thi|xa|phuong) uy\b")
# The head word of a body's name: a header line that starts otherwise carries the name above
# it on ("BAN CHỈ ĐẠO QUỐC GIA VỀ TÌM" / "KIẾM, QUY TẬP …").
_BODY_START = re.compile(
    r"^(?:uy ban|ubnd|hdnd|hoi dong|so|phong|ban|bch|trung tam|truong|cong an|chi cuc|cuc"
    r"|tong cuc|bo|vien|hoc vien|dai hoc|hoi|doan|van phong|thanh tra|tram|benh vien|bao hiem"
    r"|kho bac|chi nhanh|ngan hang|lien doan|mat tran|cong ty|hop tac xa|toa an|dai"
    r"|(?:dang|tinh|huyen|thanh|quan|thi|xa|phuong) uy|dang bo|chi bo|chinh phu|thu tuong"
    r"|quoc hoi|btt|bql|ban quan ly|chi hoi|to|ttg|ub)\b"
)
# Symbol codes (Appendix III) for a plan whose type line the scan lost.
_CODES = {"KH": "Kế hoạch", "QĐ": "Quyết định", "NQ": "Nghị quyết", "CT": "Chỉ thị",
          "TB": "Thông báo", "HD": "Hướng dẫn", "CTr": "Chương trình", "BC": "Báo cáo",
          "TTr": "Tờ trình", "PA": "Phương án", "ĐA": "Đề án"}
_LOWER_WORDS = {"ủy", "uỷ", "ban", "nhân", "dân", "phòng", "sở", "trực", "và", "xã",
                "phường", "huyện", "tỉnh", "quận", "thị", "trấn", "thành", "phố", "hội", "đồng"}


def cut_header(lines: list[str]) -> tuple[str | None, str | None, str | None, list[str]]:
    """(number, place, date, issuer lines) from the header block."""
    number = place = date = None
    leftovers: list[str] = []
    for line in lines:
        folded = fold(line)
        spans = motto_spans(folded)
        found = _NUMBER.search(folded)
        found_number = found is not None
        if found and number is None:
            number = re.sub(r"\s*/\s*", "/", line[found.start(1):found.end(1)])
            spans.append(found.span())
        masked = "".join(" " if any(a <= i < b for a, b in spans) else c
                         for i, c in enumerate(folded))
        found = _PLACE_DATE.search(masked)
        if found and date is None:
            printed = line[found.start("place"):found.end("place")]
            place = gazetteer.normalise_place(collapse(printed))
            date = iso(found.group("d"), found.group("m"), found.group("y"))
            spans.append(found.span())
        rest = _remove(line, spans).strip(" -_=—–|")
        label = _NUMBER_LABEL.match(folded)
        if label and not found_number:
            # the number line with no number read: a blank left for hand-filling whose thin
            # "/" OCR lost ("Số: KH-UBND") is the blank number FIELDS.md keeps, "/KH-UBND"
            symbol = _SYMBOL.fullmatch(line[label.end():].strip(" /"))
            if symbol and number is None:
                number = "/" + symbol.group()
            continue  # no body on the number line
        if rest and (is_upper_text(rest) or _issuer_like(rest)):
            leftovers.append(collapse(rest))
    return number, place, date, leftovers


def _issuer_like(text: str) -> bool:
    """A header line in sentence case ("Ủy ban nhân dân" / "xã Cẩm Bình") from a re-typed copy."""
    return len(text.split()) <= 12 and not re.search(r"\d", text) and text[:1].isalpha()


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return collapse(text)


def issuer_name(lines: list[str]) -> str | None:
    """Join the issuer lines into bodies ("ỦY BAN NHÂN DÂN" + "XÃ X" is one body; a new
    "BAN …"/"PHÒNG …" line is the issuing unit under its parent) and write them in sentence
    case, place names the gazetteer's way."""
    bodies: list[str] = []
    for line in lines:
        folded = fold(line) + " "
        continues = folded.startswith(_CONTINUES) and not _PARTY_COMMITTEE.match(folded)
        if bodies and (not _BODY_START.match(folded) or continues
                       or bodies[-1].endswith(("-", "VÀ", "&"))):
            bodies[-1] = f"{bodies[-1]} {line}"  # a wrapped name or its locality
        else:
            bodies.append(line)
    names = [_sentence_case(body) for body in bodies]
    if len(names) < 2:
        return names[0] if names else None
    return _under_parent(names[-1], names[-2])


_PEOPLES_COMMITTEE = re.compile(r"^(?:uy ban nhan dan|ubnd)\s+(\S.*)$")
_AGENCY = re.compile(r"^(?:so|phong|ban|chi cuc|cuc|trung tam|van phong|thanh tra)\b")


def _under_parent(body: str, parent: str) -> str:
    """A body printed under its parent (FIELDS.md): the body, then the parent; an agency of a
    People's Committee is named with the committee's locality only ("Sở Xây dựng tỉnh X")."""
    committee = _PEOPLES_COMMITTEE.match(fold(parent))
    if committee and _AGENCY.match(fold(body)):
        return f"{body} {parent[committee.start(1):]}"
    return f"{body} {parent}"


_PLACE_WORDS = {"xa", "phuong", "huyen", "quan", "tinh", "tran", "pho"}


def _sentence_case(text: str) -> str:
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lowered = word.lower()
        if fold(lowered).rstrip(".") in _PLACE_WORDS and (
            not out or capitalised(words, i) is not True  # "… và Xã hội" is no commune
        ):
            out.append(lowered)
            count = gazetteer.longest_place(words[i + 1:])
            if count:
                out.append(gazetteer.normalise_place(" ".join(words[i + 1:i + 1 + count])))
                i += 1 + count
                continue
        elif _is_acronym(word):
            out.append(word)
        elif not out:
            out.append(word[:1] + lowered[1:])
        elif not word.isupper():
            out.append(word)
        elif (habit := capitalised(words, i)) is False or (
            habit is None and lowered in _LOWER_WORDS
        ):
            out.append(lowered)
        else:
            out.append(word[:1] + lowered[1:])
        i += 1
    return " ".join(out)


def _is_acronym(word: str) -> bool:
    """Upper-case letters that cannot spell a Vietnamese syllable (UBND, MTTQ, HĐND)."""
    letters = fold(word)
    if not word.isupper() or not letters.isalpha():
        return False
    return not re.fullmatch(
        r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?",
        letters,
    )


def doc_type_from(number: str | None, text: str) -> str | None:
    """The type when the type line is missing: from the symbol (…/KH-…), else from how the
    body names itself ("Kế hoạch này")."""
    if number:
        code = re.search(r"/([^\W\d_]+)", number)
        if code and code.group(1) in _CODES:
            return _CODES[code.group(1)]
    named = re.search(r"\b(" + "|".join(DOC_TYPES) + r") nay\b", fold(text))
    return DOC_TYPES[named.group(1)] if named else None


_LAUNCH = re.compile(r"\b(?:phong trao(?: thi dua)?|dot thi dua|cuoc thi dua)\b")
_UNQUOTED_END = re.compile(r"\s+(?:giai doan|nhiem ky|nam \d{4}|tren dia ban)\b.*$")
_DATE_IN_TITLE = re.compile(
    r"\bngay\s+\d{1,2}\s*(?:thang\s+\d{1,2}\s+nam\s+\d{4}|/\s*\d{1,2}\s*/\s*\d{4})"
    r"|\b\d{1,2}/\d{1,2}/\d{4}|\bso\s+\S+/\S+"
)
_OPEN_SPAN = re.compile(r"\b(?:tu nay )?den (?:het )?nam\s+\d{4}")


def title_fields(title: str | None, body: str = "") -> tuple[str | None, str | None]:
    """(movement, period) as named in the title (FIELDS.md).

    The movement is the quoted name that follows "phong trào"/"đợt thi đua"; unquoted, the
    phrase after those words, written as the body quotes it when it does. A campaign month or
    a programme is no movement. The period is the title's span of years; the dates of cited
    documents and open spans ("đến năm 2020") are not periods.
    """
    if not title:
        return None, None
    folded = fold(title)
    return _movement(title, folded, body), _period(folded)


def _movement(title: str, folded: str, body: str) -> str | None:
    launch = _LAUNCH.search(folded)
    if not launch:
        return None
    quoted = _QUOTED.search(title, launch.end())
    if quoted and not folded[launch.end():quoted.start()].strip(" ,:-"):
        return collapse(quoted.group(1))
    if quoted:
        return None
    phrase = _UNQUOTED_END.sub("", folded[launch.end():]).strip(" ,:-")
    if len(phrase.split()) < 2:
        return None
    for match in _QUOTED.finditer(body):
        if fold(collapse(match.group(1))).casefold() == collapse(phrase):
            return collapse(match.group(1))  # the body's casing
    printed = title[launch.end():launch.end() + len(phrase) + 1]
    return collapse(printed).strip(" ,:-")


def _period(folded: str) -> str | None:
    folded = _DATE_IN_TITLE.sub(" ", folded)
    span = _PERIOD.search(folded)
    if span:
        first, last = (g for g in span.groups() if g)
        return f"{first}-{last}"
    folded = _OPEN_SPAN.sub(" ", folded)
    year = _YEAR.search(folded)
    return year.group(1) if year else None
