"""Field extraction on plans written for these tests (not copies of real documents)."""

from __future__ import annotations

import pytest

from pipeline.parse import PlanFields, parse_plan
from pipeline.parse.authority import repair_authority

PLAN = """\
ỦY BAN NHÂN DÂN
HUYỆN ĐIỆN BÀN
PHÒNG VĂN HÓA VÀ THÔNG TIN
Số: 15/KH-VHTT

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Điện Bàn, ngày 07 tháng 5 năm 2023

KẾ HOẠCH
Triển khai Phong trào thi đua “Thư viện xanh”
giai đoạn 2023-2026

Căn cứ Luật Thư viện ngày 21 tháng 11 năm 2019;
Căn cứ Quyết định số 44/2022/QĐ-UBND ngày 03/3/2022 của UBND tỉnh Quảng Nam về việc ban hành
quy chế thư viện cơ sở;
Phòng Văn hóa và Thông tin xây dựng Kế hoạch như sau:

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
- Khuyến khích người dân đọc sách ở cơ sở.
2. Yêu cầu
- Tiết kiệm, hiệu quả.
II. CHỈ TIÊU
1. Chỉ tiêu chung
1.1. Thư viện xã
- Phấn đấu đến năm 2026 có 80% số xã có thư viện đạt chuẩn.
a) Điểm đọc sách
+ Mỗi thôn có ít nhất 01 điểm đọc sách.
III. KHEN THƯỞNG
1. Khen thưởng hằng năm
Chủ tịch UBND huyện tặng Giấy khen cho các tập thể có thành tích xuất sắc.
IV. TỔ CHỨC THỰC HIỆN
- Trước ngày 30/6/2023: Các xã gửi báo cáo về Phòng Văn hóa và Thông tin.
- Quý IV/2026: Tổng kết phong trào.
Các đơn vị thực hiện theo Nghị định số 11/2020/NĐ-CP của Chính phủ./.

Nơi nhận:
- UBND huyện (B/c);
- Các xã;
- Lưu: VT.

KT. TRƯỞNG PHÒNG
PHÓ TRƯỞNG PHÒNG
(Đã ký)
Trần Thị Bích Ngọc
"""


def test_header_fields():
    fields = parse_plan(PLAN)
    assert fields.doc_type == "Kế hoạch"
    assert fields.doc_number == "15/KH-VHTT"
    # an agency under its People's Committee takes the committee's locality (FIELDS.md)
    assert fields.issuer.casefold() == "phòng văn hóa và thông tin huyện điện bàn"
    assert fields.place == "Điện Bàn"
    assert fields.date == "2023-05-07"
    assert fields.title == "Triển khai Phong trào thi đua “Thư viện xanh” giai đoạn 2023-2026"
    assert fields.movement == "Thư viện xanh"
    assert fields.period == "2023-2026"


def test_signer_and_recipients():
    fields = parse_plan(PLAN)
    assert fields.signer_name == "Trần Thị Bích Ngọc"
    assert fields.signer_title == "KT. TRƯỞNG PHÒNG / PHÓ TRƯỞNG PHÒNG"
    assert fields.recipients == ["UBND huyện (B/c)", "Các xã", "Lưu: VT"]


def test_sections_every_heading_style():
    outline = [(s.number, s.heading) for s in parse_plan(PLAN).sections]
    assert outline == [
        ("I", "MỤC ĐÍCH, YÊU CẦU"), ("1", "Mục đích"), ("2", "Yêu cầu"),
        ("II", "CHỈ TIÊU"), ("1", "Chỉ tiêu chung"), ("1.1", "Thư viện xã"),
        ("a", "Điểm đọc sách"), ("III", "KHEN THƯỞNG"), ("1", "Khen thưởng hằng năm"),
        ("IV", "TỔ CHỨC THỰC HIỆN"),
    ]


def test_legal_basis_named_and_numbered_once_each():
    items = parse_plan(PLAN).legal_basis
    assert [(i.doc_type, i.number, i.date) for i in items] == [
        ("Luật", None, "2019-11-21"),
        ("Quyết định", "44/2022/QĐ-UBND", "2022-03-03"),
        ("Nghị định", "11/2020/NĐ-CP", None),
    ]
    decision = items[1]
    assert decision.issuer == "UBND tỉnh Quảng Nam"
    assert decision.subject == "ban hành quy chế thư viện cơ sở"
    assert items[0].subject == "Thư viện"
    assert items[2].issuer == "Chính phủ"


