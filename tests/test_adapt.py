"""Archive adaptation: which OCR lines teach the model, and what the model learns from them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.restore import LanguageModel, restore_text
from pipeline.restore.adapt import WordReading, adapt, confident_lines
from pipeline.restore.build import BuildConfig, TextSource, build_model
from pipeline.synth import write_scans

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


REPORT = """TRƯỜNG CAO ĐẲNG SƯ PHẠM TỈNH
PHÒNG ĐÀO TẠO

BÁO CÁO
Kết quả tự đánh giá chương trình đào tạo năm học 2024 - 2025

Thực hiện kế hoạch của Hiệu trưởng, Phòng Đào tạo báo cáo như sau.
Nhà trường đã tổ chức rà soát toàn bộ chương trình đào tạo của các khoa.
Các khoa đã cập nhật đề cương học phần theo chuẩn đầu ra mới.
Giảng viên tham gia đầy đủ các buổi sinh hoạt chuyên môn hằng tháng.
Sinh viên được lấy ý kiến phản hồi về chất lượng giảng dạy mỗi học kỳ.
Thư viện bổ sung thêm nhiều giáo trình và tài liệu tham khảo mới.
Phòng thí nghiệm được đầu tư thêm thiết bị phục vụ thực hành.
Tỷ lệ sinh viên tốt nghiệp đúng hạn tăng so với năm học trước.
Nhà trường phối hợp với doanh nghiệp tổ chức thực tập cho sinh viên.
Công tác kiểm tra, đánh giá kết quả học tập được thực hiện nghiêm túc.
Hội đồng tự đánh giá họp định kỳ để theo dõi tiến độ công việc.
Các minh chứng được thu thập, sắp xếp và lưu trữ theo quy định.
Đội ngũ cán bộ quản lý được bồi dưỡng nghiệp vụ về đảm bảo chất lượng.
Kết quả khảo sát cho thấy người học hài lòng với chương trình đào tạo.
Nhà trường tiếp tục cải tiến phương pháp giảng dạy theo hướng tích cực.
Các khoa xây dựng kế hoạch hành động khắc phục những tồn tại đã nêu.
Phòng Đào tạo theo dõi, đôn đốc việc thực hiện kế hoạch cải tiến.
Nhà trường công khai kết quả tự đánh giá trên trang thông tin điện tử.
Báo cáo này được gửi đến các đơn vị liên quan để phối hợp thực hiện.
Trong năm học tới, nhà trường sẽ đăng ký đánh giá ngoài chương trình đào tạo.
Mọi ý kiến đóng góp xin gửi về Phòng Đào tạo để tổng hợp.
"""


def test_lm_train_from_run_learns_from_a_batch(tmp_path: Path) -> None:
    """`vnplan lm train --from-run OUT` reads a batch's outputs (real Tesseract on a rendered
    page) and saves OUT/lm.npz, a model `--lm` accepts."""
    text = tmp_path / "bao-cao.txt"
    text.write_text(REPORT, encoding="utf-8")
    scans = write_scans(text, tmp_path / "scans", seed=4, level="clean")
    out = tmp_path / "out"
    runner = CliRunner()
    run = runner.invoke(main, ["run", *map(str, scans), "-o", str(out), "--output-type", "none"])
    assert run.exit_code == 0, run.output
    trained = runner.invoke(main, ["lm", "train", "--from-run", str(out)])
    assert trained.exit_code == 0, trained.output
    assert "confident lines of 1 documents" in trained.output
    model = LanguageModel.load(out / "lm.npz")
    assert "trường" in model.index and len(model.vocab) > 1000
    restored = runner.invoke(main, ["restore", "-", "--lm", str(out / "lm.npz")],
                             input="Phong Dao tao bao cao nhu sau.")
    assert restored.output.strip() == "Phòng Đào tạo báo cáo như sau."


def test_lm_train_from_a_folder_that_is_no_batch_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lm", "train", "--from-run", str(tmp_path)])
    assert result.exit_code == 1 and "not the output folder of a vnplan batch" in result.output
    assert list(tmp_path.iterdir()) == []
