"""OpenCV cleanup before Tesseract: grayscale, deskew, background flattening, denoise, binarise.

Tesseract binarises with a global Otsu threshold, which fails on shadowed or unevenly lit scans
and on skewed lines; these steps hand it a level page on white paper instead. The adaptive
binarisation decides what is paper, and the paper is set to white, but ink keeps its grey
levels: Tesseract's LSTM reads anti-aliased stroke edges better than hard black and white
(`make eval` showed the binary page about twice the error of grey ink on the samples).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

SKEW_LIMIT_DEGREES = 15.0
_WIDEST_TILT = 45.0  # beyond quarter turns no tilt is wider: 60 degrees is 90 and 30 back
_SKEW_ANALYSIS_WIDTH = 1000  # px; enough for line structure, cheap to rotate many times
_SHEET_EDGE = 100.0  # mean Sobel response along a real sheet edge; a shadow's is far softer
_PIXELS_PER_LOOP = 1000  # a Python iteration costs about as much as a lookup of this many px
_MAX_UPSCALED_SIDE = 4200  # px: the long side of A4 at 360 dpi, where upscaling stops
_NEGLIGIBLE_SKEW = 0.1  # degrees: a few pixels across a 300-dpi line, which Tesseract absorbs
_SKEW_CANDIDATES = 3  # whole degrees whose neighbours deskew tries at half a degree


@dataclass
class _InkAnalysis:
    """A page's small ink mask, a half-size copy of it for the whole-degree searches, and
    that copy's row profile at each tilt tried on it: deskew re-searches the angles
    orientation already measured, so it looks them up instead.

    Telling lines from gaps at 1-degree steps does not need the mask's full size (how far a
    tilt smears a line against the line pitch is the same at any size), and a quarter of the
    pixels is a quarter of the cost; only the last, 0.05-degree search needs them all.
    """

    ink: np.ndarray
    half: np.ndarray = field(init=False, repr=False)
    profiles: dict[float, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        height, width = self.ink.shape
        if min(height, width) < 2:
            self.half = self.ink
            return
        even = self.ink[: height // 2 * 2, : width // 2 * 2]  # exact halving: OpenCV's fast path
        self.half = cv2.resize(even, (width // 2, height // 2), interpolation=cv2.INTER_AREA)


@dataclass
class CleanedPage:
    pixels: np.ndarray  # uint8 grey ink on 255 paper
    deskew_angle: float  # degrees, counter-clockwise, applied to the page
    rotation: int = 0  # quarter-turn correction applied, degrees counter-clockwise
    # the rotation that levels the lines of the turned page, as orientation found it, degrees:
    # deskew's search reaches it even past SKEW_LIMIT_DEGREES (a photo taken turned 60 degrees)
    tilt: float = 0.0
    scale: float = 1.0  # upscaling applied to reach about 300 dpi
    # 3x3 homography from scan to cleaned pixel coordinates, every geometric step composed in,
    # so what is found on the cleaned page can be put back on the scan. Coordinates are of pixel
    # corners: the top-left pixel spans [0, 1] x [0, 1], and a box's edges map exactly.
    transform: np.ndarray = field(default_factory=lambda: np.eye(3), repr=False)
    # the orientation search's measurements, reused by deskew while the pixels are unturned
    analysis: _InkAnalysis | None = field(default=None, repr=False, compare=False)
    # (pixels, their grey copy about 1000 px across): perspective and orientation analyse the
    # same copy unless a step between them redraws the pixels, which makes it stale
    reduced: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def moved(self, matrix: np.ndarray) -> None:
        """Compose a step's 3x3 corner-coordinate matrix after the ones already applied."""
        self.transform = matrix @ self.transform


Step = Callable[[CleanedPage], CleanedPage]
DebugSink = Callable[[str, np.ndarray], None]


def clean_page(
    pixels: np.ndarray, steps: Sequence[str] | None = None, debug: DebugSink | None = None
) -> CleanedPage:
    """Run the named steps (default: all, in :data:`STEPS` order) on one page.

    ``debug`` receives each step's name and result, e.g. to write intermediate images.
    """
    chosen = list(STEPS) if steps is None else list(steps)
    unknown = [name for name in chosen if name not in STEPS]
    if unknown:
        known = ", ".join(STEPS)
        raise ValueError(f"unknown cleanup step(s): {', '.join(unknown)}; known: {known}")
    page = CleanedPage(pixels=pixels, deskew_angle=0.0)
    for name in STEPS:  # the chain's order is fixed: each step needs its predecessors' output
        if name in chosen:
            page = STEPS[name](page)
            if debug is not None:
                debug(name, page.pixels)
    page.pixels = to_grayscale(page.pixels)
    page.analysis = page.reduced = None  # only the steps need them
    return page


def _remove_colour_step(page: CleanedPage) -> CleanedPage:
    page.pixels = remove_colour_marks(page.pixels)
    return page


def _grayscale_step(page: CleanedPage) -> CleanedPage:
    page.pixels = to_grayscale(page.pixels)
    return page


def _perspective_step(page: CleanedPage) -> CleanedPage:
    corners = _page_corners(_reduced(page), _analysis_scale(page.pixels.shape))
    if corners is not None:
        matrix, _ = _rectification(corners)
        page.pixels = rectify(page.pixels, corners)
        page.moved(_corner_frame(matrix))
    return page


def _upscale_step(page: CleanedPage) -> CleanedPage:
    page.scale = upscale_factor(to_grayscale(page.pixels))
    if page.scale > 1.0:
        height, width = page.pixels.shape[:2]
        page.pixels = cv2.resize(
            page.pixels, None, fx=page.scale, fy=page.scale, interpolation=cv2.INTER_CUBIC
        )
        # the sizes are rounded, so the exact factors are the sizes' ratios
        page.moved(np.diag([page.pixels.shape[1] / width, page.pixels.shape[0] / height, 1.0]))
    return page


def _orient_step(page: CleanedPage) -> CleanedPage:
    analysis = _InkAnalysis(_small_ink(_reduced(page)))
    page.rotation, page.tilt = _orientation(analysis)
    if page.rotation:
        page.moved(_quarter_turns(page.pixels.shape, page.rotation))
        page.pixels = rotate_quarter(page.pixels, page.rotation)
    else:
        page.analysis = analysis
    return page