def test_targets_awards_timeline():
    fields = parse_plan(PLAN)
    texts = [t.text for t in fields.targets]
    assert "Phấn đấu đến năm 2026 có 80% số xã có thư viện đạt chuẩn." in texts
    assert "Mỗi thôn có ít nhất 01 điểm đọc sách." in texts
    target = fields.targets[0]
    assert target.value == "80%" and target.deadline == "2026"
    forms = [a.form for a in fields.award_forms]
    assert forms == ["Khen thưởng hằng năm", "Giấy khen của Chủ tịch UBND huyện"]
    assert fields.award_forms[1].awarded_to.startswith("các tập thể")
    assert [(m.when, m.what) for m in fields.timeline] == [
        ("Trước ngày 30/6/2023", "Các xã gửi báo cáo về Phòng Văn hóa và Thông tin"),
        ("Quý IV/2026", "Tổng kết phong trào"),
    ]
    assert fields.timeline[0].who == "Các xã"


def test_to_dict_has_exactly_the_schema_keys():
    record = parse_plan(PLAN).to_dict()
    assert list(record) == [
        "doc_type", "doc_number", "issuer", "place", "date", "title", "movement", "period",
        "signer_name", "signer_title", "recipients", "legal_basis", "targets", "award_forms",
        "timeline", "sections",
    ]
    assert set(record["legal_basis"][0]) == {"doc_type", "number", "date", "issuer", "subject"}
    assert set(record["timeline"][0]) == {"when", "what", "who"}


def test_columns_read_in_the_other_order_and_blank_day():
    text = PLAN.replace(
        "ỦY BAN NHÂN DÂN\nHUYỆN ĐIỆN BÀN\nPHÒNG VĂN HÓA VÀ THÔNG TIN\nSố: 15/KH-VHTT\n\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Điện Bàn, ngày 07 tháng 5 năm 2023\n",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Điện Bàn, ngày    tháng 5 năm 2023\n\nỦY BAN NHÂN DÂN\nHUYỆN ĐIỆN BÀN\n"
        "Số:    /KH-UBND\n",
    )
    fields = parse_plan(text)
    assert fields.doc_number == "/KH-UBND"
    assert fields.date == "2023-05"
    assert fields.issuer.casefold() == "ủy ban nhân dân huyện điện bàn"


def test_flattened_header_lines():
    text = (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "XÃ HÒA TIẾN Độc lập - Tự do - Hạnh phúc\n"
        "Số: 3/KH-UBND Hòa Tiến, ngày 2 tháng 1 năm 2024\n\nKẾ HOẠCH\nVề việc trồng cây\n"
    )
    fields = parse_plan(text)
    assert fields.issuer == "Ủy ban nhân dân xã Hòa Tiến"
    assert (fields.doc_number, fields.place, fields.date) == ("3/KH-UBND", "Hòa Tiến", "2024-01-02")
    assert fields.title == "Về việc trồng cây"


def test_markdown_emphasis():
    text = (
        "## **KẾ HOẠCH**\n\n### **Tổ chức ngày hội đọc sách năm 2025**\n\n"
        "Thực hiện Kế hoạch số 5/KH-UBND ngày 1/2/2025 của UBND huyện (*sau đây gọi tắt*);\n\n"
        "## **I. MỤC ĐÍCH**\n\n### **1. Mục đích chung:**\n\n- Nâng cao văn hóa đọc.\n\n"
        "**2. Các đơn vị: thư viện; trường học; nhà văn hóa và các câu lạc bộ đọc sách ở thôn**\n\n"
        "Thực hiện tốt./.\n\n**Nơi nhận:**\n- Các thôn;\n\n"
        "**TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH**\n\n**Lê Văn Hùng**\n"
    )
    fields = parse_plan(text)
    assert fields.title == "Tổ chức ngày hội đọc sách năm 2025"
    assert fields.period == "2025"
    assert [(s.number, s.heading) for s in fields.sections] == [
        ("I", "MỤC ĐÍCH"), ("1", "Mục đích chung"),
        ("2", "Các đơn vị"),  # a "Label: text" item is a section under its label
    ]
    assert fields.legal_basis[0].number == "5/KH-UBND"
    assert fields.signer_title == "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"
    assert fields.signer_name == "Lê Văn Hùng"
    assert fields.recipients == ["Các thôn"]


