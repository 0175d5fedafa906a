"""Reading order for the two-column blocks of an administrative document.

A plan's header (issuing body | national motto, place and date) and its closing
(recipients | signature) sit side by side. Tesseract often reads such a block across, one line
from each column at a time. Word boxes show the gutter: a run of lines with one wide gap at the
same place. Each such run is re-emitted as its left column, then its right column.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import Box, Line, Word

GUTTER_FRACTION = 0.04  # a gap this wide (of the page width) cannot be a word space
GUTTER_TOLERANCE = 0.08  # how far the gutter may wander between lines of one block
ALIGN_TOLERANCE = 0.03  # a one-sided line joins a column only when aligned with it this closely


@dataclass
class _Split:
    left: list[Word]
    right: list[Word]
    gutter: float  # x of the gap's middle


def reading_order(lines: list[Line], page_width: int) -> list[Line]:
    """Lines with two-column blocks unfolded; paragraphs renumbered in the new order."""
    ordered: list[Line] = []
    index = 0
    while index < len(lines):
        split = _split(lines[index], page_width)
        if split is None:
            ordered.append(lines[index])
            index += 1
            continue
        left, right, index = _column_block(lines, index, split.gutter, page_width)
        ordered.extend(_as_paragraph(left, -1))
        ordered.extend(_as_paragraph(right, -2))
    return _renumber(ordered)


def _split(line: Line, page_width: int) -> _Split | None:
    words = line.words
    if len(words) < 2:
        return None
    gaps = [
        words[i + 1].box.left - (words[i].box.left + words[i].box.width)
        for i in range(len(words) - 1)
    ]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    if gaps[widest] < GUTTER_FRACTION * page_width:
        return None
    gutter = words[widest].box.left + words[widest].box.width + gaps[widest] / 2
    return _Split(words[: widest + 1], words[widest + 1 :], gutter)


def _column_block(
    lines: list[Line], start: int, gutter: float, page_width: int
) -> tuple[list[list[Word]], list[list[Word]], int]:
    """Collect lines split at this gutter, or lying on one side of it aligned with that column,
    until a line crosses it, or stands apart, or a vertical gap says the block has ended."""
    left: list[list[Word]] = []
    right: list[list[Word]] = []
    tolerance = GUTTER_TOLERANCE * page_width
    align = ALIGN_TOLERANCE * page_width
    bottom = lines[start].box.top
    index = start
    while index < len(lines):
        line = lines[index]
        if line.box.top - bottom > 2.5 * max(line.box.height, 1):
            break
        split = _split(line, page_width)
        if split is not None and abs(split.gutter - gutter) <= tolerance:
            left.append(split.left)
            right.append(split.right)
        elif split is None and line.box.left + line.box.width < gutter and _aligned(
            line.box, left, align
        ):
            left.append(line.words)
        elif split is None and line.box.left > gutter and _aligned(line.box, right, align):
            right.append(line.words)
        else:
            break
        bottom = line.box.top + line.box.height
        index += 1
    return left, right, index


def _aligned(box: Box, column: list[list[Word]], tolerance: float) -> bool:
    """Does the line follow the column's own alignment: left edges (recipient lists) or
    centres (headers, signatures)? A column of one row accepts either."""
    rows = [_bounds(words) for words in column]
    if not rows:
        return False
    lefts = [row.left for row in rows]
    centres = [row.left + row.width / 2 for row in rows]
    by_left = max(lefts) - min(lefts) <= tolerance
    by_centre = max(centres) - min(centres) <= tolerance
    if len(rows) == 1:
        by_left = by_centre = True
    return (by_left and abs(box.left - lefts[-1]) <= tolerance) or (
        by_centre and abs(box.left + box.width / 2 - centres[-1]) <= tolerance
    )


def _as_paragraph(rows: list[list[Word]], paragraph: int) -> list[Line]:
    return [Line(words=words, box=_bounds(words), paragraph=paragraph) for words in rows]


def _bounds(words: list[Word]) -> Box:
    left = min(w.box.left for w in words)
    top = min(w.box.top for w in words)
    right = max(w.box.left + w.box.width for w in words)
    bottom = max(w.box.top + w.box.height for w in words)
    return Box(left, top, right - left, bottom - top)


def _renumber(lines: list[Line]) -> list[Line]:
    """Give every run of equal paragraph ids a fresh id, so a column never merges with the
    text before or after it."""
    previous: int | None = None
    counter = -1
    for line in lines:
        if line.paragraph != previous:
            counter += 1
            previous = line.paragraph
        line.paragraph = counter
    return lines
