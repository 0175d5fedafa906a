"""Where each field came from: the page and lines of the document a value was read from.

The parser works on the document's text, not on its boxes, so each value is found again in the
page lines rather than traced through the parser. Values are compared folded (case, tone marks,
punctuation and blanks ignored, numbers without leading zeros: "ngày 05/3" and "2024-03-05"
share "5 3"), first verbatim, across line breaks too, then approximately (a word the parser
repaired), then word by word within a few neighbouring lines (an issuer written body first,
a signer's authority lines joined by " / ", a date written out).

A value can occur more than once (a recipient also named in the body, "CHỦ TỊCH" in a heading
and above the signature), so each field is looked for where it belongs: list items in the
document's order, each at or after the one before; the issuer in the header, above the type
word; the signer's title just above the signer's name; the type word on a line of its own.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.models import Document


@dataclass(frozen=True)
class Span:
    """Lines of one page a value was read from: ``page`` indexes the document's pages,
    ``lines`` that page's lines (as ``pages[page].lines[line]`` in the JSON)."""

    page: int
    lines: tuple[int, ...]

    def to_record(self) -> dict:
        return {"page": self.page, "lines": list(self.lines)}

    @staticmethod
    def from_record(record: dict) -> Span:
        return Span(int(record["page"]), tuple(int(line) for line in record["lines"]))


# A field's provenance: its spans (or None where it was not found); a list field has one entry
# per item, in the items' order.
Spans = list[Span] | None
Provenance = dict[str, Spans | list[Spans]]

# The keys an item of a list field is found by: the first that has a value, then the others
# near it (a legal instrument's subject may wrap onto the next line, its number not).
ITEM_KEYS = {
    "legal_basis": ("subject", "number", "issuer"),
    "targets": ("text",),
    "award_forms": ("form", "awarded_to", "when"),
    "timeline": ("what", "when", "who"),
}
NEAR = 3  # lines an item's other keys may lie from its first
WINDOW = 8  # lines a value read word by word may spread over
FUZZY_MIN_LENGTH = 10  # shorter values are only taken verbatim or word by word
FUZZY_SCORE = 90.0
WORDS_COVERED = 0.75  # share of a value's words a window must hold to be its source


@dataclass(frozen=True)
class _Hit:
    """Where a value was found: the positions of its lines in reading order."""

    lines: tuple[int, ...]
    whole: bool = False  # the value is the whole of its one line

    @property
    def first(self) -> int:
        return self.lines[0]