def test_ocr_damage_headings_split_lines_and_stamp_junk():
    text = (
        "KẾ HOẠCH\nPhòng chống thiên tai năm 2024\n\n"
        "|. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n"
        "- Chủ động ứng phó với bão lũ, bảo đảm an toàn tính mạng và tài sản của nhân dân\n"
        "trên địa bàn toàn xã.\n"
        "TI. NHIỆM VỤ\n1. Công tác chuẩn bị\n"
        "- Rà soát phương án sơ tán dân trước ngày 15/5/2024.\n"
        "@ ~ %% ||\n"
        "IlI. TỔ CHỨC THỰC HIỆN\n4. Triển khai thực hiện chương trình phòng chống thiên tai giai\n"
        "đoạn 2021-2025.\n- Các thôn báo cáo kết quả.\n"
    )
    fields = parse_plan(text)
    assert [(s.number, s.heading) for s in fields.sections] == [
        ("I", "MỤC ĐÍCH, YÊU CẦU"), ("1", "Mục đích"), ("II", "NHIỆM VỤ"),
        ("1", "Công tác chuẩn bị"), ("III", "TỔ CHỨC THỰC HIỆN"),
        ("4", "Triển khai thực hiện chương trình phòng chống thiên tai giai đoạn 2021-2025"),
    ]
    assert fields.timeline[0].when == "trước ngày 15/5/2024"
    assert fields.timeline[0].what == "Rà soát phương án sơ tán dân"


def test_no_legal_basis_no_signature():
    text = "KẾ HOẠCH\nVệ sinh môi trường\n\nI. NỘI DUNG\n- Dọn vệ sinh đường làng.\n"
    fields = parse_plan(text)
    assert fields.legal_basis == []
    assert fields.signer_name is None and fields.signer_title is None
    assert fields.recipients == []
    assert fields.title == "Vệ sinh môi trường"


def test_numbered_paragraphs_are_not_headings():
    text = (
        "KẾ HOẠCH\nTrồng cây\n\nI. TIẾN ĐỘ\n1. Năm 2024: Trồng 500 cây xanh ở các tuyến đường.\n"
        "2. Giao Văn phòng UBND xã chủ trì, phối hợp với các thôn tổ chức trồng cây, theo dõi, "
        "đôn đốc, kiểm tra, báo cáo kết quả về UBND xã theo định kỳ và tổng hợp kết quả cuối năm "
        "để đánh giá, khen thưởng.\n"
    )
    fields = parse_plan(text)
    assert [s.number for s in fields.sections] == ["I"]
    assert (fields.timeline[0].when, fields.timeline[0].what) == (
        "Năm 2024", "Trồng 500 cây xanh ở các tuyến đường"
    )


def test_flattened_table_row_becomes_a_milestone():
    text = "KẾ HOẠCH\nTrồng cây\n\nI. TIẾN ĐỘ\n| 1 | Trồng cây xanh | Tháng 3/2024 | Các thôn |\n"
    milestone = parse_plan(text).timeline[0]
    assert (milestone.when, milestone.what, milestone.who) == (
        "Tháng 3/2024", "Trồng cây xanh", "Các thôn"
    )


def test_empty_and_junk_text_give_an_empty_valid_record():
    assert parse_plan("") == PlanFields()
    assert parse_plan(" \n\f\n") == PlanFields()
    for junk in ("@@@ ### ~~~", "\x00\x01\x02", "a" * 5000, "1/2/3 " * 2000, "“" * 3000):
        record = parse_plan(junk).to_dict()
        assert set(record) == set(PlanFields().to_dict())


def test_diacritic_free_text_still_found():
    text = "KE HOACH\nTrong cay\n\nI. MUC DICH\n1. Muc dich\n- Trong cay.\n"
    fields = parse_plan(text)
    assert fields.doc_type == "Kế hoạch"
    assert [s.number for s in fields.sections] == ["I", "1"]


def test_header_and_closing_typed_as_tables():
    text = (
        "| ỦY BAN NHÂN DÂN<br>XÃ HÒA TIẾN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>"
        "Độc lập - Tự do - Hạnh phúc |\n|---|---|\n"
        "| Số: 9/KH-UBND | Hòa Tiến, ngày 3 tháng 2 năm 2024 |\n\n"
        "**KẾ HOẠCH**\n\n**Tổng vệ sinh môi trường**\n\nI. NỘI DUNG\n"
        "| STT | Nội dung | Thời gian | Đơn vị |\n|---|---|---|---|\n"
        "| 1 | Dọn vệ sinh kênh mương | Quý I/2024 | Các thôn |\n\nThực hiện nghiêm túc./.\n\n"
        "| **Nơi nhận:**<br>- UBND huyện;<br>- Lưu: VT. | **TM. ỦY BAN NHÂN DÂN<br>CHỦ TỊCH**"
        "<br><br>**Lê Thị Hoa** |\n"
    )
    fields = parse_plan(text)
    assert (fields.issuer, fields.doc_number, fields.date) == (
        "Ủy ban nhân dân xã Hòa Tiến", "9/KH-UBND", "2024-02-03"
    )
    assert fields.title == "Tổng vệ sinh môi trường"
    assert [(m.when, m.what, m.who) for m in fields.timeline] == [
        ("Quý I/2024", "Dọn vệ sinh kênh mương", "Các thôn")
    ]
    assert fields.recipients == ["UBND huyện", "Lưu: VT"]
    assert fields.signer_title == "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"
    assert fields.signer_name == "Lê Thị Hoa"


