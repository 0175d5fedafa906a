"""Aligned (truth, OCR) page pairs made from the project's own Vietnamese text.

The channel model must learn how OCR engines damage Vietnamese without ever
seeing the documents it is judged on, so it renders our own texts
(dictionaries/corpus, samples) into scan-like pages and reads them back with
Tesseract: English model for legacy-OCR damage, Vietnamese for its own errors.
Results are cached per page in a work folder, so a rebuild only re-counts.
"""

from __future__ import annotations

import os
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.synth import degrade, render_pages

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXTS = (REPO_ROOT / "dictionaries" / "corpus", REPO_ROOT / "samples")


@dataclass(frozen=True)
class Variant:
    """One way of printing and reading a text: resolution, type size, OCR language."""

    name: str
    dpi: int
    font_pt: float
    lang: str


VARIANTS = (
    Variant("eng300", 300, 13.0, "eng"),
    Variant("eng200", 200, 12.0, "eng"),
    Variant("eng250", 250, 11.0, "eng"),
    Variant("eng150", 150, 13.0, "eng"),
    Variant("vie200", 200, 11.0, "vie"),
)


@dataclass(frozen=True)
class PagePair:
    truth: str
    ocr: str
    lang: str


def source_texts(roots: tuple[Path, ...] = DEFAULT_TEXTS) -> list[Path]:
    return sorted(p for root in roots for p in root.glob("*.txt"))


def _tesseract(png: Path, lang: str) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # parallel pages, not threads
    done = subprocess.run(
        ["tesseract", str(png), "-", "-l", lang, "--psm", "4"],
        check=True, capture_output=True, text=True, env=env,
    )
    return done.stdout


def _render_text(text_path: Path, variant: Variant, work: Path) -> list[tuple[Path, Path]]:
    """Render and degrade one text; (png, truth) paths of its pages, cached."""
    stem = f"{text_path.stem}.{variant.name}"
    done = sorted(work.glob(f"{stem}-p*.png"))
    if done:
        return [(png, png.with_suffix(".gt.txt")) for png in done]
    text = text_path.read_text(encoding="utf-8")
    out = []
    pages = render_pages(text, dpi=variant.dpi, font_size_pt=variant.font_pt)
    for number, page in enumerate(pages, start=1):
        seed = zlib.crc32(f"{stem}-{number}".encode())  # stable across runs
        png = work / f"{stem}-p{number}.png"
        degrade(page.image, seed=seed).save(png)
        truth = png.with_suffix(".gt.txt")
        truth.write_text(page.truth + "\n", encoding="utf-8")
        out.append((png, truth))
    return out


def _read_page(png: Path, truth: Path, lang: str) -> PagePair:
    cached = png.with_suffix(f".{lang}.txt")
    if not cached.exists():
        cached.write_text(_tesseract(png, lang), encoding="utf-8")
    return PagePair(truth.read_text(encoding="utf-8"), cached.read_text(encoding="utf-8"), lang)


def page_pairs(
    work: Path, texts: list[Path] | None = None, variants: tuple[Variant, ...] = VARIANTS,
    workers: int = 2,
) -> list[PagePair]:
    """Every (truth, OCR) page of every text in every variant; renders what is missing."""
    work.mkdir(parents=True, exist_ok=True)
    jobs = [
        (png, truth, variant.lang)
        for variant in variants
        for text in (texts or source_texts())
        for png, truth in _render_text(text, variant, work)
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: _read_page(*job), jobs))
