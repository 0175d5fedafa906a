"""Synthetic scan-like page images of Vietnamese plan documents (kế hoạch).

Samples, test fixtures and OCR evaluation need page images whose exact text is known. This module
lays plan text out the way Nghị định 30/2020/NĐ-CP prescribes (two-column header, title, body,
recipients beside the signature), draws it with a Times-compatible font and can then make the page
look scanned (tilt, blur, grey paper, uneven light, noise, stamp, JPEG artefacts).

Input text: blocks separated by one empty line - header left column, header right column, title
("KẾ HOẠCH" + title lines), body blocks, recipients ("Nơi nhận:" ...), signature. Text with fewer
than five blocks is laid out entirely as body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
FONT_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
    "bolditalic": "LiberationSerif-BoldItalic.ttf",
}
A4_MM = (210.0, 297.0)
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}  # Nghị định 30, Phụ lục I
LINE_SPACING = 1.15  # multiple of the font's natural line height (ascent + descent)
LEFT_COLUMN = 0.45  # share of the text width used by the left header / recipients column
INDENT_MM = 12.7  # first-line paragraph indent
SIGNATURE_SPACE = 2.5  # blank lines left for the handwritten signature, in line heights
SIGNATURE_KEY = "vnplan.signature_box"  # Image.info key: where degrade() puts the stamp
MIN_STRUCTURED_BLOCKS = 5
GRAY_LEVELS = 16  # levels kept in written PNGs: small files, still OCR-able
PAPER_TOLERANCE = 12  # grey values within which a written pixel counts as bare paper

HEADING_RE = re.compile(r"^(?:[IVXLCDM]+\.|\d+(?:\.\d+)*\.)\s")

Key = tuple[int, int]  # (block index, line index) of a source line
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


@dataclass
class RenderedPage:
    """One rendered page and the source text printed on it (lines in reading order)."""

    image: Image.Image
    truth: str


@dataclass(frozen=True)
class _Styled:
    """A source line with the typography its role in the document calls for."""

    key: Key
    text: str
    style: str
    size_pt: float
    space_before: float = 0.0  # in line heights
    underline: float = 0.0  # rule under the line, as a fraction of its width (0 = none)


@dataclass
class _Piece:
    """One drawn line of text; ``justify_to`` spreads its words over that many pixels."""

    text: str
    font: ImageFont.FreeTypeFont
    x: int
    baseline: int
    justify_to: int | None = None


@dataclass
class _Band:
    """A vertical slice of the page that a page break must not split (coordinates band-relative)."""

    height: int = 0
    pieces: list[_Piece] = field(default_factory=list)
    rules: list[Box] = field(default_factory=list)
    truth: list[tuple[Key, str]] = field(default_factory=list)
    signature: Box | None = None
    gap: bool = False  # blank spacing, dropped at the top of a page


@dataclass(frozen=True)
class _Geometry:
    """Page size and margins in pixels for a resolution and body font size."""

    dpi: int
    font_size_pt: float

    def mm(self, value: float) -> int:
        return round(value * self.dpi / 25.4)

    def pt(self, value: float) -> int:
        return round(value * self.dpi / 72)

    @property
    def size(self) -> tuple[int, int]:
        return self.mm(A4_MM[0]), self.mm(A4_MM[1])

    @property
    def left(self) -> int:
        return self.mm(MARGIN_MM["left"])

    @property
    def top(self) -> int:
        return self.mm(MARGIN_MM["top"])

    @property
    def bottom(self) -> int:
        return self.size[1] - self.mm(MARGIN_MM["bottom"])

    @property
    def text_width(self) -> int:
        return self.size[0] - self.mm(MARGIN_MM["right"]) - self.left

    @property
    def split(self) -> int:
        """Width of the left column; the right column takes the rest of the text width."""
        return round(self.text_width * LEFT_COLUMN)


def font_path(style: str = "regular") -> Path:
    """Locate a Liberation Serif face, failing with the fix rather than a bare OSError."""
    name = FONT_FILES[style]
    for directory in FONT_DIRS:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"{name} not found in {', '.join(map(str, FONT_DIRS))}; "
        "install the fonts-liberation2 package (apt-get install fonts-liberation2)"
    )


@lru_cache(maxsize=64)
def _font(style: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(style)), size_px)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return round((ascent + descent) * LINE_SPACING)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, indent: int = 0) -> list[str]:
    """Greedy word wrap; the first line is ``indent`` pixels shorter. Over-long words overflow."""
    lines: list[str] = []
    current: list[str] = []
    for word in text.split():
        available = width - (indent if not lines else 0)
        if current and font.getlength(" ".join([*current, word])) > available:
            lines.append(" ".join(current))
            current = []
        current.append(word)
    return [*lines, " ".join(current)] if current else lines


def _column(lines: list[_Styled], x0: int, width: int, geo: _Geometry, *, center: bool) -> _Band:
    """Stack lines in a column, each wrapped to the column and centred or flush left."""
    band = _Band()
    for line in lines:
        font = _font(line.style, geo.pt(line.size_pt))
        step = _line_height(font)
        band.height += round(line.space_before * step)
        segments = _wrap(line.text, font, width)
        for segment in segments:
            shift = (width - round(font.getlength(segment))) // 2 if center else 0
            baseline = band.height + font.getmetrics()[0]
            band.pieces.append(_Piece(segment, font, x0 + shift, baseline))
            band.truth.append((line.key, segment))
            band.height += step
        if line.underline:
            longest = max(font.getlength(segment) for segment in segments)
            _add_rule(band, line.underline * longest, x0 + width // 2, step)
    return band


def _add_rule(band: _Band, length: float, centre: int, step: int) -> None:
    """Horizontal rule on a strip of its own, clear of descenders and of the next line."""
    gap = step // 3
    y = band.height + gap // 3
    band.rules.append((round(centre - length / 2), y, round(centre + length / 2), y))
    band.height += gap


def _side_by_side(left: _Band, right: _Band) -> _Band:
    """Join two columns into one band; the left column comes first in reading order."""
    return _Band(
        height=max(left.height, right.height),
        pieces=left.pieces + right.pieces,
        rules=left.rules + right.rules,
        truth=left.truth + right.truth,
        signature=right.signature,
    )


def _gap(height: int) -> _Band:
    return _Band(height=height, gap=True)


def _header(left: list[str], right: list[str], geo: _Geometry) -> _Band:
    """Issuing body + number (left) beside national motto + place/date (right)."""
    small = geo.font_size_pt - 1
    issuer = [
        _Styled((0, i), text, "regular" if text.startswith("Số") else "bold", small)
        for i, text in enumerate(left)
    ]
    last_issuer = max((i for i, s in enumerate(issuer) if s.style == "bold"), default=None)
    if last_issuer is not None:
        issuer[last_issuer] = replace(issuer[last_issuer], underline=0.4)
    motto = [
        _Styled((1, i), text, *_motto_style(i, len(right), geo.font_size_pt))
        for i, text in enumerate(right)
    ]
    if len(motto) > 1:
        motto[1] = replace(motto[1], underline=1.0)
    return _side_by_side(
        _column(issuer, geo.left, geo.split, geo, center=True),
        _column(motto, geo.left + geo.split, geo.text_width - geo.split, geo, center=True),
    )


def _motto_style(index: int, count: int, size_pt: float) -> tuple[str, float]:
    """Motto line 12pt bold, slogan 13pt bold, the place/date line (last) 13pt italic."""
    if index == count - 1 and count > 2:
        return "italic", size_pt
    return "bold", size_pt - 1 if index == 0 else size_pt


def _title(lines: list[str], geo: _Geometry) -> _Band:
    """Document type and subject, bold and centred, with a short rule underneath."""
    styled = [_Styled((2, i), text, "bold", geo.font_size_pt) for i, text in enumerate(lines)]
    styled[-1] = replace(styled[-1], underline=0.3)
    width = round(geo.text_width * 0.85)
    return _column(styled, geo.left + (geo.text_width - width) // 2, width, geo, center=True)


def _is_heading(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(HEADING_RE.match(text)) or (bool(letters) and text.upper() == text)


def _paragraph(key: Key, text: str, geo: _Geometry) -> list[_Band]:
    """One band per wrapped line: indented first line, justified except the last line."""
    font = _font("bold" if _is_heading(text) else "regular", geo.pt(geo.font_size_pt))
    indent = geo.mm(INDENT_MM)
    segments = _wrap(text, font, geo.text_width, indent)
    bands = []
    for i, segment in enumerate(segments):
        x = geo.left + (indent if i == 0 else 0)
        last = i == len(segments) - 1 or " " not in segment
        justify = None if last else geo.left + geo.text_width - x
        piece = _Piece(segment, font, x, font.getmetrics()[0], justify)
        bands.append(_Band(height=_line_height(font), pieces=[piece], truth=[(key, segment)]))
    return bands


def _body(blocks: list[list[str]], first_index: int, geo: _Geometry) -> list[_Band]:
    """Paragraph bands for the body blocks, with a half-line gap between blocks."""
    gap = _line_height(_font("regular", geo.pt(geo.font_size_pt))) // 2
    bands: list[_Band] = []
    for b, block in enumerate(blocks, start=first_index):
        if bands:
            bands.append(_gap(gap))
        for i, text in enumerate(block):
            bands.extend(_paragraph((b, i), text, geo))
    return bands


def _closing(
    recipients: list[str], signature: list[str], first_index: int, geo: _Geometry
) -> _Band:
    """Recipients list (left, small) beside the signature block (right, with signing space)."""
    size = geo.font_size_pt
    rec = [  # "Nơi nhận:" 12pt bold italic, the list itself 11pt
        _Styled((first_index, i), text, "bolditalic", size - 1)
        if i == 0
        else _Styled((first_index, i), text, "regular", size - 2)
        for i, text in enumerate(recipients)
    ]
    sig = [
        _Styled((first_index + 1, i), text, _signature_style(text), size)
        for i, text in enumerate(signature)
    ]
    sig[-1] = replace(sig[-1], space_before=SIGNATURE_SPACE)
    right = _column(sig, geo.left + geo.split, geo.text_width - geo.split, geo, center=True)
    right.signature = (geo.left + geo.split, 0, geo.left + geo.text_width, right.height)
    return _side_by_side(_column(rec, geo.left, geo.split, geo, center=False), right)


def _signature_style(text: str) -> str:
    return "italic" if text.startswith("(") and text.endswith(")") else "bold"


def _split_blocks(text: str) -> list[list[str]]:
    """NFC-normalised, whitespace-collapsed lines grouped into blank-line separated blocks."""
    blocks = re.split(r"\n\s*\n", unicodedata.normalize("NFC", text).strip())
    lines = [[" ".join(line.split()) for line in block.splitlines()] for block in blocks]
    return [[line for line in block if line] for block in lines if any(block)]


def _layout(blocks: list[list[str]], geo: _Geometry) -> list[_Band]:
    """The whole document as a sequence of unbreakable bands in reading order."""
    if len(blocks) < MIN_STRUCTURED_BLOCKS:
        return _body(blocks, 0, geo)
    line = _line_height(_font("regular", geo.pt(geo.font_size_pt)))
    return [
        _header(blocks[0], blocks[1], geo),
        _gap(line),
        _title(blocks[2], geo),
        _gap(line // 2),
        *_body(blocks[3:-2], 3, geo),
        _gap(line // 2),
        _closing(blocks[-2], blocks[-1], len(blocks) - 2, geo),
    ]


def _paginate(bands: list[_Band], geo: _Geometry) -> list[list[tuple[int, _Band]]]:
    """Place bands top to bottom, starting a new page when the next band does not fit."""
    pages: list[list[tuple[int, _Band]]] = [[]]
    y = geo.top
    for band in bands:
        if pages[-1] and y + band.height > geo.bottom:
            pages.append([])
            y = geo.top
        if band.gap and not pages[-1]:
            continue
        pages[-1].append((y, band))
        y += band.height
    return pages


def _draw_piece(draw: ImageDraw.ImageDraw, piece: _Piece, top: int) -> None:
    y = top + piece.baseline
    if piece.justify_to is None:
        draw.text((piece.x, y), piece.text, font=piece.font, fill=0, anchor="ls")
        return
    words = piece.text.split()
    spare = piece.justify_to - sum(piece.font.getlength(w) for w in words)
    space = spare / (len(words) - 1)
    x = float(piece.x)
    for word in words:
        draw.text((round(x), y), word, font=piece.font, fill=0, anchor="ls")
        x += piece.font.getlength(word) + space


def _truth(placed: list[tuple[int, _Band]]) -> str:
    """Source lines on the page; wrapped pieces of one source line are joined back together."""
    lines: list[str] = []
    previous: Key | None = None
    for _, band in placed:
        for key, segment in band.truth:
            if key == previous:
                lines[-1] = f"{lines[-1]} {segment}"
            else:
                lines.append(segment)
            previous = key
    return "\n".join(lines)


def _render_page(placed: list[tuple[int, _Band]], geo: _Geometry) -> RenderedPage:
    image = Image.new("L", geo.size, 255)
    draw = ImageDraw.Draw(image)
    rule_width = max(1, geo.pt(0.75))
    for top, band in placed:
        for piece in band.pieces:
            _draw_piece(draw, piece, top)
        for x0, y0, x1, y1 in band.rules:
            draw.line((x0, top + y0, x1, top + y1), fill=0, width=rule_width)
        if band.signature:
            x0, y0, x1, y1 = band.signature
            image.info[SIGNATURE_KEY] = (x0, top + y0, x1, top + y1)
    image.info["dpi"] = (geo.dpi, geo.dpi)
    return RenderedPage(image=image, truth=_truth(placed))


def render_pages(text: str, *, dpi: int = 300, font_size_pt: float = 13.0) -> list[RenderedPage]:
    """Lay plan text out on A4 pages (mode "L"); the signature box goes in ``image.info``."""
    geo = _Geometry(dpi, font_size_pt)
    bands = _layout(_split_blocks(text), geo)
    return [_render_page(placed, geo) for placed in _paginate(bands, geo)]


# --- scan simulation -------------------------------------------------------------------------


LEVELS = (
    "clean", "scan", "photocopy", "skewed", "rotated90", "rotated180",
    "low-dpi", "colour-stamp", "heavy-noise", "shadowed",
)


def degrade(image: Image.Image, *, seed: int, level: str = "scan") -> Image.Image:
    """Make a rendered page look scanned the way ``level`` names; "clean" returns it unchanged.

    Every level starts from the ordinary "scan" look (slight tilt, blur, grey paper, noise,
    JPEG) and adds its own damage. Deterministic per seed. "colour-stamp" gives an RGB page,
    the others grey.
    """
    if level == "clean":
        return image
    if level not in LEVELS:
        raise ValueError(f"unknown degradation level {level!r} (one of: {', '.join(LEVELS)})")
    rng = np.random.default_rng(seed)
    dpi = image.info.get("dpi", (300, 300))[0]
    scale = dpi / 300
    page = np.asarray(image.convert("L"), dtype=np.float32) / 255  # 1 = paper, 0 = ink
    box = image.info.get(SIGNATURE_KEY)
    colour_stamp = None
    if box and level == "colour-stamp":
        colour_stamp = _stamp_alpha(page.shape, box, rng, scale, darkness=0.9)
    elif box:
        page *= 1 - _stamp_alpha(page.shape, box, rng, scale, darkness=rng.uniform(0.35, 0.5))
    if level == "photocopy":
        page = _photocopy(page, rng, scale)
    tilt = rng.uniform(0.3, 1.2) * rng.choice([-1, 1])
    if level == "skewed":
        tilt = rng.uniform(4.0, 12.0) * rng.choice([-1, 1])
    page = _rotate(page, tilt)
    ink, paper = rng.uniform(15, 40), rng.uniform(235, 245)
    page = _illuminate(ink + (paper - ink) * page, rng, strong=level == "shadowed")
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.6, 1.0) * scale)
    noise, quality = rng.uniform(2, 4), int(rng.integers(60, 76))
    if level == "heavy-noise":
        noise, quality = rng.uniform(14, 22), int(rng.integers(20, 35))
    page += rng.standard_normal(page.shape, dtype=np.float32) * noise
    if colour_stamp is not None:
        result = _jpeg(_tint(page, colour_stamp), quality)
    else:
        result = _jpeg(page, quality)
    if level == "low-dpi":
        dpi = 150
        result = result.resize((result.width // 2, result.height // 2), Image.Resampling.BOX)
    elif level in ("rotated90", "rotated180"):
        result = result.transpose(
            Image.Transpose.ROTATE_90 if level == "rotated90" else Image.Transpose.ROTATE_180
        )
    result.info["dpi"] = (dpi, dpi)
    return result


def _photocopy(page: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Hard contrast, thickened strokes, toner specks and a dark band along one edge."""
    page = np.where(page < rng.uniform(0.55, 0.7), 0.0, 1.0).astype(np.float32)
    page = cv2.erode(page, np.ones((2, 2), np.uint8))
    specks = rng.random(page.shape) < rng.uniform(0.0005, 0.0015)
    page[specks] = 0.0
    band = max(4, round(rng.uniform(25, 60) * scale))
    edge = rng.integers(4)
    if edge == 0:
        page[:, :band] = 0.1
    elif edge == 1:
        page[:, -band:] = 0.1
    elif edge == 2:
        page[:band, :] = 0.1
    else:
        page[-band:, :] = 0.1
    return page