def test_other_numbering_marks_and_a_name_in_capitals():
    text = (
        "ĐẢNG CỘNG SẢN VIỆT NAM\nĐẢNG ỦY XÃ HÒA TIẾN\nSố: 12-KH/ĐU\n"
        "Hòa Tiến, ngày 9 tháng 9 năm 2024\n\nKẾ HOẠCH\nHọc tập chuyên đề năm 2024\n\n"
        "I- MỤC ĐÍCH\n1- Mục đích chung\na) Cán bộ\nbờ) Đảng viên\n"
        "- Mỗi đảng viên viết bản cam kết\ntheo mẫu./.\n\n"
        "Nơi nhận:\n- Các chi bộ;\n- Lưu.\n\nT/M ĐẢNG ỦY\nBÍ THƯ\n\nNGUYỄN VĂN BẢY\n"
    )
    fields = parse_plan(text)
    assert fields.doc_number == "12-KH/ĐU"
    assert fields.issuer.casefold() == "đảng ủy xã hòa tiến"
    assert [(s.number, s.heading) for s in fields.sections] == [
        # "a) Cán bộ" has nothing under it: a plain list item, not a section
        ("I", "MỤC ĐÍCH"), ("1", "Mục đích chung"), ("b", "Đảng viên"),
    ]
    assert fields.signer_name == "Nguyễn Văn Bảy"
    assert fields.signer_title == "T/M ĐẢNG ỦY / BÍ THƯ"


def test_seal_damaged_authority_lines_read_as_known_titles():
    assert repair_authority("TM. BAN THU ỜNG TRỰC") == "TM. BAN THƯỜNG TRỰC"  # a split word
    assert repair_authority("PXQ THƯỜNG TRỰC") == "PHÓ CHỦ TỊCH THƯỜNG TRỰC"  # junk before it
    assert repair_authority("KT. CHU TJCH") == "KT. CHỦ TỊCH"  # a misread letter
    assert repair_authority("Q. GIÁM ĐÓC") == "Q. GIÁM ĐỐC"  # wrong marks
    assert repair_authority("PHỚCHỦ TỊCH") == "PHÓ CHỦ TỊCH"  # words glued
    assert repair_authority("K?>CHỦ TỊCH") == "KT. CHỦ TỊCH"  # marks strewn in
    # names and lines that fit no known title are kept as printed, near ones too when clean
    for line in ("TM. ỦY BAN NHÂN DÂN XÃ HÒA TIẾN", "NGUYỄN VĂN BẢY", "ZQX WVK",
                 "PHÓ THỦ TƯỚNG", "GIÁM ĐỐC SỞ"):
        assert repair_authority(line) == line


def test_signature_under_a_seal():
    text = (
        "KẾ HOẠCH\nTiêm phòng cho đàn gia súc năm 2025\n\nI. NỘI DUNG\n"
        "- Tiêm phòng lở mồm long móng./.\n\nNơi nhận:\n- Các xã;\n- Lưu: VT.\n\n"
        "TM. BAN THU ỜNG TRỰC\nPXQ THƯỜNG TRỰC\n\nPhạm Thị Tuyết\n"
    )
    fields = parse_plan(text)
    assert fields.signer_title == "TM. BAN THƯỜNG TRỰC / PHÓ CHỦ TỊCH THƯỜNG TRỰC"
    assert fields.signer_name == "Phạm Thị Tuyết"
    assert fields.recipients == ["Các xã", "Lưu: VT"]


