"""Reading order for the two-column blocks of an administrative document.

A plan's header (issuing body | national motto, place and date) and its closing
(recipients | signature) sit side by side. Tesseract often reads such a block across, one line
from each column at a time. Word boxes show the gutter: a run of lines with one wide gap at the
same place. Each such run is re-emitted as its left column, then its right column
(:func:`reading_order`, on Tesseract's lines).

A text-line detector gives the printed lines themselves, each column's piece apart, in no
order: :func:`order_lines` puts them in reading order for a Decree 30 page (the same column
blocks, a table's rows left to right) and finds the paragraphs Tesseract would have marked.
"""

from __future__ import annotations

import statistics
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


# --- lines from a text-line detector ----------------------------------------------------------

SAME_ROW = 0.5  # two pieces share a row when they overlap by this share of the lower one
BLOCK_END_GAP = 4.0  # line heights of blank page that end a column block
PARAGRAPH_GAP = 0.8  # line heights of blank page that start a paragraph
INDENT_FRACTION = 0.015  # of the page width: a line set in this far starts a paragraph
CENTRED_FRACTION = 0.02  # of the page width: lines centred this closely are one centred block
TABLE_CELLS = 3  # a row of this many pieces split by gutters is a table row, read across


def order_lines(lines: list[Line], page_width: int) -> list[Line]:
    """Detected lines in reading order, paragraphs numbered from 0.

    Pieces of one printed line (split where the detector saw a wide space) are joined
    (:func:`join_pieces`); a row of two pieces far apart seeds a column block, which runs
    down while its lines keep to their side of the gutter, and is read left column then
    right; a row of three or more is a table row, read across. Everything else is read top
    to bottom. Junk lines come last, each a paragraph of its own, so that no seal's debris
    opens a column block.
    """
    junk = sorted((line for line in lines if line.junk), key=lambda line: line.box.top)
    joined = join_pieces([line for line in lines if not line.junk], page_width)
    gutter = GUTTER_FRACTION * page_width
    height = statistics.median([line.box.height for line in joined]) if joined else 1
    runs: list[list[Line]] = [[]]  # lines read top to bottom between the column blocks
    columns: list[list[Line]] = []
    groups: list[list[Line]] = [runs[0]]
    index = 0
    while index < len(joined):
        seed = _seed(joined, index, gutter)
        if seed is None:
            runs[-1].append(joined[index])
            index += 1
            continue
        left, right, index = _detected_columns(joined, index, seed, height, page_width)
        columns += [left, right]
        runs.append([])
        groups += [left, right, runs[-1]]
    groups += [[line] for line in junk]
    return _paragraphs(groups, {id(column) for column in columns}, page_width, height)


def join_pieces(lines: list[Line], page_width: int) -> list[Line]:
    """Detected pieces of one printed line (or of a table row) joined into one line, top to
    bottom; pieces a gutter apart, as a header's two columns, stay apart."""
    rows = _rows(sorted(lines, key=lambda line: (line.box.top, line.box.left)))
    gutter = GUTTER_FRACTION * page_width
    joined = [_join(piece) for row in rows for piece in _gutter_split(row, gutter)]
    return sorted(joined, key=lambda line: (line.box.top, line.box.left))


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows: each overlaps the row's first line vertically and lies beside,
    not under, the others (a seal's tall piece beside two lines must not join them)."""
    rows: list[list[Line]] = []
    for line in lines:
        for row in rows[-3:]:
            if _overlap(row[0].box, line.box) >= SAME_ROW and not any(
                _beneath(other.box, line.box) for other in row
            ):
                row.append(line)
                break
        else:
            rows.append([line])
    return rows


def _beneath(a: Box, b: Box) -> bool:
    """Do the boxes share columns of the page (one above the other, or overlapping)?"""
    return min(a.left + a.width, b.left + b.width) > max(a.left, b.left)


def _overlap(a: Box, b: Box) -> float:
    """Vertical overlap as a share of the lower box's height."""
    shared = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return shared / max(min(a.height, b.height), 1)


def _gutter_split(row: list[Line], gutter: float) -> list[list[Line]]:
    """A row's pieces left to right, in runs that no gutter-wide gap separates; a table row
    (TABLE_CELLS runs or more) is one run, read across."""
    row = sorted(row, key=lambda line: line.box.left)
    runs = [[row[0]]]
    for line in row[1:]:
        previous = runs[-1][-1].box
        if line.box.left - (previous.left + previous.width) >= gutter:
            runs.append([line])
        else:
            runs[-1].append(line)
    return [[line for run in runs for line in run]] if len(runs) >= TABLE_CELLS else runs


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
) -> tuple[list[Line], list[Line], int]:
    """The column block from ``start``: lines that keep to one side of the gap (which narrows
    to let them in, never shut: a header's left column may reach close to the right one) and
    follow their column's alignment, until a line does not (a title centred on the page
    under the header) or the page leaves a wide blank."""
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
            break
        bottom = max(bottom, box.top + box.height)
        index += 1
    return left, right, index


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
