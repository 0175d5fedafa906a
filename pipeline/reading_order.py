"""Reading order for the two-column blocks of an administrative document.

A plan's header (issuing body | national motto, place and date) and its closing
(recipients | signature) sit side by side. Tesseract often reads such a block across, one line
from each column at a time. Word boxes show the gutter: a run of lines with one wide gap at the
same place. Each such run is re-emitted as its left column, then its right column
(:func:`reading_order`, on Tesseract's lines).

A text-line detector gives the printed lines themselves, each column's piece apart, in no
order: :func:`order_lines` puts them in reading order for a Decree 30 page (the same column
blocks; a table's rows, found by the rules that cross its gutter, its rows of more cells or
its cells side by side row after row, each read left to right) and finds the paragraphs
Tesseract would have marked.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import cv2
import numpy as np

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


# --- lines from a text-line detector ----------------------------------------------------------

SAME_ROW = 0.5  # two pieces share a row when they overlap by this share of the lower one
SIDE_BY_SIDE = 0.2  # see _beneath
BLOCK_END_GAP = 4.0  # line heights of blank page that end a column block
PARAGRAPH_GAP = 0.8  # line heights of blank page that start a paragraph
INDENT_FRACTION = 0.015  # of the page width: a line set in this far starts a paragraph
CENTRED_FRACTION = 0.02  # of the page width: lines centred this closely are one centred block
TABLE_CELLS = 3  # a row of this many pieces split by gutters is a table row, read across
TABLE_ROWS = 3  # an unruled column block of this many rows, cell beside cell, is a table
ROW_TOPS = 0.3  # of a line's height: how closely the tops of one table row's cells agree
COLUMN_GAP = 0.6  # of a line's height: a space this wide, where a column block has its
# gutter, parts two columns that the detector read as one line (a word space is a quarter)
RULE_THICKNESS = 0.01  # of the page width: a horizontal rule is at most this thick
DASHES = "-‐‑–—"  # marks of running text, unlike a rule's or a border's debris


def find_rules(gray: np.ndarray, rows: tuple[int, int] | None = None,
               threshold: float | None = None) -> list[Box]:
    """The page's horizontal rules (a table's row lines, the underlines of a header): thin
    runs of ink at least a gutter long, which no letter makes; the pieces of one rule that a
    grid's vertical rules (or a colour the cleanup took out) break are joined again.

    ``rows`` (top, bottom): look only in that band of the page, for the rules whose middle
    lies in it, found as on the whole page (the ink is the page's, by the page's Otsu
    ``threshold``, which is computed when not given; see :func:`rules_by_band`)."""
    if threshold is None:
        threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    thickest = max(RULE_THICKNESS * gray.shape[1], 3)
    first, last = 0, gray.shape[0]
    if rows is not None:
        # The opening is row by row and the closing reaches 2 rows up and down, so only a shape
        # within 3 rows of the band's edges can come out otherwise than on the whole page; a
        # rule that does is at most ``thickest`` tall, and this margin keeps its middle out.
        margin = math.ceil(thickest) + 8
        first, last = max(rows[0] - margin, 0), min(rows[1] + margin, gray.shape[0])
    _, ink = cv2.threshold(gray[first:last], threshold, 255, cv2.THRESH_BINARY_INV)
    length = max(round(GUTTER_FRACTION * gray.shape[1]), 8) | 1  # odd: centred kernels
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    runs = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, np.ones((3, length // 2 | 1), np.uint8))
    outlines, _ = cv2.findContours(runs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [Box(x, y + first, width, height)
             for x, y, width, height in map(cv2.boundingRect, outlines)]
    found = (box for box in boxes if box.height <= thickest)
    if rows is not None:
        found = (box for box in found if rows[0] <= box.top + box.height / 2 <= rows[1])
    return sorted(found, key=lambda box: box.top)


def rules_by_band(gray: np.ndarray) -> Callable[[int, int], list[Box]]:
    """The page's rules as a call ``(top, bottom)`` that looks for those of that band only
    (:func:`find_rules`), each band once and the page's threshold once: a column block's
    rules cost a tenth of the page's, and a page without one never asks."""
    threshold = cache(lambda: cv2.threshold(
        gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[0])
    return cache(lambda top, bottom: find_rules(gray, (top, bottom), threshold()))


def order_lines(
    lines: list[Line], page_width: int,
    rules: Sequence[Box] | Callable[[int, int], Sequence[Box]] = (),
) -> list[Line]:
    """Detected lines in reading order, paragraphs numbered from 0.

    Pieces of one printed line (split where the detector saw a wide space) are joined
    (:func:`join_pieces`); a row of two pieces far apart seeds a column block, which runs
    down while its lines keep to their side of the gutter, and is read left column then
    right, unless it is a table (:func:`_is_table`: ``rules``, the page's horizontal rules or
    a call that finds those between a top and a bottom (:func:`rules_by_band`), made only for
    the rows of a block that asks, cross its gutter, or its cells stand side by side row
    after row in the body), read row
    by row; a row of three or more is a table row, read across. Everything else is read top
    to bottom. Junk lines come last, each a paragraph of its own, so that no seal's debris
    opens a column block.
    """
    block_rules = _rules_of(rules)
    junk = sorted((line for line in lines if line.junk), key=lambda line: line.box.top)
    joined = join_pieces([line for line in lines if not line.junk], page_width)
    gutter = GUTTER_FRACTION * page_width
    height = statistics.median([line.box.height for line in joined]) if joined else 1
    runs: list[list[Line]] = [[]]  # lines read top to bottom between the column blocks
    columns: list[list[Line]] = []  # groups that are one paragraph each
    groups: list[list[Line]] = [runs[0]]
    index = 0
    while index < len(joined):
        seed = _seed(joined, index, gutter)
        if seed is None:
            runs[-1].append(joined[index])
            index += 1
            continue
        left, right, gap, index = _detected_columns(joined, index, seed, height, page_width)
        above = [line for group in groups for line in group]
        if not _crossed_above(above[:-1], gap):  # the page's header: its first row may be one
            _split_line_above(runs[-1], left, right, gap, page_width)
            above = [line for group in groups for line in group]
        neighbours = [*above[-1:], *joined[index : index + 1]]
        if any(_row_across(line, gap, page_width) for line in neighbours) or _is_table(
            left, right, gap, block_rules(left + right), _crossed_above(above, gap), height
        ):
            block = _table_rows(left, right, gap, block_rules(left + right))
        else:
            block = [left, right]
        columns += block
        runs.append([])
        groups += [*block, runs[-1]]
    groups += [[line] for line in junk]
    return _paragraphs(groups, {id(column) for column in columns}, page_width, height)


def _rules_of(
    rules: Sequence[Box] | Callable[[int, int], Sequence[Box]],
) -> Callable[[list[Line]], Sequence[Box]]:
    """The rules as a call giving those a block's lines span (the only ones
    :func:`_crossing_rules` takes), asked of ``rules`` when it is a call."""
    if not callable(rules):
        return lambda block: rules

    def spanned(block: list[Line]) -> Sequence[Box]:
        if not block:
            return ()
        box = Box.around(line.box for line in block)
        return rules(box.top, box.top + box.height)

    return spanned


def join_pieces(lines: list[Line], page_width: int) -> list[Line]:
    """Detected pieces of one printed line (or of a table row) joined into one line, top to
    bottom; pieces a gutter apart, as a header's two columns, stay apart, and so do the words
    of one detected line that a gutter parts (a table's cells the detector took as one)."""
    gutter = GUTTER_FRACTION * page_width
    pieces = [piece for line in lines for piece in _split_at(line, gutter)]
    rows = _rows(sorted(pieces, key=lambda line: (line.box.top, line.box.left)))
    joined = [_join(piece) for row in rows for piece in _gutter_split(row, gutter)]
    return sorted(joined, key=lambda line: (line.box.top, line.box.left))


def _split_at(line: Line, gutter: float) -> list[Line]:
    """The line in pieces wherever a gutter-wide space parts two of its words."""
    pieces: list[list[Word]] = [[line.words[0]]] if line.words else []
    for word in line.words[1:]:
        previous = pieces[-1][-1].box
        if word.box.left - (previous.left + previous.width) >= gutter:
            pieces.append([word])
        else:
            pieces[-1].append(word)
    if len(pieces) < 2:
        return [line]
    return [Line(words=words, box=_bounds(words), paragraph=line.paragraph, junk=line.junk)
            for words in pieces]


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows: each overlaps the row's first line vertically and lies beside,
    not under, the others (a seal's tall piece beside two lines must not join them)."""
    rows: list[list[Line]] = []
    for line in lines:
        for row in rows[-3:]:
            if _overlap(row[0].box, line.box) >= SAME_ROW and not any(
                _beneath(other, line) for other in row
            ):
                row.append(line)
                break
        else:
            rows.append([line])
    return rows


def _beneath(a: Line, b: Line) -> bool:
    """Do the lines share columns of the page (one above the other, or overlapping)? Two
    pieces of words whose ends touch by a few pixels (a seal parted "(Đã ký)" in two) share
    less than SIDE_BY_SIDE of the narrower one's width: they lie beside each other. A mark
    that touches a word ("ấ" of a seal by "TRƯỞNG BAN") is no piece of its line."""
    shared = min(a.box.left + a.box.width, b.box.left + b.box.width) - max(a.box.left, b.box.left)
    if shared <= 0:
        return False
    return shared > SIDE_BY_SIDE * min(a.box.width, b.box.width) or not (
        _worded(a) and _worded(b)
    )


def _worded(line: Line) -> bool:
    """Has the line a word of two letters or digits (not a mark read as a letter)?"""
    return any(sum(ch.isalnum() for ch in word.text) >= 2 for word in line.words)


def _overlap(a: Box, b: Box) -> float:
    """Vertical overlap as a share of the lower box's height."""
    shared = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return shared / max(min(a.height, b.height), 1)


def _gutter_split(row: list[Line], gutter: float) -> list[list[Line]]:
    """A row's pieces left to right, in runs that no gutter-wide gap separates; a table row
    (TABLE_CELLS runs or more) is one run, read across. A run of junk pieces alone (a seal's
    marks read between the recipients and the signature) is no cell: it stays apart."""
    row = sorted(row, key=lambda line: line.box.left)
    runs = [[row[0]]]
    for line in row[1:]:
        previous = runs[-1][-1].box
        if line.box.left - (previous.left + previous.width) >= gutter:
            runs.append([line])
        else:
            runs[-1].append(line)
    marks = [run for run in runs if all(line.junk for line in run)]
    if len(runs) - len(marks) < TABLE_CELLS:
        return runs
    return [[line for run in runs if run not in marks for line in run], *marks]


def _join(pieces: list[Line]) -> Line:
    if len(pieces) == 1:
        return pieces[0]
    words = [word for piece in pieces for word in piece.words]
    return Line(words=words, box=Box.around(piece.box for piece in pieces),
                paragraph=pieces[0].paragraph)


def _seed(lines: list[Line], index: int, gutter: float) -> tuple[float, float] | None:
    """The gap (left edge, right edge) between this line and one beside it a gutter away."""
    line = lines[index]
    for other in lines[index + 1 : index + 4]:
        if _overlap(line.box, other.box) < SAME_ROW:
            continue
        first, second = sorted((line.box, other.box), key=lambda box: box.left)
        gap = (first.left + first.width, second.left)
        if gap[1] - gap[0] >= gutter:
            return gap
    return None


def _detected_columns(
    lines: list[Line], start: int, gap: tuple[float, float], height: float, page_width: int
) -> tuple[list[Line], list[Line], tuple[float, float], int]:
    """The column block from ``start``: lines that keep to one side of the gap (which narrows
    to let them in, never shut: a header's left column may reach close to the right one) and
    follow their column's alignment, until a line does not (a title centred on the page
    under the header) or the page leaves a wide blank. A line across the gap that a wide
    space parts into the two columns' lines (see :func:`_column_split`) is taken in two.
    Returns the columns, the gap they leave and where the block ends."""
    low, high = gap
    left: list[Line] = []
    right: list[Line] = []
    bottom = lines[start].box.top
    align = ALIGN_TOLERANCE * page_width
    index = start
    while index < len(lines):
        box = lines[index].box
        if box.top - bottom > BLOCK_END_GAP * height:
            break
        fits_left = high - max(low, box.left + box.width) > 0 and _follows(box, left, align)
        fits_right = min(high, box.left) - low > 0 and _follows(box, right, align)
        if fits_left and (not fits_right or box.left + box.width / 2 < (low + high) / 2):
            low = max(low, box.left + box.width)
            left.append(lines[index])
        elif fits_right:
            high = min(high, box.left)
            right.append(lines[index])
        else:
            parts = _column_split(lines[index], left, right, (low, high), page_width)
            if parts is None:
                break
            left.append(parts[0])
            right.append(parts[1])
            low = max(low, parts[0].box.left + parts[0].box.width)
            high = min(high, parts[1].box.left)
        bottom = max(bottom, box.top + box.height)
        index += 1
    return left, right, (low, high), index


def _column_split(
    line: Line, left: list[Line], right: list[Line], gap: tuple[float, float], page_width: int
) -> tuple[Line, Line] | None:
    """The line as (left column's line, right column's line) when a space wider than a word
    space parts it where the block's gutter is and each part follows its column: the first
    row of a header whose two columns nearly touch reads as one line."""
    low, high = gap
    align = ALIGN_TOLERANCE * page_width
    words = line.words
    spaces = [words[k].box.left - words[k - 1].box.left - words[k - 1].box.width
              for k in range(1, len(words))]
    if any(space >= GUTTER_FRACTION * page_width for space in spaces):
        return None  # a table row of more cells, read across (see join_pieces)
    lettered = [k for k, word in enumerate(words) if any(ch.isalnum() or ch in DASHES
                                                           for ch in word.text)]
    for k in range(1, len(words)):
        before = [j for j in lettered if j < k]
        after = [j for j in lettered if j >= k]
        if not before or not after:
            continue
        # a stray mark read in the space ("_", "|"; not a dash of the text) does not narrow it
        end = words[before[-1]].box.left + words[before[-1]].box.width
        if words[after[0]].box.left - end < COLUMN_GAP * line.box.height:
            continue
        first, second = _bounds(words[:k]), _bounds(words[k:])
        if (first.left + first.width < high and second.left > low
                and _follows(first, left, align) and _follows(second, right, align)):
            return (Line(words[:k], first, line.paragraph, line.junk),
                    Line(words[k:], second, line.paragraph, line.junk))
    return None


def _split_line_above(
    above: list[Line], left: list[Line], right: list[Line], gap: tuple[float, float],
    page_width: int,
) -> None:
    """Take into the block, in two, the line just above it when it holds both columns' first
    lines (see :func:`_column_split`): a header's first row, whose columns nearly touch."""
    if not above or not left or not right:
        return
    parts = _column_split(above[-1], left, right, gap, page_width)
    if parts is not None:
        above.pop()
        left.insert(0, parts[0])
        right.insert(0, parts[1])


def _crossed_above(lines: list[Line], gap: tuple[float, float]) -> bool:
    """Does a line above the block run across its gutter: is the block in the body, under
    text set the full width, rather than the page's header?"""
    low, high = gap
    return any(line.box.left < low and line.box.left + line.box.width > high for line in lines)


def _row_across(line: Line, gap: tuple[float, float], page_width: int) -> bool:
    """Is the line a table row of more cells (a gutter-wide space parts its words) whose
    space lies where the block's gutter is: the block is that table's rows with a cell empty
    or two cells close together?"""
    low, high = gap
    for before, after in pairwise(line.words):
        end = before.box.left + before.box.width
        if after.box.left - end >= GUTTER_FRACTION * page_width and end < high and (
            after.box.left > low
        ):
            return True
    return False


def _crossing_rules(rules: Sequence[Box], gap: tuple[float, float], top: float,
                    bottom: float) -> list[float]:
    """Heights (y of the middle) of the rules that run across the gap between ``top`` and
    ``bottom``: a table's row lines; a header's underlines keep to their column."""
    low, high = gap
    return sorted(
        rule.top + rule.height / 2 for rule in rules
        if rule.left <= low and rule.left + rule.width >= high
        and top < rule.top + rule.height / 2 < bottom
    )


def _is_table(left: list[Line], right: list[Line], gap: tuple[float, float],
              rules: Sequence[Box], in_body: bool, height: float) -> bool:
    """Is the column block a table, to be read row by row? Yes when a rule crosses its gutter
    between its lines (a ruled grid); or, in the body, when each of TABLE_ROWS rows or more
    has one cell on each side, tops level (an unruled grid; a closing's signature never
    matches the recipients line for line, as its name stands alone)."""
    if not left or not right:
        return False
    box = Box.around(line.box for line in left + right)
    if _crossing_rules(rules, gap, box.top, box.top + box.height):
        return True
    return in_body and len(left) == len(right) >= TABLE_ROWS and all(
        abs(a.box.top - b.box.top) <= ROW_TOPS * height
        for a, b in zip(left, right, strict=True)
    )


def _table_rows(left: list[Line], right: list[Line], gap: tuple[float, float],
                rules: Sequence[Box]) -> list[list[Line]]:
    """A table block's rows top to bottom, each its left cell's lines then its right cell's:
    rows parted by the rules crossing the gutter when it has them, else each left line opens
    one; a row of one line a side is joined into one line, as a table row of more cells is."""
    box = Box.around(line.box for line in left + right)
    bounds = _crossing_rules(rules, gap, box.top, box.top + box.height) or sorted(
        line.box.top for line in left
    )[1:]
    rows: dict[int, tuple[list[Line], list[Line]]] = {}
    for side, column in enumerate((left, right)):
        for line in column:
            row = bisect.bisect(bounds, line.box.top + line.box.height / 2)
            rows.setdefault(row, ([], []))[side].append(line)
    ordered = []
    for row in sorted(rows):
        cells_left, cells_right = rows[row]
        if len(cells_left) == 1 and len(cells_right) == 1:
            ordered.append([_join([cells_left[0], cells_right[0]])])
        else:
            ordered.append(cells_left + cells_right)
    return ordered


def _follows(box: Box, column: list[Line], tolerance: float) -> bool:
    """May the line join the column: is it the first, or aligned with it (see _aligned)?"""
    return not column or _aligned(box, [line.words for line in column], tolerance)


def _paragraphs(
    groups: list[list[Line]], columns: set[int], page_width: int, height: float
) -> list[Line]:
    """Number paragraphs: a column is one (as :func:`reading_order` makes it); in a run
    between columns a line after a wide blank or set in from the run's left edge starts one,
    unless it is centred on the line before (a title over two lines)."""
    ordered: list[Line] = []
    paragraph = -1
    for group in groups:
        flush = min((line.box.left for line in group), default=0)
        for position, line in enumerate(group):
            paragraph += position == 0 or (id(group) not in columns and _starts_paragraph(
                group[position - 1].box, line.box, flush, page_width, height
            ))
            line.paragraph = paragraph
            ordered.append(line)
    return ordered


def _starts_paragraph(
    previous: Box, box: Box, flush: float, page_width: int, height: float
) -> bool:
    if box.top - (previous.top + previous.height) > PARAGRAPH_GAP * height:
        return True
    indent = INDENT_FRACTION * page_width
    centred = abs(box.left + box.width / 2 - previous.left - previous.width / 2) <= (
        CENTRED_FRACTION * page_width
    )
    if centred and max(previous.left, box.left) - flush >= indent:
        return False  # centred lines: a title over two lines, a header column, a signature
    return box.left - flush >= indent