QUANTIFIED = """\
KẾ HOẠCH
Phát triển phong trào thể dục thể thao quần chúng

I. MỤC ĐÍCH, YÊU CẦU
1. Yêu cầu
- Phong trào gắn với xây dựng đô thị văn minh, năm 2026 huyện được công nhận đạt chuẩn \
huyện văn hóa.
II. NỘI DUNG
1. Công tác kiểm tra
- Năm 2022, xã được công nhận đạt chuẩn nông thôn mới nhờ sự chung tay của nhân dân.
- Hằng quý Phòng Văn hóa kiểm tra từ 3-5 câu lạc bộ thể thao, đơn vị trong việc

thực hiện quy chế hoạt động.
III. KHEN THƯỞNG
1. Khen thưởng hằng năm
- Chủ tịch UBND huyện tặng Giấy khen cho 3-5 tập thể tiêu biểu.
IV. TIẾN ĐỘ
- Năm 2025: Sơ kết công tác thi đua, khen thưởng giữa kỳ.
- Năm 2027: Tổng kết phong trào, đề nghị cấp trên xem xét, khen thưởng cho các tập thể, cá \
nhân xuất sắc.
- Năm 2028: Tổ chức sơ kết, tổng kết và khen thưởng cho các câu lạc bộ.
"""


def test_quantified_goals_without_the_word_target():
    fields = parse_plan(QUANTIFIED)
    assert [(t.text, t.value, t.deadline) for t in fields.targets] == [
        (
            "Phong trào gắn với xây dựng đô thị văn minh, năm 2026 huyện được công nhận đạt "
            "chuẩn huyện văn hóa.", None, "2026",
        ),
        # a lower-case "thực hiện" after a blank line carries the sentence on
        (
            "Hằng quý Phòng Văn hóa kiểm tra từ 3-5 câu lạc bộ thể thao, đơn vị trong việc "
            "thực hiện quy chế hoạt động.", "từ 3-5", None,
        ),
    ]  # not the past fact of 2022, nor the award quota of 3-5 tập thể


def test_commendation_at_a_summing_up():
    forms = [(a.form, a.awarded_to) for a in parse_plan(QUANTIFIED).award_forms]
    assert ("Khen thưởng tổng kết phong trào", "các tập thể, cá nhân xuất sắc") in forms
    # "công tác thi đua, khen thưởng" is the work summed up, not a commendation
    assert not any("công tác" in form for form, _ in forms)
    assert not any(form.endswith(" và") for form, _ in forms)


def test_ocr_damaged_keywords_still_find_the_closing_and_addressees():
    text = (
        "SỞ Y TẾ\nSố: 88/SYT-NV\nV/v tăng cường phòng chống\nsốt xuất huyết mùa mưa\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Hà Tĩnh, ngày 4 tháng 8 năm 2025\n"
        "Kính gùi:\n- Trung tâm Y tế các huyện;\n- Bệnh viện đa khoa tỉnh.\n"
        "Sở Y tế đề nghị các đơn vị báo cáo số ca mắc trước ngày 30/8/2025./.\n"
        "Nơ1 nhặn:\n- Như trên;\n- Lưu: VT.\nKT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\nĐặng Thị Mai\n"
    )
    fields = parse_plan(text)
    assert fields.doc_type == "Công văn"
    assert fields.title == "tăng cường phòng chống sốt xuất huyết mùa mưa"
    assert fields.recipients == [
        "Trung tâm Y tế các huyện", "Bệnh viện đa khoa tỉnh", "Như trên", "Lưu: VT",
    ]
    assert fields.signer_title == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    assert fields.signer_name == "Đặng Thị Mai"
    assert (fields.timeline[0].when, fields.timeline[0].what) == (
        "trước ngày 30/8/2025", "Sở Y tế đề nghị các đơn vị báo cáo số ca mắc"
    )


def test_a_sentence_that_starts_like_a_keyword_is_running_text():
    text = (
        "KẾ HOẠCH\nDọn vệ sinh\n\nI. NỘI DUNG\n"
        "Nơi nhận rác thải tập trung tại bãi phía đông thôn.\n- Các thôn dọn vệ sinh./.\n"
        "Nơi nhận:\n- Các thôn;\n- Lưu: VT.\nCHỦ TỊCH\nLê Văn Tâm\n"
    )
    fields = parse_plan(text)
    assert fields.recipients == ["Các thôn", "Lưu: VT"]


def test_a_capital_heading_wrapped_onto_a_second_line_is_one_section():
    text = (
        "KẾ HOẠCH\nPhòng cháy chữa cháy năm 2025\n\n"
        "I. TỔ CHỨC THỰC HIỆN CÁC BIỆN PHÁP PHÒNG CHÁY, CHỮA CHÁY TẠI CÁC KHU DÂN CƯ VÀ\n"
        "CƠ SỞ SẢN XUẤT, KINH DOANH\n- Kiểm tra các cơ sở.\n"
    )
    assert [(s.number, s.heading) for s in parse_plan(text).sections] == [
        ("I", "TỔ CHỨC THỰC HIỆN CÁC BIỆN PHÁP PHÒNG CHÁY, CHỮA CHÁY TẠI CÁC KHU DÂN CƯ VÀ "
              "CƠ SỞ SẢN XUẤT, KINH DOANH"),
    ]


