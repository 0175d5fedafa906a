"""Archive adaptation: which OCR lines teach the model, and what the model learns from them."""

from __future__ import annotations

from pipeline.restore import restore_text
from pipeline.restore.adapt import WordReading, adapt, confident_lines
from pipeline.restore.build import BuildConfig, TextSource, build_model

BASE = [
    "Trưởng ban chỉ đạo xã chủ trì họp.",
    "Trưởng phòng Văn hóa báo cáo kết quả thực hiện.",
    "Ủy ban nhân dân xã ban hành kế hoạch thực hiện.",
    "Khóa học bồi dưỡng cán bộ năm nay.",
]
SCHOOL = [
    "Trường tổ chức tự đánh giá chương trình đào tạo của Khoa.",
    "Hội đồng tự đánh giá của Trường họp định kỳ mỗi tháng.",
    "Khoa báo cáo kết quả đào tạo với Ban giám hiệu nhà Trường.",
    "Sinh viên của Khoa tham gia nghiên cứu khoa học.",
]


def _reading(text: str, confidence: float = 95.0) -> list[WordReading]:
    return [WordReading(word, confidence) for word in text.split()]


def test_only_lines_the_ocr_was_sure_of_in_every_word_teach() -> None:
    known = {"UBND"}.__contains__
    lines = [
        _reading("Trường tổ chức tự đánh giá năm 2025."),
        _reading("UBND xã ban hành kế hoạch số 12/KH-UBND."),
        _reading("Trường tổ chức tự đánh giá") + [WordReading("năm", 40.0)],  # one doubted word
        _reading("Trưòng tổ chúc tư đánh gia xyzq"),  # not Vietnamese as written
        _reading("Ngày 5 tháng"),  # too short to teach context
    ]
    assert confident_lines(lines, known) == [
        "Trường tổ chức tự đánh giá năm 2025.",
        "UBND xã ban hành kế hoạch số 12/KH-UBND.",
    ]


def test_a_batch_of_another_genre_teaches_its_own_words() -> None:
    """A base of plans reads "Truong" as the head of a board; a batch of school reports
    teaches the school, the weight chosen on the batch's own held-out lines."""
    config = BuildConfig()
    base = [TextSource(line, 1) for line in BASE]
    batch = SCHOOL * 10
    stripped = "Hoi dong tu danh gia cua Truong hop dinh ky"
    assert "Trưởng" in restore_text(stripped, build_model(base, config), mode="stripped")
    adapted = adapt(batch, config, base)
    assert adapted.weight > 0 and adapted.accuracy[adapted.weight] > adapted.accuracy[0]
    assert adapted.taught == 40 and adapted.held_out == 4
    assert restore_text(stripped, adapted.model, mode="stripped") == (
        "Hội đồng tự đánh giá của Trường họp định kỳ"
    )