def _deskew_step(page: CleanedPage) -> CleanedPage:
    """Rotate the lines level; then, on a photo, level lines that converge, set the sides of
    the text that converge upright, and set letters that lean upright."""
    gray = to_grayscale(page.pixels)
    analysis = page.analysis or _InkAnalysis(_small_ink(_reduced(page)))
    page.analysis = None
    page.deskew_angle = _skew(analysis, page.tilt)
    page.pixels = rotate(gray, page.deskew_angle)
    if page.deskew_angle:
        page.moved(_corner_frame(_rotation(gray.shape, page.deskew_angle)[0]))
    # the mask turned as the page was, about its centre: its corners go, its lines stay
    ink, scale = _turn(analysis.ink, page.deskew_angle), _analysis_scale(gray.shape)
    for level in (_level_converging_lines, _level_converging_sides):
        matrix = level(ink, scale, page.pixels.shape)
        if matrix is not None:
            page.pixels = cv2.warpPerspective(
                page.pixels, matrix, _warped_size(matrix, page.pixels.shape),
                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255,
            )
            page.moved(_corner_frame(matrix))
            ink, scale = _small_ink(_reduced(page)), _analysis_scale(page.pixels.shape)
    slant = _slant(ink)
    if slant:
        matrix, size = _shear(page.pixels.shape, float(np.tan(np.radians(slant))))
        page.pixels = cv2.warpAffine(
            page.pixels, matrix[:2], size, flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=255,
        )
        page.moved(_corner_frame(matrix))
    return page


# A sheet photographed from below or above its middle leans its letters like italics, the
# whole page alike. Its upright strokes are searched for among shears of the page, and set
# upright when the best shear beats none by _SLANTED. The strokes are summed down each band of
# rows about a line tall: a sheared page's strokes stack into fewer columns. The coarse search
# runs on the mask squashed to a quarter of its height, which keeps the strokes' width
# (narrowing the mask too would merge them) at a quarter of the cost; a lean there is four
# times the page's.
_SLANT_REACH = 20.0  # degrees either way
_SLANT_STEP = 5.0  # degrees between the coarse search's shears
_SLANT_SQUASH = 4
_SLANT_BAND = 40  # rows of the analysis mask: a line or two of 13 pt text on A4
_SLANTED = 1.01  # how much sharper the best shear's stroke columns must be than upright's