def test_time_attributes_belong_to_their_task_and_its_lead():
    text = (
        "KẾ HOẠCH\nChuyển đổi số năm 2025\n\nI. NHIỆM VỤ\n"
        "1. Số hóa hồ sơ một cửa\n"
        "a) Nhiệm vụ: Số hóa toàn bộ hồ sơ tiếp nhận tại bộ phận một cửa.\n"
        "b) Cơ quan thực hiện:\n- Đơn vị chủ trì: Văn phòng UBND xã.\n"
        "- Đơn vị phối hợp: Các thôn.\n"
        "c) Thời gian thực hiện: Hoàn thành trong quý III/2025.\n"
        "2. Tập huấn kỹ năng số\n- Tập huấn cho cán bộ, công chức.\n"
        "Đơn vị chủ trì: Công chức Văn hóa - Xã hội.\n"
        "Thời gian thực hiện: Hằng năm.\n"
        "- Tập huấn cho tổ công nghệ số cộng đồng.\n"
        "Thời gian thực hiện: Thường xuyên.\n"
    )
    fields = parse_plan(text)
    assert [(m.when, m.what, m.who) for m in fields.timeline] == [
        ("Hoàn thành trong quý III/2025", "Số hóa hồ sơ một cửa", "Văn phòng UBND xã"),
        ("Hằng năm", "Tập huấn cho cán bộ, công chức", "Công chức Văn hóa - Xã hội"),
    ]  # "Thường xuyên" alone is no time
    assert ("c", "Thời gian thực hiện") in [(s.number, s.heading) for s in fields.sections]


def test_schedule_table_read_by_its_header_columns():
    text = (
        "KẾ HOẠCH\nTổ chức Hội khỏe Phù Đổng năm 2025\n\nI. TIẾN ĐỘ\n"
        "TT | Nội dung | Thời gian thực hiện | Cơ quan chủ trì | Cơ quan phối hợp\n"
        "1 | Ban hành điều lệ giải | Tháng 3/2025 | Phòng Giáo dục | Các trường\n"
        "2 | Tổ chức thi đấu vòng loại | Thường xuyên | Các trường | \n"
        "3 | Tổng kết, trao giải | Trước ngày 30/5/2025 | Phòng Giáo dục | Các trường\n"
    )
    assert [(m.when, m.what, m.who) for m in parse_plan(text).timeline] == [
        ("Tháng 3/2025", "Ban hành điều lệ giải", "Phòng Giáo dục"),
        ("Trước ngày 30/5/2025", "Tổng kết, trao giải", "Phòng Giáo dục"),
    ]


def test_signature_read_around_the_recipients_with_seal_debris():
    """OCR reads the first authority line beside "Nơi nhận:", the rest after the list; a seal
    leaves marks before the name and shifts the family name's accent."""
    text = (
        "KẾ HOẠCH\nTrồng cây năm 2025\n\nI. NỘI DUNG\n- Trồng cây xanh./.\n"
        "Nơi nhận:\n\nKT. CHỦ TỊCH\n\n- UBND huyện (b/c);\n- Lưu: VT.\n\n"
        "'* PHÓ CHỦ TỊCH\n\\^\\ `\nX ụ nguyên Văn Phương\n"
    )
    fields = parse_plan(text)
    assert fields.signer_title == "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert fields.signer_name == "Nguyễn Văn Phương"
    assert fields.recipients == ["UBND huyện (b/c)", "Lưu: VT"]


def test_a_type_word_with_a_qualifier_and_a_union_motto():
    text = (
        "BCH ĐOÀN TỈNH GIA LAI\nBCH ĐOÀN XÃ IA BĂNG\nSố: 07-CTr/ĐTN\nĐOÀN TNCS HỒ CHÍ MINH\n"
        "Ia Băng, ngày 10 tháng 1 năm 2025\nCHƯƠNG TRÌNH CÔNG TÁC\n"
        "Đoàn và phong trào thanh thiếu nhi năm 2025\n"
        "I. NHIỆM VỤ TRỌNG TÂM\n- Tổ chức Tháng Thanh niên.\n"
    )
    fields = parse_plan(text)
    assert fields.doc_type == "Chương trình"
    assert fields.issuer == "BCH Đoàn xã Ia Băng BCH Đoàn tỉnh Gia Lai"
    assert fields.title == "Đoàn và phong trào thanh thiếu nhi năm 2025"


