"""Plain data passed between the stages: OCR results from word level up to a batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


# Box, Word and Line are slotted: a long document holds hundreds of thousands of them, and a
# slotted instance is a third of the size of one with a __dict__.
@dataclass(frozen=True, slots=True)
class Box:
    """Pixel rectangle in the original scan's pixels (the page as read from the file, before
    any cleanup turned, deskewed, rectified or enlarged it), so it can be cropped from, or
    drawn over, the input itself. A word the cleanup turned by a few degrees gets the upright
    rectangle around it."""

    left: int
    top: int
    width: int
    height: int

    @staticmethod
    def around(boxes: Iterable[Box]) -> Box:
        """The smallest box holding all of them (a block's, from its lines')."""
        boxes = list(boxes)
        left, top = min(b.left for b in boxes), min(b.top for b in boxes)
        right = max(b.left + b.width for b in boxes)
        bottom = max(b.top + b.height for b in boxes)
        return Box(left, top, right - left, bottom - top)


@dataclass(slots=True)
class Word:
    text: str
    confidence: float  # Tesseract's 0-100 word confidence
    box: Box
    corrected_from: str | None = None  # Tesseract's reading, when correction changed it
    correction_score: float | None = None  # log P(reading | correction) under the channel
    # per letter of Tesseract's reading, on an enlarged page: (the letter read, 0.0) then the
    # letters its LSTM weighed there, with their cost in nats (ocr.CHOICE_SPAN); () when it
    # weighed none. Stored with the page, for its correction again; not written out.
    choices: tuple[tuple[tuple[str, float], ...], ...] = ()


@dataclass(slots=True)
class Line:
    words: list[Word]
    box: Box
    paragraph: int  # running paragraph index on the page; a change starts a new text block
    # a seal's, a signature's or a speck's marks read as text: kept with its words and box
    # (JSON, ALTO, hOCR), left out of the page's text
    junk: bool = False

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def raw_text(self) -> str:
        """What Tesseract read, before correction."""
        return " ".join(word.corrected_from or word.text for word in self.words)


@dataclass
class Page:
    number: int  # 1-based position in the document (which may span several files)
    width: int  # the scan's size in pixels, the frame of every box
    height: int
    deskew_angle: float  # degrees the cleanup rotated the page by (0.0 when not cleaned)
    rotation: int = 0  # quarter turns (degrees, counter-clockwise) the cleanup applied first
    scale: float = 1.0  # enlargement the cleanup applied to a low-resolution page
    lines: list[Line] = field(default_factory=list)
    dpi: float | None = None  # the input's resolution (PDFs: rendered at 300), None: not given
    text_source: str = "ocr"  # "ocr": Tesseract read it; "pdf": the PDF's own text layer
    source: Path | None = None  # the file the page was read from: a document may span several
    source_page: int | None = None  # its 1-based page number in that file
    # What read it, for an audit: whose layout found its lines ("detector", or "tesseract": asked
    # for, or the detector missed the text; None: not OCR'd), the Tesseract models (as its -l)
    # that read them, with how many lines each read ("Vietnamese+vie": the Vietnamese script
    # model, for small or blurred letters), and how much the page was widened for them
    layout: str | None = None
    models: dict[str, int] = field(default_factory=dict)
    widening: float = 1.0

    @property
    def text_angle(self) -> float:
        """Degrees counter-clockwise at which the text stands on the scan: the cleanup's turns
        undone (90 for a page scanned turned a quarter counter-clockwise)."""
        return round(-(self.rotation + self.deskew_angle) % 360, 2)

    @property
    def blocks(self) -> list[list[Line]]:
        """Runs of consecutive lines of one paragraph: the text blocks of ALTO and hOCR."""
        blocks: list[list[Line]] = []
        for line in self.lines:
            if blocks and line.paragraph == blocks[-1][-1].paragraph:
                blocks[-1].append(line)
            else:
                blocks.append([line])
        return blocks

    @property
    def text(self) -> str:
        """Lines in reading order, with an empty line between Tesseract's paragraphs; junk
        lines left out."""
        return self._joined([line.text for line in self.lines])

    @property
    def raw_text(self) -> str:
        """The same, as Tesseract read it before correction."""
        return self._joined([line.raw_text for line in self.lines])

    def _joined(self, texts: list[str]) -> str:
        parts: list[str] = []
        previous_paragraph: int | None = None
        for line, text in zip(self.lines, texts, strict=True):
            if line.junk:
                continue
            if previous_paragraph is not None and line.paragraph != previous_paragraph:
                parts.append("")
            parts.append(text)
            previous_paragraph = line.paragraph
        return "\n".join(parts)


@dataclass
class Document:
    source: Path
    pages: list[Page]

    @property
    def text(self) -> str:
        """Page texts separated by form feeds, so page boundaries survive in plain text."""
        return "\f".join(page.text for page in self.pages)

    @property
    def raw_text(self) -> str:
        return "\f".join(page.raw_text for page in self.pages)


@dataclass(frozen=True)
class WordCounts:
    """A document's words at a glance, as the batch report shows them; kept in the manifest
    so that the report never reads a long document's pages back."""

    words: int
    mean_confidence: float | None  # None: no words
    corrected: int
    doubted: int


@dataclass(frozen=True)
class Failure:
    source: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class DocumentResult:
    source: Path
    pages: int
    outputs: list[Path]


@dataclass
class BatchResult:
    done: list[DocumentResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # done by an earlier run, unchanged
    seconds: float = 0.0
    peak_worker_mb: float = 0.0  # largest resident memory of any worker process
    notes: list[str] = field(default_factory=list)  # what the run tells besides (--adapt)

    @property
    def pages(self) -> int:
        return sum(result.pages for result in self.done)
