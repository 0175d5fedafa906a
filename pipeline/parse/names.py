"""Personal names as a signature prints them, read back through OCR damage.

A Vietnamese name is a family name, middle names and a given name. Family names come from a
short closed list and a few middle names are very common, so when OCR loses or shifts a mark
on one of them ("Nguyên" for "Nguyễn", "Thi" for "Thị") the spelling the accent-free letters
stand for is restored. Given names are open: they are left as read.
"""

from __future__ import annotations

import re

from pipeline.parse.text import fold

# The most frequent family names (together well over 95% of the population).
FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Vương", "Trịnh", "Trương", "Lâm", "Phùng", "Mai",
    "Tô", "Hà", "Tạ", "Cao", "Lương", "Đinh", "Chu", "Quách", "Lưu", "Thái", "Châu", "Kiều",
    "Lại", "Khúc", "Đàm", "Triệu", "Nông", "Lò", "Hứa", "Tăng", "Thân", "Lục", "Kim", "Giang",
)
# Middle names whose accent-free spelling stands for one name only.
MIDDLE_NAMES = ("Văn", "Thị", "Đình", "Đức", "Hữu", "Quốc", "Xuân", "Trọng")
_FAMILY = {fold(n): n for n in FAMILY_NAMES}
_MIDDLE = {fold(n): n for n in MIDDLE_NAMES}


def looks_like_name(text: str) -> bool:
    """2-5 alphabetic words, the first capitalised: a signer's name as OCR may leave it."""
    words = text.split()
    return (
        2 <= len(words) <= 5
        and all(re.fullmatch(r"[^\W\d_]{2,}", w) for w in words)
        and words[0][0].isupper()
        and sum(w[0].isupper() for w in words) >= len(words) - 1
    )


def is_family_name(word: str) -> bool:
    """A family name of the list, whatever marks OCR left on it."""
    return fold(word).casefold() in _FAMILY


def normalise_name(text: str) -> str:
    """Each word capitalised; the family name and common middle names spelled as they must be
    when OCR changed only their marks."""
    words = [w[:1].upper() + w[1:].lower() for w in text.split()]
    if words and fold(words[0]) in _FAMILY:
        words[0] = _FAMILY[fold(words[0])]
    for i in range(1, len(words) - 1):
        words[i] = _MIDDLE.get(fold(words[i]), words[i])
    return " ".join(words)
