"""Plain data passed between the stages: OCR results from word level up to a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Box:
    """Pixel rectangle in the coordinates of the image Tesseract read (after cleanup)."""

    left: int
    top: int
    width: int
    height: int


@dataclass
class Word:
    text: str
    confidence: float  # Tesseract's 0-100 word confidence
    box: Box
    corrected_from: str | None = None  # Tesseract's reading, when correction changed it
    correction_score: float | None = None  # log P(reading | correction) under the channel


@dataclass
class Line:
    words: list[Word]
    box: Box
    paragraph: int  # running paragraph index on the page; a change starts a new text block

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def raw_text(self) -> str:
        """What Tesseract read, before correction."""
        return " ".join(word.corrected_from or word.text for word in self.words)


@dataclass
class Page:
    number: int  # 1-based position in the source document
    width: int
    height: int
    deskew_angle: float  # degrees the cleanup rotated the page by (0.0 when not cleaned)
    rotation: int = 0  # quarter turns (degrees, counter-clockwise) the cleanup applied first
    scale: float = 1.0  # enlargement the cleanup applied to a low-resolution page
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Lines in reading order, with an empty line between Tesseract's paragraphs."""
        return self._joined([line.text for line in self.lines])

    @property
    def raw_text(self) -> str:
        """The same, as Tesseract read it before correction."""
        return self._joined([line.raw_text for line in self.lines])

    def _joined(self, texts: list[str]) -> str:
        parts: list[str] = []
        previous_paragraph: int | None = None
        for line, text in zip(self.lines, texts, strict=True):
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

    @property
    def pages(self) -> int:
        return sum(result.pages for result in self.done)