def test_an_issuer_name_wrapped_onto_a_second_header_line_is_one_body():
    text = (
        "BAN CHỈ ĐẠO TỈNH VỀ PHÒNG, CHỐNG\nTHIÊN TAI VÀ TÌM KIẾM CỨU NẠN\nSố: 9/KH-BCĐ\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Huế, ngày 2 tháng 6 năm 2025\nKẾ HOẠCH\nỨng phó mùa mưa bão năm 2025\n"
    )
    assert parse_plan(text).issuer.casefold() == (
        "ban chỉ đạo tỉnh về phòng, chống thiên tai và tìm kiếm cứu nạn"
    )


def test_title_marks_confused_by_ocr_respelled_as_the_body_spells_them():
    text = (
        "KẾ HOẠCH\nTRIẾN KHAI CÔNG TÁC BẦU CỬ ĐẠI BIẾU HỘI ĐỒNG NHÂN DÂN XÃ\n\n"
        "I. NỘI DUNG\n- Triển khai công tác bầu cử đại biểu Hội đồng nhân dân.\n"
        "- Các thôn triển khai tuyên truyền về đại biểu và bầu cử.\n"
    )
    assert parse_plan(text).title == "TRIỂN KHAI CÔNG TÁC BẦU CỬ ĐẠI BIỂU HỘI ĐỒNG NHÂN DÂN XÃ"
    # a spelling the body also uses once is left alone, and so are tone placements
    text = "KẾ HOẠCH\nHòa giải ở cơ sở\n\nI. NỘI DUNG\n- Hoà giải tranh chấp; hoà giải viên.\n"
    assert parse_plan(text).title == "Hòa giải ở cơ sở"


def test_page_numbers_and_a_number_without_its_colon():
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ PHÚ LỘC\nSố 45/KH-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\nPhú Lộc, ngày 3 tháng 4 năm 2025\nKẾ HOẠCH\n"
        "Phòng, chống dịch bệnh trên gia súc năm 2025\nI. MỤC ĐÍCH\n"
        "1. Chủ động phòng, chống dịch bệnh trên đàn gia súc, gia cầm.\n"
        "2. Tiêm phòng đầy đủ cho đàn vật nuôi trên địa bàn xã.\f2\n"
        "II. NỘI DUNG\n- Các thôn rà soát đàn gia súc.\n"
    )
    fields = parse_plan(text)
    assert fields.doc_number == "45/KH-UBND"
    # the page number "2" is no content under item 2, so items 1 and 2 stay plain items
    assert [s.number for s in fields.sections] == ["I", "II"]


def test_a_motto_damaged_by_ocr_stays_out_of_the_issuer():
    text = (
        "ỦY BAN NHÂN DÂN Càng Hòa xã hội Cử Nghĩ+ Việt Nam\n"
        "HUYỆN ĐÔNG LÂM Đặc lập - Tụ đo - Hạnh phúc\n"
        "Số: 15/KH-UBND Đông Lâm, ngày 2 tháng 3 năm 2025\n\nKẾ HOẠCH\nTrồng cây\n"
    )
    fields = parse_plan(text)
    assert fields.issuer == "Ủy ban nhân dân huyện Đông Lâm"
    assert (fields.doc_number, fields.date) == ("15/KH-UBND", "2025-03-02")


def test_a_number_line_whose_number_ocr_lost_is_not_a_body():
    """"Số:" labels the number line (Decree 30); with its slash or digits unread it must not
    become a body named "Sở", and a symbol with no number is the blank number FIELDS.md keeps
    ("Số:      /KH-UBND" → "/KH-UBND") whose thin slash OCR lost."""
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ HÒA BÌNH\nSố: KH-UBND\n\n"
        "Hòa Bình, ngày 5 tháng 4 năm 2024\n\nKẾ HOẠCH\nSửa nhà cho hộ nghèo\n"
    )
    fields = parse_plan(text)
    assert (fields.issuer, fields.doc_number) == ("Ủy ban nhân dân xã Hòa Bình", "/KH-UBND")
    department = parse_plan("SỞ Y TẾ\nSố: 4/KH-SYT\n\nKẾ HOẠCH\nTiêm chủng\n")
    assert (department.issuer or "").casefold() == "sở y tế"  # a body named Sở stays one