def _slant(ink: np.ndarray) -> float:
    """The lean of the page's upright strokes, degrees (positive: their tops to the right);
    0.0 when they stand upright or lean too little to tell."""
    if not cv2.countNonZero(ink):
        return 0.0
    squat = cv2.resize(ink, (ink.shape[1], max(ink.shape[0] // _SLANT_SQUASH, 1)),
                       interpolation=cv2.INTER_AREA)
    coarse = np.arange(-_SLANT_REACH, _SLANT_REACH + 1e-9, _SLANT_STEP)
    scores = _stroke_contrasts(squat, _SLANT_SQUASH * np.tan(np.radians(coarse)),
                               _SLANT_BAND // _SLANT_SQUASH)
    upright = scores[np.flatnonzero(coarse == 0.0)[0]]
    best = float(coarse[np.argmax(scores)])
    if best == 0.0 or scores.max() < _SLANTED * upright:
        return 0.0
    for step in (1.0, 0.5):
        fine = np.arange(best - 3 * step, best + 3 * step + 1e-9, step)
        best = float(fine[np.argmax(_stroke_contrasts(ink, np.tan(np.radians(fine)),
                                                      _SLANT_BAND))])
    return best


def _stroke_contrasts(ink: np.ndarray, leans: np.ndarray, band: int) -> np.ndarray:
    """For each lean (sideways pixels per row), the sum over bands of ``band`` rows of the
    squared column totals of ``ink`` sheared upright: upright strokes each stack into one
    column."""
    bands = max(ink.shape[0] // band, 1)
    scores = []
    for lean in leans.tolist():
        matrix, size = _shear(ink.shape, lean)
        sheared = ink if lean == 0.0 else cv2.warpAffine(
            ink, matrix[:2], size, flags=cv2.INTER_NEAREST)
        columns = sheared[: bands * band].reshape(bands, -1, size[0]).sum(axis=1, dtype=np.int64)
        scores.append(float(np.square(columns.astype(np.float64)).sum()))
    return np.array(scores)


def _shear(shape: tuple[int, ...], lean: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The OpenCV 3x3 warp (pixel centres at integers) that sets strokes leaning ``lean``
    pixels sideways a row upright, rows moving about the middle one, on a canvas widened to
    hold the page; and that canvas's (width, height)."""
    height, width = shape[:2]
    reach = abs(lean) * (height - 1) / 2
    matrix = np.array([[1.0, lean, reach - lean * (height - 1) / 2], [0.0, 1.0, 0.0],
                       [0.0, 0.0, 1.0]])
    return matrix, (width + int(np.ceil(2 * reach)), height)


# A photo taken at a slant makes the lines converge: rotation levels the middle ones, and
# those above and below stay tilted apart. The text is cut into bands and each band's tilt
# measured; when the top and bottom bands differ by _CONVERGING degrees or more and all the
# bands' tilts lie on one steady turn down the page, a homography that sends the lines'
# vanishing point to infinity levels all of them.
_CONVERGENCE_BANDS = 4
_CONVERGING = 1.0  # degrees: under this, the bands' tilts are noise or a slightly bent sheet
# degrees a band's tilt may lie off the line fitted through all of them: a band of few lines
# beside a signature or a seal tilts its own way, and a page's lines converging do not
_OFF_LINE = 0.5
# the least line contrast (_line_contrast) of a band's row profile at its best tilt: text
# lines and gaps give 0.4 and more, a band of specks or a stripe down the margin under 0.1
_BAND_LINES = 0.25
_CONVERGENCE_REACH = 8.0  # degrees either way searched in each band
_FEWEST_BAND_ROWS = 30  # rows of the analysis mask: fewer hold too few lines to measure
_MOST_STRETCH = 1.5  # the homography may enlarge or shrink one side against the other by this


def _level_converging_lines(
    ink: np.ndarray, scale: float, shape: tuple[int, ...]
) -> np.ndarray | None:
    """The OpenCV 3x3 warp (pixel centres at integers) that levels the converging lines of a
    page of ``shape``; None when its lines do not converge. ``ink`` is the page's analysis
    mask, at ``scale`` of it about their common centre.

    A band's best tilt in whole degrees on its half-size copy comes first, and only when the
    bands disagree are they measured to a tenth: a level page costs a few small rotations.
    """
    # equal bands across the rows that hold all but the outermost ink (specks by the page's
    # edges)
    cumulative = np.cumsum(_row_sums(ink))
    if not cumulative[-1]:
        return None
    top, bottom = np.searchsorted(cumulative, cumulative[-1] * np.array([0.02, 0.98]))
    edges = np.linspace(top, bottom + 1, _CONVERGENCE_BANDS + 1).round().astype(int)
    if np.diff(edges).min() < _FEWEST_BAND_ROWS:
        return None
    bands = [np.ascontiguousarray(ink[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    coarse = np.arange(-_CONVERGENCE_REACH, _CONVERGENCE_REACH + 1e-9, 1.0)
    found = [_best_angle(_InkAnalysis(band).half, coarse) for band in bands]
    rough = [angle for angle, _ in found]
    if max(rough) - min(rough) < _CONVERGING:
        return None
    if min(_line_contrast(profile) for _, profile in found) < _BAND_LINES:
        return None  # a band without lines of text (a blank foot, an edge's dark stripe)
    tilts = np.array([
        _best_angle(band, np.round(np.arange(angle - 1.0, angle + 1.0 + 1e-9, 0.1), 2))[0]
        for band, angle in zip(bands, rough, strict=True)
    ])
    height, width = shape[:2]
    centres = ((edges[:-1] + edges[1:]) / 2 - ink.shape[0] / 2) / scale + height / 2
    # In page pixels, a line through x = cx turns by tilt(y): its slope, down and to the
    # right, is tan(tilt) = a + b y; all pass through the vanishing point (cx - 1/b, -a/b).
    slopes = np.tan(np.radians(tilts))
    b, a = np.polyfit(centres, slopes, 1)
    off_line = np.abs(np.degrees(np.arctan(a + b * centres)) - tilts).max()
    if abs(tilts[-1] - tilts[0]) < _CONVERGING or off_line > _OFF_LINE:
        return None  # converging lines turn steadily down the page; a seal's band does not
    cx = (width - 1) / 2
    # x' = X / w, y' = Y / w with w = 1 + b X, from (cx, -a/b): lines through the vanishing
    # point (X = -1/b) come out level, upright lines stay upright.
    nearest = min(1 + b * (0 - cx), 1 + b * (width - 1 - cx))
    farthest = max(1 + b * (0 - cx), 1 + b * (width - 1 - cx))
    if nearest <= 0 or farthest / nearest > _MOST_STRETCH:
        return None
    vy = -a / b
    to_origin = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -vy], [0.0, 0.0, 1.0]])
    projective = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [b, 0.0, 1.0]])
    matrix = np.linalg.inv(to_origin) @ projective @ to_origin
    corners = _warped_corners(matrix, shape)
    shift = np.array([[1.0, 0.0, -corners[:, 0].min()], [0.0, 1.0, -corners[:, 1].min()],
                      [0.0, 0.0, 1.0]])
    return shift @ matrix


# A photo taken at a slant also makes the sides of the text converge: after the lines are
# level, the left ends of the lines that start at the margin lie on one straight line that is
# not upright, and so do the right ends of justified lines. When both sides are found and
# their directions differ by _CONVERGING degrees or more, a homography that sends the point
# where they meet to infinity sets both upright and keeps the lines level.
_MARGIN_LINES = 6  # fewest line ends on a side: fewer line up by chance on a ragged page
_MARGIN_REACH = 0.5  # of the text's height, that a side's line ends must span
_MARGIN_TOLERANCE = 0.15  # of the median line's height, a line end may lie off its side


def _level_converging_sides(
    ink: np.ndarray, scale: float, shape: tuple[int, ...]
) -> np.ndarray | None:
    """The OpenCV 3x3 warp (pixel centres at integers) that sets upright the converging left
    and right sides of the level text of a page of ``shape``; None when they do not
    converge. ``ink`` is the page's analysis mask, at ``scale`` of it about their common
    centre."""
    ends = _line_ends(_without_tall_ink(ink))
    if len(ends) < _MARGIN_LINES:
        return None
    rows, lefts, rights, heights = ends.T
    tolerance = max(_MARGIN_TOLERANCE * float(np.median(heights)), 1.0)
    reach = _MARGIN_REACH * (rows.max() - rows.min())
    sides = [_straight_side(rows, ends, tolerance, reach) for ends in (lefts, rights)]
    if sides[0] is None or sides[1] is None:
        return None
    (left_slope, left_x), (right_slope, right_x) = sides  # x = x0 + slope * (y - mask middle)
    leans = np.degrees(np.arctan([left_slope, right_slope]))
    if abs(leans[0] - leans[1]) < _CONVERGING:
        return None
    height, width = shape[:2]
    # in page pixels about the page's middle row: the sides meet at (vx, cy + Y)
    left_x = (left_x - ink.shape[1] / 2) / scale + width / 2
    right_x = (right_x - ink.shape[1] / 2) / scale + width / 2
    meeting = (right_x - left_x) / (left_slope - right_slope)
    cy = (height - 1) / 2
    vx = left_x + left_slope * meeting
    b = -1.0 / meeting
    # x' = X / w, y' = Y / w with w = 1 + b Y, from (vx, cy): lines through the meeting point
    # come out upright, level lines stay level
    nearest = min(1 + b * (0 - cy), 1 + b * (height - 1 - cy))
    farthest = max(1 + b * (0 - cy), 1 + b * (height - 1 - cy))
    if nearest <= 0 or farthest / nearest > _MOST_STRETCH:
        return None
    to_origin = np.array([[1.0, 0.0, -vx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
    projective = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, b, 1.0]])
    matrix = np.linalg.inv(to_origin) @ projective @ to_origin
    corners = _warped_corners(matrix, shape)
    shift = np.array([[1.0, 0.0, -corners[:, 0].min()], [0.0, 1.0, -corners[:, 1].min()],
                      [0.0, 0.0, 1.0]])
    return shift @ matrix


def _line_ends(ink: np.ndarray) -> np.ndarray:
    """[N, 4]: for each text line of a level mask, its middle row less the mask's middle
    row, its first and last inked columns, and its height; lines are runs of inked rows."""
    inked = np.append(_row_sums(ink) > 0, False).astype(np.int8)
    changes = np.flatnonzero(np.diff(np.concatenate(([0], inked))))
    ends = []
    for top, bottom in zip(changes[::2].tolist(), changes[1::2].tolist(), strict=True):
        if bottom - top < _SHORTEST_LETTER:
            continue  # a rule, a speck
        columns = np.flatnonzero(cv2.reduce(ink[top:bottom], 0, cv2.REDUCE_MAX).ravel())
        ends.append(((top + bottom) / 2 - ink.shape[0] / 2, columns[0], columns[-1] + 1,
                     bottom - top))
    return np.array(ends, np.float64).reshape(-1, 4)


def _straight_side(
    rows: np.ndarray, ends: np.ndarray, tolerance: float, reach: float
) -> tuple[float, float] | None:
    """(slope, x at row 0) of the straight line through most of the line ends (x = ``ends``
    at ``rows``), refitted to them, when at least :data:`_MARGIN_LINES` lie within
    ``tolerance`` of it and span ``reach`` rows; else None. Every line through two ends is
    tried: a page has a few dozen lines, and indented or centred ones are many of them."""
    first, second = np.triu_indices(len(rows), 1)
    spread = rows[second] - rows[first]
    usable = spread > 0
    first, second = first[usable], second[usable]
    slopes = (ends[second] - ends[first]) / spread[usable]
    offsets = ends[first] - slopes * rows[first]
    near = np.abs(ends[None, :] - (offsets[:, None] + slopes[:, None] * rows[None, :]))
    counts = (near <= tolerance).sum(axis=1)
    if not len(counts) or counts.max() < _MARGIN_LINES:
        return None
    inliers = near[np.argmax(counts)] <= tolerance
    if np.ptp(rows[inliers]) < reach:
        return None
    slope, offset = np.polyfit(rows[inliers], ends[inliers], 1)
    return float(slope), float(offset)


def _warped_corners(matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Where ``matrix`` takes the corner pixels of a page of ``shape``: [4, 2] x, y."""
    height, width = shape[:2]
    corners = np.array([[[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]],
                       np.float64)
    return cv2.perspectiveTransform(corners, matrix)[0]


def _warped_size(matrix: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int]:
    """(width, height) of the canvas that holds the whole page warped by ``matrix``."""
    corners = _warped_corners(matrix, shape)
    return int(np.ceil(corners[:, 0].max())) + 1, int(np.ceil(corners[:, 1].max())) + 1


def _flatten_step(page: CleanedPage) -> CleanedPage:
    page.pixels = flatten_background(to_grayscale(page.pixels))
    return page


def _denoise_step(page: CleanedPage) -> CleanedPage:
    page.pixels = denoise(to_grayscale(page.pixels))
    return page


def _binarise_step(page: CleanedPage) -> CleanedPage:
    gray = to_grayscale(page.pixels)
    ink = remove_stray_ink(binarise(gray))
    page.pixels = whiten_paper(gray, ink)
    return page


def _reduced(page: CleanedPage) -> np.ndarray:
    """The page's grey copy for the analyses, made once while the pixels stay the same."""
    if page.reduced is None or page.reduced[0] is not page.pixels:
        page.reduced = (page.pixels, _reduce(to_grayscale(page.pixels)))
    return page.reduced[1]


STEPS: dict[str, Step] = {
    "remove-colour": _remove_colour_step,
    "grayscale": _grayscale_step,
    "perspective": _perspective_step,
    "upscale": _upscale_step,
    "orient": _orient_step,
    "deskew": _deskew_step,
    "flatten": _flatten_step,
    "denoise": _denoise_step,
    "binarise": _binarise_step,
}


def remove_colour_marks(pixels: np.ndarray) -> np.ndarray:
    """Paint red and blue marks (seals, signatures) as paper; dark ink under them stays.

    Text is black or grey, so strong saturation means a stamp or a pen, and it must go before
    the page turns grey, when it would become grey strokes across the letters. Except where
    text was drawn on screen with sub-pixel smoothing (ClearType screenshots): there each
    stroke has a warm fringe on one side and a cool one on the other, a few pixels apart,
    and at small sizes the fringes are most of the letter; a seal or a pen is one colour.
    """
    if pixels.ndim == 2:
        return pixels
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV)
    hue, saturation, value = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    red = (hue <= 12) | (hue >= 160)
    blue = (hue >= 95) & (hue <= 135)
    marked = (saturation >= 70) & (value >= 70) & (red | blue)
    if marked.any():
        marked &= ~_subpixel_text(hue, saturation)
    cleaned = pixels.copy()
    cleaned[marked] = 255
    return cleaned


def _subpixel_text(hue: np.ndarray, saturation: np.ndarray) -> np.ndarray:
    """Pixels of sub-pixel-smoothed text: tinted pixels with the opposite tint (warm against
    cool) within 3 pixels along the row, and the stroke around them."""
    tinted = saturation >= 40
    warm = tinted & ((hue <= 40) | (hue >= 150))
    cool = tinted & (hue >= 80) & (hue <= 140)
    along_row = np.ones((1, 7), np.uint8)
    fringe = (warm & cv2.dilate(cool.view(np.uint8), along_row).view(bool)) | (
        cool & cv2.dilate(warm.view(np.uint8), along_row).view(bool)
    )
    return cv2.dilate(fringe.view(np.uint8), np.ones((5, 5), np.uint8)).view(bool)


def find_page_corners(gray: np.ndarray) -> np.ndarray | None:
    """The four corners of a photographed sheet lying on a darker background, or None.

    None when no clear quadrilateral stands out: a flat scan fills the frame, and then there is
    nothing to rectify. Corners come ordered top-left, top-right, bottom-right, bottom-left.
    """
    return _page_corners(_reduce(gray), _analysis_scale(gray.shape))


def _page_corners(small: np.ndarray, scale: float) -> np.ndarray | None:
    """:func:`find_page_corners` on the page's :func:`_reduce` copy, made at ``scale``."""
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, sheet = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    sheet = cv2.morphologyEx(sheet, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(sheet, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    area_share = cv2.contourArea(outline) / (small.shape[0] * small.shape[1])
    if not 0.2 <= area_share <= 0.95:
        return None
    points = outline.reshape(-1, 2).astype(np.float64)
    sides = _sheet_sides(points, small.shape)
    quad = None if sides is None else _meeting_points(sides)
    if quad is None or not _plausible(quad, small.shape):
        return None
    if _edge_strength(blurred, np.round(quad).astype(np.int32)) < _SHEET_EDGE:
        return None  # a soft boundary: a shadow across a flat page, not a sheet's edge
    inner = _meeting_points(_moved_in(sides, points.mean(axis=0)))
    if inner is None:
        return None
    corners = inner.astype(np.float32) / scale
    sums, diffs = corners.sum(axis=1), np.diff(corners, axis=1).ravel()
    return np.array(
        [corners[np.argmin(sums)], corners[np.argmin(diffs)],
         corners[np.argmax(sums)], corners[np.argmax(diffs)]],
        dtype=np.float32,
    )


_BORDER = 3  # px of the reduced copy: a side this near the frame is the frame's, not the sheet's
_SIDE_ENDS = 0.1  # of a side's length, left out at each end when it is fitted
_CORNER_REACH = 0.25  # of the frame's size: how far outside it a cut-off corner may lie

# a straight side: a point on it, its direction, and whether it is the sheet's own edge (else
# the frame's, standing in for an edge out of the picture)
Side = tuple[np.ndarray, np.ndarray, bool]


def _sheet_sides(outline: np.ndarray, shape: tuple[int, ...]) -> list[Side] | None:
    """The four longest straight sides of the outline's hull, in cyclic order, the sheet's
    own edges refitted to the outline; None when it has fewer.

    A sheet that runs out of the photo has the frame for part of its outline, and a corner
    cut off: the hull is simplified without the stretches along the frame, so the sheet's
    own sides, extended, meet where that corner lies, beyond the frame. Only a side wholly
    out of the picture is stood in for by the frame.
    """
    height, width = shape[:2]
    sides = []  # (start, end, along the frame), in the outline's order
    for run in _straight_runs(cv2.convexHull(outline.astype(np.int32)).reshape(-1, 2),
                              width, height):
        for start, end in zip(run[:-1].astype(np.float64), run[1:].astype(np.float64),
                              strict=True):
            sides.append((start, end, _along_frame(start, end, width, height)))
    if len(sides) < 4:
        return None
    lengths = np.array([np.linalg.norm(end - start) for start, end, _ in sides])
    framed = np.array([along for _, _, along in sides], bool)
    ranked = np.lexsort((-lengths, framed))  # the sheet's own sides first, longest first
    return [(start, end - start, False) if along else _fitted(outline, start, end)
            for start, end, along in (sides[i] for i in sorted(ranked[:4].tolist()))]


def _straight_runs(hull: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """The hull simplified into straight sides, as runs of vertices: one closed run, or, when
    the hull touches the frame, one open run from each touch to the next, so that no side
    spans a stretch along the frame and a corner beyond it."""
    tolerance = 0.02 * cv2.arcLength(hull.reshape(-1, 1, 2), True)
    x, y = hull[:, 0], hull[:, 1]
    on_frame = ((x < _BORDER) | (y < _BORDER)
                | (x > width - 1 - _BORDER) | (y > height - 1 - _BORDER))
    if not on_frame.any():
        polygon = cv2.approxPolyDP(hull.reshape(-1, 1, 2), tolerance, True).reshape(-1, 2)
        return [np.vstack([polygon, polygon[:1]])]
    first = int(np.argmax(on_frame))
    closed = np.roll(hull, -first, axis=0)
    closed = np.vstack([closed, closed[:1]])
    touches = np.append(np.flatnonzero(np.roll(on_frame, -first)), len(hull))
    return [
        cv2.approxPolyDP(closed[a:b + 1].reshape(-1, 1, 2), tolerance, False).reshape(-1, 2)
        for a, b in zip(touches[:-1], touches[1:], strict=True)
    ]


def _along_frame(start: np.ndarray, end: np.ndarray, width: int, height: int) -> bool:
    """Whether a side runs along one edge of the frame."""
    return bool(
        max(start[0], end[0]) < _BORDER or min(start[0], end[0]) > width - 1 - _BORDER
        or max(start[1], end[1]) < _BORDER or min(start[1], end[1]) > height - 1 - _BORDER
    )


def _fitted(outline: np.ndarray, start: np.ndarray, end: np.ndarray) -> Side:
    """The side from ``start`` to ``end`` refitted to the outline's pixels along its middle:
    its ends bend away where the outline turns a rounded corner or meets the frame, and a
    corner found beyond the frame is as far off as the sides' directions are."""
    length = np.linalg.norm(end - start)
    along = (end - start) / length
    offset = outline - start
    position = offset @ along
    distance = np.abs(offset @ np.array([-along[1], along[0]]))
    near = outline[(position > _SIDE_ENDS * length) & (position < (1 - _SIDE_ENDS) * length)
                   & (distance <= _BORDER)]
    if len(near) < 2:
        return start, end - start, True
    vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0], np.float64), np.array([vx, vy], np.float64), True


def _moved_in(sides: list[Side], inside: np.ndarray) -> list[Side]:
    """The sheet's own sides moved :data:`_BORDER` px towards ``inside``: the outline runs
    along the blurred edge, and a sheet's edge is seldom quite straight, so taken as they are
    they would bring a strip of the background into the page, to be read as ink there."""
    moved = []
    for point, direction, own in sides:
        if own:
            normal = np.array([-direction[1], direction[0]]) / np.linalg.norm(direction)
            point = point + _BORDER * normal * np.sign(normal @ (inside - point))
        moved.append((point, direction, own))
    return moved


def _meeting_points(sides: list[Side]) -> np.ndarray | None:
    """Where each side meets the next, as (4, 2) corners; None if two neighbours are parallel."""
    corners = []
    for (p, a, _), (q, b, _) in zip(sides, sides[1:] + sides[:1], strict=True):
        cross = a[0] * b[1] - a[1] * b[0]
        if abs(cross) < 1e-6 * np.linalg.norm(a) * np.linalg.norm(b):
            return None
        corners.append(p + a * ((q - p)[0] * b[1] - (q - p)[1] * b[0]) / cross)
    return np.array(corners)


def _plausible(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """A convex quadrilateral whose corners lie in the photo or not far beyond it."""
    size = np.array([shape[1], shape[0]], np.float64)
    reach = _CORNER_REACH * size
    inside = bool((quad >= -reach).all() and (quad <= size + reach).all())
    return inside and cv2.isContourConvex(quad.astype(np.float32).reshape(4, 1, 2))


def _edge_strength(gray: np.ndarray, quad: np.ndarray) -> float:
    """Mean gradient along the quadrilateral's sides, leaving out the image's own border."""
    outline = cv2.polylines(np.zeros_like(gray), [quad], True, 1, 3).astype(bool)
    outline[:4, :] = outline[-4:, :] = False
    outline[:, :4] = outline[:, -4:] = False
    if not outline.any():
        return 0.0
    dx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.hypot(dx, dy)[outline].mean())


def rectify(pixels: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Warp the quadrilateral to an upright rectangle of its own mean side lengths."""
    matrix, size = _rectification(corners)
    return cv2.warpPerspective(pixels, matrix, size, flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def _rectification(corners: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """:func:`rectify`'s homography (OpenCV's pixel-centre frame) and its (width, height)."""
    top_left, top_right, bottom_right, bottom_left = corners
    width = int(round((np.linalg.norm(top_right - top_left)
                       + np.linalg.norm(bottom_right - bottom_left)) / 2))
    height = int(round((np.linalg.norm(bottom_left - top_left)
                        + np.linalg.norm(bottom_right - top_right)) / 2))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]],
                      dtype=np.float32)
    return cv2.getPerspectiveTransform(corners, target), (width, height)


def upscale_factor(gray: np.ndarray, target_height: float = 27.0) -> float:
    """How much to enlarge a low-resolution page so its letters are as tall as at 300 dpi.

    Declared resolutions are often wrong (72 dpi on screenshots), so the measure is the median
    height of ink components, about 27 px for 13 pt body text at 300 dpi. A half-size copy is
    measured first, at a quarter of the cost: halving merges small letters and so overstates
    them, by up to a third on our low-dpi renders, so letters as tall as the target even there
    are well clear of the 0.7 of it that decides, and the page itself need not be measured.
    """
    half = shrink(gray, max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2))
    if 2 * _letter_height(half, 0.5) >= target_height:
        return 1.0
    median = _letter_height(gray, 1.0)
    if median >= 0.7 * target_height or not median:  # not median: too little text to judge
        return 1.0
    # Never past A4 at 360 dpi: a sheet about that size is not low-resolution, whatever specks
    # of noise do to the median, and enlarging it would only multiply memory and Tesseract's time.
    ceiling = _MAX_UPSCALED_SIDE / max(gray.shape)
    scale = min(4.0, target_height / median, ceiling)
    return round(scale, 2) if scale >= 1.1 else 1.0


_SHORTEST_LETTER = 4  # px at full size: shorter ink is specks, not letters
_FEWEST_LETTERS = 50  # fewer letter-sized components are too little text to judge


def _letter_height(gray: np.ndarray, scale: float) -> float:
    """Median height of the ink components of a page (or of a copy at ``scale`` of it) that
    may be letters; 0 when there are too few to judge."""
    _, _, stats, _ = connected_components(cv2.bitwise_not(binarise(flatten_background(gray))))
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    heights = heights[(heights >= _SHORTEST_LETTER * scale) & (heights <= gray.shape[0] // 20)]
    return float(np.median(heights)) if heights.size >= _FEWEST_LETTERS else 0.0


def estimate_orientation(gray: np.ndarray) -> int:
    """Quarter-turn (0, 90, 180, 270 degrees counter-clockwise) that sets the text upright.

    Lines run along whichever axis gives the stronger ink profile at its best tilt; up from
    down comes from the text itself: Vietnamese carries far more ink above the x-height band
    (capitals, ascenders, tone marks) than below it (a few descenders).
    """
    return _orientation(_InkAnalysis(_small_ink(_reduce(gray))))[0]


def _orientation(analysis: _InkAnalysis) -> tuple[int, float]:
    """:func:`estimate_orientation` on an analysis deskew may reuse, and the rotation that
    levels the lines of the turned page.

    Tilts up to :data:`SKEW_LIMIT_DEGREES` either way are tried, and as many around the tilt
    of the text block's own outline when that lies beyond them: a photo taken turned 60
    degrees is one turned 90 and tilted back 30, more than a scan's skew.
    """
    ink = analysis.ink
    if not cv2.countNonZero(ink):
        return 0, 0.0
    coarse = np.arange(-SKEW_LIMIT_DEGREES, SKEW_LIMIT_DEGREES + 1e-9, 1.0)
    block = round(_block_tilt(ink))
    if abs(block) > SKEW_LIMIT_DEGREES:
        coarse = np.union1d(coarse, coarse + block)
    as_is, as_is_profile = _best_angle(analysis.half, coarse, analysis.profiles)
    sideways, sideways_profile = _best_angle(np.ascontiguousarray(np.rot90(analysis.half)),
                                             coarse)
    if _line_contrast(as_is_profile) >= _line_contrast(sideways_profile):
        turn, upright, tilt = 0, ink, as_is
    else:
        turn, upright, tilt = 90, np.ascontiguousarray(np.rot90(ink)), sideways
    if _up_minus_down(_without_tall_ink(_turn(upright, tilt))) < 0:
        turn += 180  # a half turn keeps the lines' tilt
    return turn % 360, tilt


def _block_tilt(ink: np.ndarray) -> float:
    """The rotation, within 45 degrees either way, that sets the sides of the smallest
    rectangle around all the ink square with the image: a page of text is a rectangle of
    lines, whatever its tilt. Each row's first and last ink pixels have the same hull as all
    of them, at a fraction of the points."""
    rows = np.flatnonzero(_row_sums(ink))
    inked = ink[rows] > 0
    first = inked.argmax(axis=1)
    last = ink.shape[1] - 1 - inked[:, ::-1].argmax(axis=1)
    ends = np.concatenate([np.stack([first, rows], axis=1), np.stack([last, rows], axis=1)])
    _, _, angle = cv2.minAreaRect(ends.astype(np.float32))
    return (angle + _WIDEST_TILT) % 90.0 - _WIDEST_TILT


def _analysis_scale(shape: tuple[int, ...]) -> float:
    return min(1.0, _SKEW_ANALYSIS_WIDTH / max(shape[:2]))


def _reduce(gray: np.ndarray) -> np.ndarray:
    """A copy about 1000 px across, where sheet edges and line structure are found cheaply."""
    scale = _analysis_scale(gray.shape)
    return shrink(gray, round(gray.shape[1] * scale), round(gray.shape[0] * scale))


def shrink(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` area-averaged down to ``width`` x ``height``.

    OpenCV's area resize is fast only for whole factors: halving an A4 page takes a twentieth
    of the time of taking it to 1000 px in one go. So the image is halved exactly while it is
    at least twice the size asked for (an odd last row or column dropped: under a pixel of
    the result), and only what remains is done by a general area resize.
    """
    while image.shape[1] >= 2 * width and image.shape[0] >= 2 * height:
        rows, columns = image.shape[0] // 2, image.shape[1] // 2
        image = cv2.resize(image[: 2 * rows, : 2 * columns], (columns, rows),
                           interpolation=cv2.INTER_AREA)
    if image.shape[:2] != (height, width):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return image


def _small_ink(small: np.ndarray) -> np.ndarray:
    """Inverted Otsu mask of the flattened :func:`_reduce` copy: shadows do not count as
    ink."""
    _, ink = cv2.threshold(
        flatten_background(small), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU
    )
    return _drop_edge_ink(ink)


def _drop_edge_ink(ink: np.ndarray) -> np.ndarray:
    """Ink touching the sheet's edge is a photocopier band or the scanner lid, not text: long
    straight bands along two sides would read as lines of text turned sideways."""
    count, labels, stats, _ = connected_components(ink)
    height, width = ink.shape
    x, y, w, h = (stats[:, i] for i in range(4))
    edge = (x == 0) | (y == 0) | (x + w >= width) | (y + h >= height)
    edge[0] = False  # the background
    if not edge.any():
        return ink
    return np.where(edge[labels], 0, ink).astype(np.uint8)


def _line_contrast(profile: np.ndarray) -> float:
    """Relative spread of a row profile: high when rows alternate between text lines and
    gaps, low across columns of text, whatever the letters' fine detail or the page's size."""
    mean = profile.mean()
    return float(profile.var() / (mean * mean)) if mean > 0 else 0.0


def _profile_contrast(profile: np.ndarray) -> float:
    return float(np.square(np.diff(profile)).sum())


def _without_tall_ink(ink: np.ndarray) -> np.ndarray:
    """Letters only: a seal's ring or a signature, many lines tall, would outweigh the marks
    above and below a few short lines on a closing page.

    Tall is against the height that half the ink lies in components shorter than: a form's
    leader dots or a dashed rule are most of the components but little of the ink, and
    against their median every letter would count as tall.
    """
    count, labels, stats, _ = connected_components(ink)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    if heights.size < 10:
        return ink
    order = np.argsort(heights, kind="stable")
    ink_below = np.cumsum(stats[1:, cv2.CC_STAT_AREA][order])
    typical = heights[order][np.searchsorted(ink_below, ink_below[-1] / 2)]
    tall = np.concatenate(([False], heights > 3 * typical))
    if not tall.any():  # most pages: no mask to look up, label by label
        return ink
    return np.where(tall[labels], 0, ink).astype(np.uint8)


def _up_minus_down(ink: np.ndarray, strips: int = 4) -> float:
    """:func:`_ink_above_minus_below` over vertical strips of the page: side-by-side columns
    (recipients beside the signature) do not share their line positions."""
    width = ink.shape[1]
    return sum(
        _ink_above_minus_below(np.ascontiguousarray(ink[:, i * width // strips:
                                                        (i + 1) * width // strips]))
        for i in range(strips)
    )


def _ink_above_minus_below(ink: np.ndarray) -> float:
    """Sum over text lines of ink above the line's core band minus ink below it."""
    profile = _row_sums(ink) / 255
    has_ink = profile > 0.02 * ink.shape[1]
    balance = 0.0
    start = None
    for y, inked in enumerate(np.append(has_ink, False)):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            band = profile[start:y]
            if band.size >= 4:
                core = np.flatnonzero(band >= 0.5 * band.max())
                balance += band[: core[0]].sum() - band[core[-1] + 1 :].sum()
            start = None
    return balance


def rotate_quarter(pixels: np.ndarray, degrees: int) -> np.ndarray:
    """Exact rotation by a multiple of 90 degrees, counter-clockwise."""
    return np.ascontiguousarray(np.rot90(pixels, k=(degrees // 90) % 4))


def _quarter_turns(shape: tuple[int, ...], degrees: int) -> np.ndarray:
    """:func:`rotate_quarter` as a corner-coordinate matrix: one turn of a w-wide image takes
    (x, y) to (y, w - x)."""
    height, width = shape[:2]
    matrix = np.eye(3)
    for _ in range((degrees // 90) % 4):
        matrix = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]]) @ matrix
        width, height = height, width
    return matrix


def _corner_frame(matrix: np.ndarray) -> np.ndarray:
    """An OpenCV warp matrix (2x3 or 3x3, pixel centres at integers) in corner coordinates
    (pixel centres at half-integers), as 3x3."""
    full = np.vstack([matrix, [0.0, 0.0, 1.0]]) if matrix.shape[0] == 2 else matrix
    shift = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    return shift @ full @ back


def to_grayscale(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)


def estimate_skew(gray: np.ndarray) -> float:
    """Angle that makes text lines horizontal, by maximising the row-profile contrast.

    Rotating a small inverted copy through candidate angles is robust to stamps and
    pictures, which fool fits on individual components. Coarse search, then refine.
    """
    return _skew(_InkAnalysis(_small_ink(_reduce(gray))))


def _skew(analysis: _InkAnalysis, tilt: float = 0.0) -> float:
    """:func:`estimate_skew` on an analysis, reusing the tilts orientation measured on it; the
    search reaches a degree past the ``tilt`` orientation found, if that is beyond its limit.

    Coarse to fine, a third of the work of trying every half degree at full size: whole
    degrees on the half-size copy; then, on the full mask, the half degrees beside the best
    :data:`_SKEW_CANDIDATES` of them (where trying every half degree finds its best), tenths
    within half a degree of the best, and the 0.05 degrees either side of the best tenth.
    """
    ink = analysis.ink
    if not cv2.countNonZero(ink):
        return 0.0
    low = min(-SKEW_LIMIT_DEGREES, tilt - 1.0)
    high = max(SKEW_LIMIT_DEGREES, tilt + 1.0)
    whole = np.arange(low, high + 1e-9, 1.0)
    scores = _contrasts(analysis.half, whole, analysis.profiles)
    leaders = whole[np.argsort(-scores, kind="stable")[:_SKEW_CANDIDATES]]
    halves = np.concatenate([leaders, leaders - 0.5, leaders + 0.5])
    known: dict[float, np.ndarray] = {}
    best, _ = _best_angle(ink, np.unique(halves[(halves >= low) & (halves <= high)]), known)
    for step, reach in ((0.1, 0.5), (0.05, 0.05)):
        best, _ = _best_angle(ink, np.round(np.arange(best - reach, best + reach + 1e-9, step), 2),
                              known)
    return 0.0 if abs(best) <= _NEGLIGIBLE_SKEW else best


def _turn(ink: np.ndarray, angle: float) -> np.ndarray:
    if angle == 0.0:  # every search's middle candidate, and a level page's tilt
        return ink
    height, width = ink.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), float(angle), 1.0)
    return cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)


def _row_sums(ink: np.ndarray) -> np.ndarray:
    """Each row's total, exactly as a float64 sum would give it, at a tenth of numpy's cost."""
    return cv2.reduce(ink, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.float64)


def _best_angle(
    ink: np.ndarray, angles: np.ndarray, known: dict[float, np.ndarray] | None = None
) -> tuple[float, np.ndarray]:
    """The angle whose rotation gives the sharpest row profile, and that profile.

    ``known`` holds the profiles already measured on this same ink, and takes the new ones.
    """
    known = {} if known is None else known
    scores = _contrasts(ink, angles, known)
    tied = np.flatnonzero(scores >= scores.max() * (1 - 1e-9))
    best = float(angles[tied[np.argmin(np.abs(angles[tied]))]])  # ties: the smallest turn
    return best, known[best]


def _contrasts(ink: np.ndarray, angles: np.ndarray, known: dict[float, np.ndarray]) -> np.ndarray:
    """The row-profile contrast of ``ink`` turned by each angle; ``known`` as in
    :func:`_best_angle`."""
    for angle in angles.tolist():
        if angle not in known:
            known[angle] = _row_sums(_turn(ink, angle))
    return np.array([_profile_contrast(known[angle]) for angle in angles.tolist()])


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise by ``angle`` degrees, growing the canvas so no text is cut."""
    if angle == 0.0:
        return gray
    matrix, size = _rotation(gray.shape, angle)
    return cv2.warpAffine(
        gray,
        matrix,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )


def _rotation(shape: tuple[int, ...], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """:func:`rotate`'s 2x3 matrix, the canvas growth's shift included, and its (width,
    height)."""
    height, width = shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width = int(round(height * sin + width * cos))
    new_height = int(round(height * cos + width * sin))
    matrix[0, 2] += (new_width - width) / 2
    matrix[1, 2] += (new_height - height) / 2
    return matrix, (new_width, new_height)


def flatten_background(gray: np.ndarray) -> np.ndarray:
    """Divide by an estimate of the paper's brightness so shadows and uneven light vanish.

    The estimate is a max filter (ink removed) on an 8x smaller copy, blurred and scaled back:
    the same result as a large closing at full size for a fraction of the cost.
    """
    factor = 8
    small = shrink(gray, max(1, gray.shape[1] // factor), max(1, gray.shape[0] // factor))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))
    # at least 1 before enlarging: a blend of values of 1 or more is 1 or more
    paper = np.maximum(cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), 3), 1)
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, paper, scale=255)


def denoise(gray: np.ndarray) -> np.ndarray:
    """A light blur: pixel noise and JPEG ringing go, 300-dpi strokes stay."""
    return cv2.GaussianBlur(gray, (3, 3), 0)


def binarise(gray: np.ndarray) -> np.ndarray:
    """Local mean threshold (a box filter: cheap at any window size); 0 = ink, 255 = paper.

    The window (about 4 mm at 300 dpi) is wide against a stroke, so letters are not hollowed.
    """
    block = _odd(max(15, gray.shape[1] // 48))
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 10
    )


def whiten_paper(gray: np.ndarray, binary: np.ndarray, margin: int = 2) -> np.ndarray:
    """Set everything but the ink (grown by ``margin`` px to keep stroke edges) to white.

    Eroding the paper is growing the ink, and OR with 255 whitens: two cheap whole-image ops.
    """
    size = 2 * margin + 1
    return cv2.bitwise_or(gray, cv2.erode(binary, np.ones((size, size), np.uint8)))


def remove_stray_ink(binary: np.ndarray, min_area: int = 6) -> np.ndarray:
    """Drop specks smaller than the smallest diacritic dot, and large ink touching the image
    edge (photocopier bands, scanner-lid shadows), in one connected-components pass."""
    count, labels, stats, _ = connected_components(cv2.bitwise_not(binary))
    if count <= 1:
        return binary
    height, width = binary.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    box_width, box_height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    touches = (left == 0) | (top == 0) | (left + box_width == width) | (top + box_height == height)
    large = (box_width > width // 8) | (box_height > height // 8)
    stray = (stats[:, cv2.CC_STAT_AREA] < min_area) | (touches & large)
    stray[0] = False  # label 0 is the paper
    if not stray.any():
        return binary
    boxes = stats[stray].astype(np.int64)
    box_area = boxes[:, cv2.CC_STAT_WIDTH] @ boxes[:, cv2.CC_STAT_HEIGHT]
    # A scan has a few hundred specks: clearing each inside its box beats a whole-page lookup,
    # unless the boxes (heavy noise, a band along the edge) cover about as much as the page.
    if box_area + _PIXELS_PER_LOOP * len(boxes) >= binary.size:
        return cv2.max(binary, (stray.astype(np.uint8) * 255)[labels])
    cleaned = binary.copy()
    for label, (left, top, box_width, box_height, _) in zip(
        np.flatnonzero(stray).tolist(), boxes.tolist(), strict=True
    ):
        rows, cols = slice(top, top + box_height), slice(left, left + box_width)
        cleaned[rows, cols][labels[rows, cols] == label] = 255
    return cleaned


def connected_components(ink: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components with their stats; 16-bit labels halve the pass's memory traffic,
    and OpenCV raises rather than wrap when a page (heavy noise) has more than 65535 of them."""
    try:
        return cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        return cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_32S)


def _odd(value: int) -> int:
    return value if value % 2 else value + 1
