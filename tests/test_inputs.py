"""Odd image files: each is read correctly or refused with a clear reason, never a crash."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.api import ocr_document
from pipeline.errors import InputError
from pipeline.inputs import read_pages


def test_one_pixel_image_gives_an_empty_page(tmp_path: Path) -> None:
    path = tmp_path / "diem.png"
    Image.new("L", (1, 1), 255).save(path)
    document = ocr_document(path)
    assert len(document.pages) == 1
    assert document.text.strip() == ""


def test_16_bit_tiff_is_scaled_to_8_bit(tmp_path: Path, page_a: Image.Image) -> None:
    path = tmp_path / "sau-muoi-sau-bit.tif"
    wide = (np.asarray(page_a, dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(wide).save(path)  # mode I;16
    pixels = next(read_pages(path)).pixels
    assert pixels.dtype == np.uint8 and pixels.max() > 200 and pixels.min() < 60
    assert "KẾ HOẠCH" in ocr_document(path).text


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path, page_a: Image.Image) -> None:
    path = tmp_path / "cmyk.jpg"
    page_a.convert("CMYK").save(path, quality=92)
    pixels = next(read_pages(path)).pixels
    assert pixels.shape[2] == 3 and pixels.dtype == np.uint8
    assert "KẾ HOẠCH" in ocr_document(path).text


def test_transparent_png_is_laid_on_white(tmp_path: Path, page_a: Image.Image) -> None:
    path = tmp_path / "trong-suot.png"
    rgba = page_a.convert("RGBA")
    alpha = np.asarray(page_a).copy()
    alpha[:] = 255
    alpha[:200, :] = 0  # a transparent (black) strip must come out as white paper
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(path)
    pixels = next(read_pages(path)).pixels
    assert (pixels[:200] == 255).all()
    assert "KẾ HOẠCH" in ocr_document(path).text


def _png_claiming_size(path: Path, width: int, height: int) -> None:
    """A valid-looking PNG whose header claims a huge size (the pixel data is not there)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_gigantic_image_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "khong-lo.png"
    _png_claiming_size(path, 20000, 20000)
    with pytest.raises(InputError, match="too large"):
        list(read_pages(path))