def _tint(page: np.ndarray, stamp_alpha: np.ndarray) -> np.ndarray:
    """Grey page (0..255) to RGB with a red seal laid over it (ink under the seal stays dark)."""
    red = np.array([200.0, 30.0, 40.0], np.float32)
    rgb = np.repeat(page[:, :, None], 3, axis=2)
    alpha = stamp_alpha[:, :, None]
    return rgb * (1 - alpha) + np.minimum(rgb, red) * alpha


def _stamp_alpha(
    shape: tuple[int, ...], box: Box, rng: np.random.Generator, scale: float, darkness: float
) -> np.ndarray:
    """Opacity (0..1) of a round seal pressed over the left part of the signature block."""
    radius = round(rng.uniform(190, 215) * scale)
    x0, y0, x1, y1 = box
    cx = round(x0 + (x1 - x0) * rng.uniform(0.25, 0.4))
    cy = round((y0 + y1) / 2 + rng.uniform(-0.15, 0.15) * (y1 - y0))
    mask = _seal_mask(radius, rng)
    ink = cv2.resize(rng.uniform(0.45, 1.0, (6, 6)).astype(np.float32), mask.shape[::-1])
    alpha = cv2.GaussianBlur(mask, (0, 0), 1.2 * scale) * ink * darkness
    top, left = cy - mask.shape[0] // 2, cx - mask.shape[1] // 2
    t, lft = max(top, 0), max(left, 0)
    b, r = min(top + mask.shape[0], shape[0]), min(left + mask.shape[1], shape[1])
    page_alpha = np.zeros(shape[:2], np.float32)
    page_alpha[t:b, lft:r] = alpha[t - top : b - top, lft - left : r - left]
    return page_alpha