class _Lines:
    """The document's lines folded and joined by one blank, with where each begins, so a match
    in the joined text names its lines."""

    def __init__(self, document: Document) -> None:
        self.refs: list[tuple[int, int]] = []  # (page index, line index) by position
        self.folded: list[str] = []
        self.starts: list[int] = []
        offset = 1
        for page_index, page in enumerate(document.pages):
            for line_index, line in enumerate(page.lines):
                folded = "" if line.junk else _fold(line.text)  # junk: not in the parsed text
                if folded:
                    self.refs.append((page_index, line_index))
                    self.folded.append(folded)
                    self.starts.append(offset)
                    offset += len(folded) + 1
        self.text = " " + " ".join(self.folded) + " "
        self.starts.append(len(self.text))  # where a line after the last would begin
        # word -> the lines holding it, in order: a set of words per line took 2 kB a line,
        # 60 MB for an 800-page document
        self.lines_with: dict[str, array] = {}
        for index, line in enumerate(self.folded):
            for word in dict.fromkeys(line.split()):
                self.lines_with.setdefault(word, array("l")).append(index)

    def position(self, offset: int) -> int:
        """The line holding this offset of the joined text."""
        return min(max(bisect.bisect_right(self.starts, offset) - 1, 0), len(self.folded) - 1)

    def hits(self, value: str, start: int = 0, end: int | None = None) -> list[_Hit]:
        """Occurrences within lines ``start`` to ``end`` (excluded): every verbatim one; else
        the closest approximate one; else the smallest windows of lines holding most of its
        words."""
        query = _fold(value)
        end = len(self.folded) if end is None else min(end, len(self.folded))
        if not query or start >= end:
            return []
        found = [hit for hit in self._verbatim(query) if start <= hit.first and hit.lines[-1] < end]
        if found:
            return found
        if len(query) >= FUZZY_MIN_LENGTH:
            hit = self._approximate(query, start, end)
            if hit is not None:
                return [hit]
        return self._by_words(query.split(), start, end)

    def _verbatim(self, query: str) -> Iterator[_Hit]:
        needle = f" {query} "
        offset = self.text.find(needle)
        while offset >= 0:
            first, last = self.position(offset + 1), self.position(offset + len(query))
            yield _Hit(tuple(range(first, last + 1)),
                       first == last and self.folded[first] == query)
            offset = self.text.find(needle, offset + 1)

    def _approximate(self, query: str, start: int, end: int) -> _Hit | None:
        begin = self.starts[start]
        match = fuzz.partial_ratio_alignment(query, self.text[begin:self.starts[end]],
                                             score_cutoff=FUZZY_SCORE)
        if match is None:
            return None
        first = self.position(begin + match.dest_start)
        last = self.position(begin + max(match.dest_end - 1, match.dest_start))
        return _Hit(tuple(range(first, last + 1)))

    def _by_words(self, words: list[str], start: int, end: int) -> list[_Hit]:
        """Windows of up to WINDOW lines holding at least WORDS_COVERED of the value's words,
        the best covered and, among those, the shortest."""
        wanted = set(words)
        if len(wanted) < 2:
            return []
        lines_of = {word: set(self.lines_with.get(word, ())) for word in wanted}

        def words_in(index: int) -> set[str]:
            return {word for word, lines in lines_of.items() if index in lines}

        best: tuple[float, int] = (WORDS_COVERED, -WINDOW - 1)
        hits: list[_Hit] = []
        for first in sorted({i for lines in lines_of.values() for i in lines if start <= i < end}):
            seen: set[str] = set()
            for last in range(first, min(first + WINDOW, end)):
                seen |= words_in(last)
                score = (len(seen) / len(wanted), -(last - first))
                if score > best:
                    best, hits = score, []
                if score == best:
                    hits.append(_Hit(tuple(range(first, last + 1))))
                if len(seen) == len(wanted):
                    break
        return hits

    def spans(self, hit: _Hit | None) -> Spans:
        """The hit's lines grouped by page."""
        if hit is None:
            return None
        spans: list[Span] = []
        for position in hit.lines:
            page, line = self.refs[position]
            if spans and spans[-1].page == page:
                spans[-1] = Span(page, (*spans[-1].lines, line))
            else:
                spans.append(Span(page, (line,)))
        return spans


def field_provenance(document: Document, fields: dict) -> Provenance:
    """For each field of ``fields`` (the record of ``vnplan parse``), the lines of ``document``
    it was read from: spans for a scalar, a list of them for a list field (one per item, in
    order), None where the value is empty or was not found."""
    lines = _Lines(document)
    if not lines.folded:
        return {key: [None] * len(value) if isinstance(value, list) else None
                for key, value in fields.items()}

    def text(key: str) -> str:
        value = fields.get(key)
        return value if isinstance(value, str) else ""

    def find(key: str, **preference: int | bool | None) -> _Hit | None:
        return _pick(lines.hits(text(key)), **preference)

    located: dict[str, _Hit | None] = {
        "doc_type": find("doc_type", whole_line=True),
        "doc_number": find("doc_number"),
        "title": find("title"),
        "date": _date_hit(lines, text("date")),
        "signer_name": find("signer_name", last=True),
    }
    # The header ends where the type word or the title begins: an issuer written body first
    # ("Ban Thường trực" over "Ủy ban MTTQ ...") is read there, not where the body names it.
    header = located["doc_type"] or located["title"]
    located["issuer"] = (_pick(lines.hits(text("issuer"), 0, header.first)) if header else None
                         ) or find("issuer")
    place = text("place")
    located["place"] = (_pick(lines.hits(f"{place} ngày")) or find("place")) if place else None
    title = located["title"]
    for key in ("movement", "period"):  # read from the title
        located[key] = find(key, after=title.first if title else None)
    name = located["signer_name"]
    located["signer_title"] = _union([  # its lines, just above the signer's name
        _pick(lines.hits(part), before=name.first if name else None)
        for part in text("signer_title").split(" / ") if part.strip()
    ])
    provenance: Provenance = {}
    for key, value in fields.items():
        if isinstance(value, list):
            provenance[key] = _list_provenance(lines, key, value)
        elif key in located:
            provenance[key] = lines.spans(located[key])
        else:
            provenance[key] = lines.spans(find(key)) if isinstance(value, str) else None
    return provenance


