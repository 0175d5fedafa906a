"""``vnplan channel build``: count the OCR channel from renders of our own text.

Takes minutes (Tesseract reads a few hundred rendered pages), so the result is
committed as pipeline/data/ocr_channel.json.gz and rebuilt only on purpose.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .align import LOOKALIKES, align_syllables
from .channel import ChannelModel, count_pairs, save_channels
from .renders import VARIANTS, page_pairs

MIN_COUNT = 2  # syllable readings seen once are left to the character model


def build_channels(work: Path, output: Path, workers: int = 2) -> dict[str, ChannelModel]:
    """Render, OCR (cached in work), align and count; one model per OCR language."""
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for page in page_pairs(work, variants=VARIANTS, workers=workers):
        pairs[page.lang].extend(align_syllables(page.truth, page.ocr))
    channels = {
        lang: count_pairs(found, MIN_COUNT, LOOKALIKES) for lang, found in sorted(pairs.items())
    }
    save_channels(channels, output)
    return channels