def _seal_mask(radius: int, rng: np.random.Generator) -> np.ndarray:
    """Outer ring, inner ring, a circle of letter-like marks and a centre star, as 0..1 floats."""
    size = 2 * radius + 8
    c = size // 2
    mask = np.zeros((size, size), np.uint8)
    thick = max(2, radius // 28)
    cv2.circle(mask, (c, c), radius, 255, thick, cv2.LINE_AA)
    cv2.circle(mask, (c, c), round(radius * 0.66), 255, max(1, thick // 2), cv2.LINE_AA)
    angles = np.linspace(0, 2 * np.pi, 46, endpoint=False) + rng.uniform(0, 2 * np.pi)
    angles = angles[rng.random(angles.size) > 0.15]  # word gaps
    inner, outer = radius * 0.74, radius * (0.88 + rng.uniform(-0.03, 0.03, angles.size))
    ends = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    marks = np.stack([c + ends * inner, c + ends * outer[:, None]], axis=1).round().astype(np.int32)
    cv2.polylines(mask, list(marks), False, 255, thick, cv2.LINE_AA)
    star = np.arange(10) * np.pi / 5 - np.pi / 2
    star_r = np.where(np.arange(10) % 2 == 0, radius * 0.3, radius * 0.12)
    points = np.stack([c + star_r * np.cos(star), c + star_r * np.sin(star)], axis=1)
    cv2.fillPoly(mask, [points.round().astype(np.int32)], 255, cv2.LINE_AA)
    return mask.astype(np.float32) / 255


def _illuminate(page: np.ndarray, rng: np.random.Generator, strong: bool = False) -> np.ndarray:
    """Darken the page linearly towards one random side, as an uneven scanner lamp does;
    ``strong`` is the shadow of a book fold or a hand over a photographed page."""
    h, w = page.shape
    angle = rng.uniform(0, 2 * np.pi)
    cos, sin = np.cos(angle), np.sin(angle)
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :] * np.float32(cos)
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None] * np.float32(sin)
    depth = np.float32(rng.uniform(*((0.45, 0.6) if strong else (0.05, 0.12))))
    depth /= np.float32(abs(cos) + abs(sin))
    return page * (1 - depth * (xs + ys + np.float32((abs(cos) + abs(sin)) / 2)))


def _rotate(page: np.ndarray, degrees: float) -> np.ndarray:
    """Tilt the sheet as if fed askew; uncovered corners become blank paper."""
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=1.0)


