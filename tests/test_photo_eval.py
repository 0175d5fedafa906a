"""The real-photo evaluation: its scoring rules on strings written here, and its truth files."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.evaluation.fields_eval import shared_dir
from pipeline.evaluation.metrics import word_f1, word_matches, words
from pipeline.evaluation.photo_eval import TRUTH_DIR, cer_text, score, transcribed_photos

PHOTOS = shared_dir(None) / "data" / "photos"


def test_words_strip_punctuation_at_edges_only() -> None:
    assert words("Căn cứ (nếu có); Số: 52-NQ/TW, tỷ lệ 4,1% - | ...") == [
        "Căn", "cứ", "nếu", "có", "Số", "52-NQ/TW", "tỷ", "lệ", "4,1",
    ]


def test_words_are_nfc_and_case_sensitive() -> None:
    decomposed = unicodedata.normalize("NFD", "Hòa")
    assert words(decomposed) == ["Hòa"]
    assert word_matches("HÒA hòa", "Hòa hòa") == (1, 2, 2)


def test_word_f1_is_a_bag_of_words() -> None:
    truth = "xã Hòa Bình\nhuyện Mỹ Đức"
    assert word_f1("huyện Mỹ Đức xã Hòa Bình", truth) == 1.0
    # 5 of the 6 read right, one with a wrong tone, one extra: P = 5/7, R = 5/6.
    assert word_matches("xã Hòa Bính huyện Mỹ Đức rác", truth) == (5, 7, 6)
    assert word_f1("xã Hòa Bính huyện Mỹ Đức rác", truth) == pytest.approx(10 / 13)
    # A repeated word matches only as often as the truth has it.
    assert word_matches("Bình Bình Bình", "Bình Bình") == (2, 3, 2)
    assert word_f1("", "") == 1.0
    assert word_f1("", "xã") == 0.0


def test_unreadable_words_leave_the_truth_and_do_not_count() -> None:
    truth = "phòng Bộ (qua Email: <?>) để tổng hợp chung.\n<?>"
    perfect = score("phòng Bộ (qua Email: ) để tổng hợp chung.", truth)
    assert (perfect.matched, perfect.predicted, perfect.actual) == (8, 8, 8)
    assert perfect.f1 == 1.0 and perfect.cer == 0.0
    # What a system reads where the truth has <?> is an extra word, no more.
    guessed = score("phòng Bộ (qua Email: a@b.vn) để tổng hợp chung.", truth)
    assert (guessed.matched, guessed.predicted, guessed.actual) == (8, 9, 8)


def test_cer_ignores_cell_bars_and_leader_length() -> None:
    assert cer_text("3. Chỉ thị | 13. Dự án") == "3. Chỉ thị   13. Dự án"
    assert cer_text("Địa chỉ (4) ..............\nngày…… tháng") == "Địa chỉ (4) ...\nngày... tháng"
    truth = "Địa chỉ (4) ...\n1. Nghị quyết | 11. Phương án"
    read = "Địa chỉ (4) .......................\n1. Nghị quyết 11. Phương án"
    assert score(read, truth).cer == 0.0
    assert score("Địa chi (4) ...\n1. Nghị quyết 11. Phương án", truth).char_errors == 1


def test_truth_files_are_valid() -> None:
    truths = sorted(TRUTH_DIR.glob("*.txt"))
    assert len(truths) >= 6
    for truth in truths:
        text = truth.read_text(encoding="utf-8")
        assert text == unicodedata.normalize("NFC", text), truth.name
        assert len(words(text.replace("<?>", " "))) >= 50, truth.name
        assert all(line.strip() == line and line for line in text.splitlines()), truth.name


@pytest.mark.skipif(not PHOTOS.is_dir(), reason=f"shared photos not found at {PHOTOS}")
def test_every_truth_file_names_a_shared_photo() -> None:
    truths = sorted(TRUTH_DIR.glob("*.txt"))
    pairs = transcribed_photos(PHOTOS)
    assert [truth for _, truth in pairs] == truths
    assert len({photo for photo, _ in pairs}) == len(truths)
