"""Text lines found by a neural detector, before Tesseract reads them one at a time; and which
of the lines read are not text at all (seals, signatures, specks).

Tesseract's own layout analysis drops or scrambles text on stamped, skewed and photocopied
pages (a seal over a signature block makes it file the block as a picture). The detector is
TrueOCR's ``det.onnx`` (Apache-2.0), which ships inside the ``trueocr`` wheel, runs on
onnxruntime on the CPU and takes about 0.04 s per A4 page: nothing is downloaded at run time.
It was picked over RapidOCR's PP-OCR detector, which found the same lines at 1.4-5 s per page
and needs ``opencv-python``, a second OpenCV beside ``opencv-python-headless``.

Only the detection network and its output decoding are used; the session is made once per
process, held to one thread so that N batch workers use N cores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import cv2
import numpy as np

from pipeline.errors import MissingDependencyError
from pipeline.models import Box, Line
from pipeline.preprocess import connected_components, shrink
from pipeline.restore.syllable import is_valid_syllable

DETECTOR_PACKAGE = "trueocr"
DETECTOR_MODEL = "models/det.onnx"
LONG_SIDE = 1024  # px: the detector's input for a page (its model card's det_long_side)
# Small text: when the median line is under MIN_LINE_HEIGHT detector pixels, detect again at
# the scale that makes it TARGET_LINE_HEIGHT (at most MAX_LONG_SIDE), as TrueOCR itself does.
MIN_LINE_HEIGHT = 9.0
TARGET_LINE_HEIGHT = 12.0
MAX_LONG_SIDE = 2048


@dataclass(frozen=True)
class LineRegion:
    """One text line: an upright box in the pixels of the image given to the detector."""

    box: Box
    score: float  # the detector's mean line probability, 0-1


def detect_lines(gray: np.ndarray, marks: InkMarks | None = None) -> list[LineRegion]:
    """The text lines of a grey page (ink dark on light paper), top to bottom.

    A seal pressed over a signature block hides its lines from the pass over the whole page,
    or breaks them into doubtful pieces: each block of letter-sized ink that no line holds,
    or that holds doubtful lines, is searched again on its own, in its darkest ink and at a
    larger scale, where the lines stand out from the seal's rings, and what that finds
    replaces the pieces. ``marks`` is the page's :func:`ink_marks`, when the caller has it.
    """
    if gray.ndim == 3:  # a page not cleaned (--no-clean) may be in colour
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    regions = _detect(gray, LONG_SIDE)
    if regions:
        height = float(np.median([region.box.height for region in regions]))
        marks = ink_marks(gray) if marks is None else marks
        for block in _doubtful_blocks(gray.shape, marks, regions, height):
            crop = ink_only(
                gray[block.top : block.top + block.height, block.left : block.left + block.width]
            )
            long_side = min(LONG_SIDE, -(-max(crop.shape) // 32) * 32)
            found = [
                LineRegion(Box(r.box.left + block.left, r.box.top + block.top,
                               r.box.width, r.box.height), r.score)
                for r in _detect(crop, long_side)
            ]
            if found:
                regions = [region for region in regions if not _centred_in(region.box, block)]
                regions += found
    regions = [region for region in regions if not _inside(region.box, regions, exclude=region)]
    regions.sort(key=lambda region: (region.box.top, region.box.left))
    return regions


INK_CUT = 0.4  # ink_only's cut, of the way from the image's ink to its paper


def ink_only(gray: np.ndarray) -> np.ndarray:
    """The image in black and white, cut nearer its ink than its paper: a grey seal, a pencil
    stroke or a stain is lighter than printed letters, and goes."""
    ink, paper = np.percentile(gray, (2, 98))
    return np.where(gray < ink + INK_CUT * (paper - ink), 0, 255).astype(np.uint8)


def _centred_in(box: Box, block: Box) -> bool:
    x, y = box.left + box.width / 2, box.top + box.height / 2
    return block.left <= x < block.left + block.width and block.top <= y < block.top + block.height


def _detect(gray: np.ndarray, long_side: int) -> list[LineRegion]:
    """One pass of the detector over the image scaled to ``long_side``."""
    session = _session()
    from trueocr.page import decode_lines, det_input  # the wheel's own pre- and post-processing


    def detect_at(side: int) -> tuple[np.ndarray, float]:
        scale = side / max(gray.shape[:2])
        small = gray
        if scale < 1:  # det_input's own area resize, done by the fast route
            small = shrink(gray, max(1, round(gray.shape[1] * scale)),
                           max(1, round(gray.shape[0] * scale)))
        x, _ = det_input(small, side)
        released = _releasing_run() if side > LONG_SIDE else None
        return decode_lines(session.run(None, {"x": x[None, None]}, released)[0][0]), scale

    boxes, scale = detect_at(long_side)
    if len(boxes) >= 8:
        median = float(np.median(boxes[:, 3] - boxes[:, 1]))
        if median < MIN_LINE_HEIGHT:
            larger = int(min(MAX_LONG_SIDE, long_side * TARGET_LINE_HEIGHT / max(median, 1.0)))
            if larger // 32 * 32 > long_side:
                boxes, scale = detect_at(larger // 32 * 32)
    height, width = gray.shape[:2]
    regions = []
    for x0, y0, x1, y1, score in boxes.tolist():
        left, top = max(int(x0 / scale), 0), max(int(y0 / scale), 0)
        right, bottom = min(int(np.ceil(x1 / scale)), width), min(int(np.ceil(y1 / scale)), height)
        if right > left and bottom > top:
            regions.append(LineRegion(Box(left, top, right - left, bottom - top), float(score)))
    return regions


NESTED = 0.6  # a box this much inside another line's is a piece of that line


def _inside(box: Box, regions: list[LineRegion], exclude: LineRegion | None = None) -> bool:
    """Does a line at least as large as ``box`` hold NESTED of it?"""
    area = box.width * box.height
    for region in regions:
        other = region.box
        if region is exclude or other.width * other.height < area:
            continue
        width = min(box.left + box.width, other.left + other.width) - max(box.left, other.left)
        height = min(box.top + box.height, other.top + other.height) - max(box.top, other.top)
        if width > 0 and height > 0 and width * height >= NESTED * area:
            return True
    return False


MIN_BLOCK_LETTERS = 4  # fewer uncovered letter-sized marks are specks, not missed text
# The marks are the page's pixels darker than halfway from its paper (the median pixel) to its
# ink (the darkest INK_PERCENTILE per cent of its pixels: the cores of its letters' strokes,
# which on a page of text are many more). A fixed level, halfway from white to black, misses
# a light page's letters whole: a grey photo of a page whose darkest strokes are light grey
# held 2 letter-sized marks darker than 127 out of hundreds of letters.
INK_PERCENTILE = 0.2
INK_MIDWAY = 0.5
# A page whose ink is within MIN_CONTRAST grey levels of its paper has no ink: its marks would
# be the paper's grain.
MIN_CONTRAST = 32


@dataclass(frozen=True)
class InkMarks:
    """A grey page's ink marks: one connected-components pass over the whole page, the
    costliest step here after the network, which the search for missed lines and the
    coverage check both pick their letter-sized marks from."""

    boxes: np.ndarray  # [N, 4] left, top, width, height
    centres: np.ndarray  # [N, 2] x, y

    def letters(self, height: float) -> tuple[np.ndarray, np.ndarray]:
        """The letter-sized marks for a line ``height``: (their boxes, their centres)."""
        widths, heights = self.boxes[:, 2], self.boxes[:, 3]
        letters = (heights >= 0.3 * height) & (heights <= 1.5 * height) & (widths <= 3 * height)
        return self.boxes[letters], self.centres[letters]


def ink_level(gray: np.ndarray) -> int | None:
    """The grey level at and under which a pixel is ink, by the page's own ink and paper
    (see INK_PERCENTILE); None: the page has no ink."""
    counts = np.cumsum(cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel())  # np: 3x
    ink, paper = np.searchsorted(counts, (INK_PERCENTILE / 100 * counts[-1], counts[-1] / 2))
    if paper - ink < MIN_CONTRAST:
        return None
    return int(ink + INK_MIDWAY * (paper - ink))


def ink_marks(gray: np.ndarray) -> InkMarks:
    """The page's :class:`InkMarks` (at its :func:`ink_level`): find them once per page and
    hand them to both :func:`detect_lines` and :func:`ink_covered`."""
    level = ink_level(gray)
    if level is None:
        return InkMarks(np.zeros((0, 4), np.int32), np.zeros((0, 2), int))
    _, ink = cv2.threshold(gray, level, 255, cv2.THRESH_BINARY_INV)
    # Only the rectangle around the ink is labelled: a cleaned page's margins are a third of
    # it. Its corner is kept even, so that the labelling's 2x2 blocks fall as on the page.
    left, top, width, height = cv2.boundingRect(ink)
    if not width:
        return InkMarks(np.zeros((0, 4), np.int32), np.zeros((0, 2), int))
    right, bottom = left + width, top + height
    left, top = left - left % 2, top - top % 2
    _, _, stats, centres = connected_components(ink[top:bottom, left:right])
    boxes, centres = stats[1:, :4], centres[1:].astype(int)
    boxes[:, :2] += (left, top)
    centres += (left, top)
    return InkMarks(boxes, centres)


def _in_lines(centres: np.ndarray, regions: list[LineRegion], height: float) -> np.ndarray:
    """For each point, whether a detected line (with a little room around it) holds it."""
    reach = round(0.3 * height)
    boxes = np.array([[r.box.left, r.box.top, r.box.width, r.box.height] for r in regions])
    left, top = boxes[:, 0] - reach, boxes[:, 1] - reach
    right, bottom = boxes[:, 0] + boxes[:, 2] + reach, boxes[:, 1] + boxes[:, 3] + reach
    x, y = centres[:, :1], centres[:, 1:]
    return ((left <= x) & (x < right) & (top <= y) & (y < bottom)).any(axis=1)


DOUBTFUL_SCORE = 0.9  # a detected line less likely than this is searched again


def _doubtful_blocks(
    shape: tuple[int, ...], marks: InkMarks, regions: list[LineRegion], height: float
) -> list[Box]:
    """Blocks, with a line's room around, of letter-sized ink outside every detected line and
    of doubtful lines, holding at least MIN_BLOCK_LETTERS marks."""
    boxes, centres = marks.letters(height)
    missed = ~_in_lines(centres, regions, height)
    doubtful = [region.box for region in regions if region.score < DOUBTFUL_SCORE]
    if missed.sum() < MIN_BLOCK_LETTERS and not doubtful:
        return []
    parts = np.concatenate([boxes[missed], np.array(
        [[box.left, box.top, box.width, box.height] for box in doubtful], int
    ).reshape(-1, 4)])
    # Only the parts' surroundings, as far as the dilation reaches, are labelled: the same
    # blocks as over the whole page, at the cost of the area that holds them.
    reach = max(round(height), 1)
    left, top = max(int(parts[:, 0].min()) - reach, 0), max(int(parts[:, 1].min()) - reach, 0)
    right = min(int((parts[:, 0] + parts[:, 2]).max()) + reach, shape[1])
    bottom = min(int((parts[:, 1] + parts[:, 3]).max()) + reach, shape[0])
    marked = np.zeros((bottom - top, right - left), np.uint8)
    for x, y, width, tall in parts.tolist():
        marked[y - top : y - top + tall, x - left : x - left + width] = 1
    marked = cv2.dilate(marked, np.ones((reach, 2 * reach), np.uint8))
    count, labels, stats, _ = connected_components(marked)
    inside = (centres[:, 0] >= left) & (centres[:, 0] < right) & (
        centres[:, 1] >= top) & (centres[:, 1] < bottom)
    letters_in = np.bincount(
        labels[centres[inside, 1] - top, centres[inside, 0] - left], minlength=count
    )
    return [Box(x + left, y + top, width, tall)
            for label, (x, y, width, tall) in enumerate(stats[:, :4].tolist())
            if label and letters_in[label] >= MIN_BLOCK_LETTERS]


# Fewer letter-sized marks than this cannot judge the detector's lines: one mark would move
# the share by over 5 points, a quarter of the room MIN_INK_COVERED (pipeline.pages) leaves.
MIN_JUDGED_LETTERS = 20


def ink_covered(
    gray: np.ndarray, regions: list[LineRegion], marks: InkMarks | None = None
) -> float:
    """The share of the page's letter-sized ink marks that lie in a detected line: well under
    1 means the detector missed text Tesseract might read. 1.0 when the page has too few of
    them to judge (MIN_JUDGED_LETTERS): nothing then shows that the detector, whose lines
    read better wherever it was measured, missed any. ``marks`` is the page's
    :func:`ink_marks`, when the caller has it."""
    if not regions:
        return 0.0
    height = float(np.median([region.box.height for region in regions]))
    _, centres = (ink_marks(gray) if marks is None else marks).letters(height)
    if len(centres) < MIN_JUDGED_LETTERS:
        return 1.0
    return float(_in_lines(centres, regions, height).mean())


# Junk: a line none of whose words reads as Vietnamese (a syllable, a number, an abbreviation
# in capitals) is a seal's ring, a signature's stroke or a speck read as letters; so is one
# Tesseract is unsure of throughout, or mostly unsure of and half unreadable.
JUNK_CONFIDENCE = 40.0  # mean word confidence (0-100) under which a line is junk
DOUBTFUL_CONFIDENCE = 70.0  # ... under which a line half of whose words do not read is junk
READABLE_SHARE = 0.5
# ... but a line in which Tesseract found this many Vietnamese syllables, making half its words
# or more, is text however unsure it was: a blurred photo's lines read at low confidence, and
# a seal's ring or a signature's stroke does not read as three syllables.
TEXT_SYLLABLES = 3
_SLASHED = re.compile(r"[A-Za-zĐđ]{1,2}/[A-Za-zĐđ]{1,2}")  # B/c, V/v, Đ/c: see _readable


def flag_junk(lines: list[Line]) -> None:
    """Mark, in place, the lines that are marks read as text rather than text."""
    for line in lines:
        readable = sum(_readable(word.text) for word in line.words)
        syllables = sum(is_syllable(word.text) for word in line.words)
        confidence = sum(word.confidence for word in line.words) / max(len(line.words), 1)
        text = syllables >= TEXT_SYLLABLES and syllables >= READABLE_SHARE * len(line.words)
        line.junk = not text and (readable == 0 or confidence < JUNK_CONFIDENCE or (
            readable < READABLE_SHARE * len(line.words) and confidence < DOUBTFUL_CONFIDENCE
        ))


def is_syllable(word: str) -> bool:
    """A word of two letters or more, all letters once the punctuation at its edges goes, that
    is a Vietnamese syllable."""
    core = word.strip(".,;:!?()[]\"'-")
    return len(core) >= 2 and core.isalpha() and is_valid_syllable(core.lower())


def _readable(word: str) -> bool:
    """A number or a code with digits, two letters or more making a Vietnamese syllable or
    an abbreviation in capitals (a lone letter is what a seal's ring most often reads as), or
    letters parted by slashes: the abbreviations of a recipients list or a subject line
    ("(B/c);", "V/v", "Đ/c")."""
    if _SLASHED.fullmatch(word.strip(".,;:!?()[]\"'-")):
        return True
    core = "".join(ch for ch in word if ch.isalnum())
    if any(ch.isdigit() for ch in core):
        return True
    if len(core) < 2:
        return False
    return core.isupper() or is_valid_syllable(core.lower())


@cache
def _session():
    """The detector's onnxruntime session, made on first use and kept for the process."""
    try:
        import onnxruntime
        model = resources.files(DETECTOR_PACKAGE).joinpath(DETECTOR_MODEL)
    except ModuleNotFoundError as error:
        raise MissingDependencyError(
            f"the text-line detector needs the '{error.name}' package: run 'make setup' "
            "(or use --layout tesseract)"
        ) from error
    if not model.is_file():
        raise MissingDependencyError(
            f"the {DETECTOR_PACKAGE} package has no {DETECTOR_MODEL}: reinstall it with "
            "'make setup' (or use --layout tesseract)"
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # Without the arena every run maps its buffers afresh and faults their pages in: a third
    # of the run's time, in the kernel. The arena holds them; without the memory pattern it
    # reuses its blocks across sizes, and it holds what a page needs (see _releasing_run).
    options.enable_mem_pattern = False
    return onnxruntime.InferenceSession(
        model.read_bytes(), options, providers=["CPUExecutionProvider"]
    )


@cache
def _releasing_run():
    """Run options that hand the arena's free memory back after the run: a page of small
    text detected again at a larger scale needs up to four times a page's buffers, which the
    arena would otherwise keep for the rest of the process."""
    import onnxruntime

    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options
