"""Fixtures: short plan pages written for the tests, rendered by the project's own generator."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.restore.build import BuildConfig, TextSource, build_model
from pipeline.restore.lm import LanguageModel
from pipeline.synth import degrade, render_pages

PLAN_A = """ỦY BAN NHÂN DÂN
XÃ HÒA BÌNH
Số: 18/KH-UBND

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Hòa Bình, ngày 5 tháng 4 năm 2024

KẾ HOẠCH
Hỗ trợ sửa chữa nhà ở cho hộ nghèo năm 2024

I. MỤC ĐÍCH, YÊU CẦU
Huy động sức mạnh của cộng đồng để giúp các hộ nghèo có nhà ở an toàn trước mùa mưa bão.
Phấn đấu đến tháng 9 năm 2024 hoàn thành sửa chữa mười hai căn nhà cho hộ nghèo trong xã.

Nơi nhận:
- UBND huyện;
- Lưu: VT.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
(Đã ký)
Lê Văn Thắng
"""

PLAN_B = """KẾ HOẠCH
Tuyên truyền về bảo hiểm y tế cho đồng bào dân tộc thiểu số

Các thôn tổ chức họp dân, phát tờ rơi và hướng dẫn người dân đăng ký khám chữa bệnh.
Trạm Y tế xã phối hợp với Hội Liên hiệp Phụ nữ kiểm tra việc thực hiện hằng tháng.
"""


@pytest.fixture(scope="session")
def _pixels_a() -> np.ndarray:
    return np.asarray(degrade(render_pages(PLAN_A)[0].image, seed=1, level="scan"))


@pytest.fixture(scope="session")
def _pixels_b() -> np.ndarray:
    return np.asarray(degrade(render_pages(PLAN_B)[0].image, seed=2, level="scan"))


@pytest.fixture
def page_a(_pixels_a: np.ndarray) -> Image.Image:
    """A fresh image per test: Pillow keeps per-save state on the object."""
    return Image.fromarray(_pixels_a)


@pytest.fixture
def page_b(_pixels_b: np.ndarray) -> Image.Image:
    return Image.fromarray(_pixels_b)


@pytest.fixture
def png_a(tmp_path: Path, page_a: Image.Image) -> Path:
    path = tmp_path / "ke-hoach-a.png"
    page_a.save(path, dpi=(300, 300))
    return path


def tiny_model(
    lines: Iterable[str], path: Path, entries: Iterable[str] = ()
) -> LanguageModel:
    """A syllable LM built from a few lines of text (and lexicon ``entries``), saved to
    ``path`` and loaded back, as a user's model is."""
    sources = [TextSource(line, 1) for line in lines]
    sources += [TextSource(entry, 1, is_entry=True) for entry in entries]
    build_model(sources, BuildConfig()).save(path)
    return LanguageModel.load(path)