def _jpeg(page: np.ndarray, quality: int) -> Image.Image:
    """JPEG round trip of a grey (H, W) or RGB (H, W, 3) page of 0..255 floats."""
    pixels = np.clip(page, 0, 255).round().astype(np.uint8)
    colour = pixels.ndim == 3
    if colour:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not JPEG-encode the page")
    if colour:
        decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        return Image.fromarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), mode="RGB")
    return Image.fromarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE), mode="L")


def _compact(image: Image.Image, levels: int = GRAY_LEVELS) -> Image.Image:
    """Posterise for small committed PNGs: pixels close to the local paper tone take the smooth
    paper tone (noise and JPEG ringing compress badly), all pixels are cut to ``levels`` greys."""
    pixels = np.asarray(image, dtype=np.uint8)
    paper = _paper_tone(pixels)
    near = np.abs(pixels.astype(np.int16) - paper) <= PAPER_TOLERANCE
    step = 255 / (levels - 1)
    lut = (np.round(np.arange(256) / step) * step).round().astype(np.uint8)
    result = Image.fromarray(lut[np.where(near, paper, pixels)], mode="L")
    result.info["dpi"] = image.info.get("dpi", (300, 300))
    return result


def _paper_tone(pixels: np.ndarray) -> np.ndarray:
    """Smooth paper brightness: local maximum of a 1/16-scale copy (no text), blurred, upscaled."""
    h, w = pixels.shape
    small = cv2.resize(pixels, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(cv2.dilate(small, np.ones((5, 5), np.uint8)), (0, 0), 2)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def write_scans(
    text_path: Path, out_dir: Path, *, seed: int = 0, level: str = "scan"
) -> list[Path]:
    """Render a plan text file, degrade each page and write ``<stem>-p<N>.png`` + ``.gt.txt``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = render_pages(text_path.read_text(encoding="utf-8"))
    paths = []
    for number, page in enumerate(pages, start=1):
        # Page N uses seed + N - 1: every page looks different, yet reruns are byte-identical.
        image = _compact(degrade(page.image, seed=seed + number - 1, level=level))
        png = out_dir / f"{text_path.stem}-p{number}.png"
        image.save(png, optimize=True, dpi=image.info["dpi"])
        png.with_suffix(".gt.txt").write_text(page.truth + "\n", encoding="utf-8")
        paths.append(png)
    return paths