@pytest.mark.parametrize(("printed", "running"), [
    ("BỘ TÀI CHÍNH", "Bộ Tài chính"),
    ("UBND HUYỆN PHÚ NINH\nPHÒNG LAO ĐỘNG - THƯƠNG BINH\nVÀ XÃ HỘI",
     "Phòng Lao động - Thương binh và Xã hội huyện Phú Ninh"),
    ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Sở Văn hóa, Thể thao và Du lịch"),
    ("HỘI LIÊN HIỆP PHỤ NỮ\nHUYỆN ĐÔNG GIANG", "Hội Liên hiệp Phụ nữ huyện Đông Giang"),
    ("TRƯỜNG THCS NGUYỄN DU", "Trường THCS Nguyễn Du"),
])
def test_an_issuer_in_capitals_is_written_in_running_case(printed: str, running: str):
    """Only the syllables that begin a part of the name stay capitals, as the lexicon writes
    such names."""
    assert parse_plan(f"{printed}\nSố: 4/KH-X\n\nKẾ HOẠCH\nTiêm chủng\n").issuer == running


def test_deadlines_counted_from_an_event():
    text = (
        "KẾ HOẠCH\nỨng phó lũ năm 2025\n\nI. NỘI DUNG\n"
        "- Các thôn tổng vệ sinh môi trường trong 24-48 giờ sau khi nước rút.\n"
        "- Niêm yết danh sách cử tri trước ngày bầu cử 40 ngày.\n"
        "- Trong thời hạn 10 ngày kể từ ngày kết thúc đợt lũ, các thôn báo cáo thiệt hại.\n"
        "- Các thôn tổ chức họp dân trong năm tới.\n"
    )
    assert [m.when for m in parse_plan(text).timeline] == [
        "trong 24-48 giờ sau khi nước rút", "trước ngày bầu cử 40 ngày",
        "Trong thời hạn 10 ngày kể từ ngày kết thúc đợt lũ",
    ]


def test_a_second_deadline_in_a_sentence_takes_only_its_own_clause():
    """Each deadline's task is its own clause, however long the line runs on: the task of a
    later deadline never reaches back to the start of the paragraph."""
    clause = "Các thôn trồng cây xanh trước ngày 15/3/2025, "
    text = ("KẾ HOẠCH\nTrồng cây\n\nI. NỘI DUNG\n" + clause * 400
            + "Các xã dọn vệ sinh trước ngày 5/4/2025.\n")
    timeline = parse_plan(text).timeline
    last = next(m for m in timeline if m.when == "trước ngày 5/4/2025")
    assert last.what.endswith("Các xã dọn vệ sinh") and len(last.what) < 200
    assert all(len(m.what) < 200 for m in timeline)


def test_a_signature_and_a_seal_crossing_the_closing_leave_the_name_and_position_readable():
    """What a signature drawn over the closing leaves in OCR: debris words before the name or
    the position, marks between the name's words, and marks before the title."""
    body = "\n".join(f"{n}. Tổ chức tuyên truyền trong toàn xã./." for n in range(1, 3))
    closing = (
        "\nNơi nhận:\n- UBND huyện;\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\n"
        "sĩ PHÓ CHỦ TỊCH\n{name}\n"
    )
    header = ("ỦY BAN NHÂN DÂN\nXÃ HÒA BÌNH\nSố: 12/KH-UBND\n\n"
              "Hòa Bình, ngày 5 tháng 4 năm 2024\n\nKẾ HOẠCH\n'TUYÊN TRUYỀN PHÒNG CHỐNG MA TÚY\n\n")
    for printed in ("ớ 7 Trần Văn Khải", "Trần: Văn Khải", "Trần Văn Khải"):
        fields = parse_plan(header + body + closing.format(name=printed))
        assert fields.signer_name == "Trần Văn Khải", printed
        assert fields.signer_title == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
        assert fields.title == "TUYÊN TRUYỀN PHÒNG CHỐNG MA TÚY"


def test_a_garbled_position_in_capitals_is_not_taken_for_the_signers_name():
    """A seal over "PHÓ CHỦ TỊCH" can leave a line in capitals that reads as two words; a
    name set in capitals begins with a family name, so the name is the line under it."""
    text = ("ỦY BAN NHÂN DÂN\nXÃ AN BÌNH\nSố: 3/KH-UBND\n\nAn Bình, ngày 2 tháng 3 năm 2024\n\n"
            "KẾ HOẠCH\nTrồng cây xanh\n\n1. Mỗi thôn trồng 200 cây./.\n\nNơi nhận:\n- Lưu: VT.\n\n"
            "KT. CHỦ TỊCH\nZXPHÓÈHỦ TỊCH\nĐào Mỹ\n")
    assert parse_plan(text).signer_name == "Đào Mỹ"
    capitals = text.replace("ZXPHÓÈHỦ TỊCH\nĐào Mỹ", "PHÓ CHỦ TỊCH\nĐÀO VĂN MỸ")
    assert parse_plan(capitals).signer_name == "Đào Văn Mỹ"
