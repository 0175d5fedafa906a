"""``--pages``: which pages of each document to process, e.g. ``1-3,7`` or ``2-`` (2 to the end).

Page numbers are 1-based positions in the document, as the outputs number them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"(?P<first>[0-9]+)(?:(?P<dash>-)(?P<last>[0-9]+)?)?")


@dataclass(frozen=True)
class PageSelection:
    ranges: tuple[tuple[int, int | None], ...]  # (first, last) inclusive; last None: to the end

    def numbers(self, count: int) -> list[int]:
        """The selected page numbers of a document of ``count`` pages, in order."""
        return [n for n in range(1, count + 1) if self.selects(n)]

    def selects(self, number: int) -> bool:
        return any(first <= number and (last is None or number <= last)
                   for first, last in self.ranges)

    def __str__(self) -> str:
        """The spec, written the one way settings record it."""
        return ",".join(
            str(first) if last == first else f"{first}-{'' if last is None else last}"
            for first, last in self.ranges
        )


def parse_pages(spec: str) -> PageSelection:
    """Parse ``1-3,7``; ValueError saying what is wrong with a bad spec."""
    ranges = []
    for part in spec.split(","):
        part = part.strip()
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a page number or range (like 1-3,7 or 2-)")
        first = int(match["first"])
        last = int(match["last"]) if match["last"] else None if match["dash"] else first
        if first < 1:
            raise ValueError("pages are numbered from 1")
        if last is not None and last < first:
            raise ValueError(f"{part!r} ends before it starts")
        ranges.append((first, last))
    return PageSelection(tuple(ranges))