def _list_provenance(lines: _Lines, key: str, items: list) -> list[Spans]:
    """Items in the document's order: each looked for at or after the one before it."""
    anchor = 0
    if key == "recipients":  # after "Kính gửi:" or "Nơi nhận:", not where the body names them
        heading = _pick([hit for marker in ("kính gửi", "nơi nhận")
                         for hit in lines.hits(marker)])
        anchor = heading.first if heading else 0
    result: list[Spans] = []
    for item in items:
        values = _item_values(key, item)
        hit = _pick(lines.hits(values[0], anchor) or lines.hits(values[0]), after=anchor) \
            if values else None
        if hit is None:
            result.append(None)
            continue
        nearby = max(hit.first - NEAR, 0), hit.lines[-1] + NEAR + 1
        hit = _union([hit, *(_pick(lines.hits(value, *nearby), near=hit.first)
                             for value in values[1:])])
        anchor = hit.first
        result.append(lines.spans(hit))
    return result


def _item_values(key: str, item: object) -> list[str]:
    """What an item is found by: the text of a string item; a record's keys, the first
    present one leading."""
    if isinstance(item, str):
        return [item] if item.strip() else []
    if not isinstance(item, dict):
        return []
    if key == "sections":
        number, heading = item.get("number") or "", item.get("heading") or ""
        return [f"{number} {heading}".strip()] if heading or number else []
    keys = ITEM_KEYS.get(key) or tuple(item)
    return [item[k] for k in keys if isinstance(item.get(k), str) and item[k].strip()]


def _date_hit(lines: _Lines, iso: str) -> _Hit | None:
    """An ISO date as documents write it: "ngày 5 tháng 3 năm 2024", "05/3/2024"."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", iso)
    if match is None:
        return _pick(lines.hits(iso)) if iso else None
    year, month, day = match.groups()
    forms = ([f"ngày {day} tháng {month} năm {year}", f"{day} {month} {year}"] if day
             else [f"tháng {month} năm {year}", f"{month} {year}"])
    for form in forms:
        hit = _pick(lines.hits(form))
        if hit is not None:
            return hit
    return None


def _pick(
    hits: list[_Hit], *, whole_line: bool = False, last: bool = False,
    after: int | None = None, before: int | None = None, near: int | None = None,
) -> _Hit | None:
    """The occurrence that is the field's: the first (or ``last``) one; one on a line of its
    own (``whole_line``); the first at or after line ``after``; the closest at or before line
    ``before``; the closest to ``near``. Falls back to the first when none qualifies."""
    if not hits:
        return None
    hits = sorted(hits, key=lambda hit: hit.first)
    chosen: Iterable[_Hit] = ()
    if whole_line:
        chosen = [hit for hit in hits if hit.whole]
    elif last:
        chosen = hits[-1:]
    elif after is not None:
        chosen = [hit for hit in hits if hit.first >= after]
    elif before is not None:
        chosen = [hit for hit in hits if hit.first <= before][-1:] or [
            min(hits, key=lambda hit: abs(hit.first - before))]
    elif near is not None:
        chosen = [min(hits, key=lambda hit: abs(hit.first - near))]
    return next(iter(chosen), hits[0])


def _union(hits: Iterable[_Hit | None]) -> _Hit | None:
    """The lines of all of them."""
    positions = sorted({line for hit in hits if hit is not None for line in hit.lines})
    return _Hit(tuple(positions)) if positions else None


_NOT_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower case without tone marks (đ as d), words separated by one blank, numbers without
    leading zeros: how a value and the lines it came from are compared."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NOT_WORD.sub(" ", bare).split()
    return " ".join(word.lstrip("0") or "0" if word.isdigit() else word for word in words)
