"""Careless and hostile input that must not cost the user: formulas in CSV cells, invisible
marks in text, UTF-16 files, empty or mistyped input folders, option values that would fail
every page."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.inputs import read_text
from pipeline.parse import parse_plan
from pipeline.tables import write_tables


def test_csv_cells_a_spreadsheet_would_run_are_written_inert(tmp_path):
    record = parse_plan("KẾ HOẠCH\nTrồng cây\n\nNơi nhận:\n- =HYPERLINK(\"x\");\n- Lưu: VT.\n")
    write_tables({"=cmd|' /C calc'!A0": record.to_dict()}, tmp_path)
    recipients = pd.read_csv(tmp_path / "recipients.csv", encoding="utf-8-sig")
    assert recipients["recipient"].tolist() == ["'=HYPERLINK(\"x\")", "Lưu: VT"]
    assert recipients["document_id"].tolist()[0].startswith("'=")


def test_invisible_marks_neither_split_words_nor_reach_the_fields():
    text = ("ỦY BAN NHÂN DÂN\nXÃ AN\u200b PHÚ\nSố: 5/KH-UBND\nAn Phú, ngày 2 tháng 3 năm 2025\n"
            "KẾ\u200b HOẠCH\nTrồng\u2060 cây\u200f xanh\n")
    fields = parse_plan(text)
    assert (fields.doc_type, fields.title) == ("Kế hoạch", "Trồng cây xanh")
    assert fields.issuer == "Ủy ban nhân dân xã An Phú"


def test_utf16_text_is_read(tmp_path):
    path = tmp_path / "ke-hoach.txt"
    path.write_text("Kế hoạch trồng cây", encoding="utf-16")
    assert read_text(str(path)) == "Kế hoạch trồng cây"


def test_an_input_folder_without_images_is_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["run", str(tmp_path / "empty"), "-o", str(tmp_path / "o")])
    assert result.exit_code == ExitCode.input_failed
    assert "no PNG, JPEG, TIFF or PDF file in this folder" in result.output


@pytest.mark.parametrize("option", [["--page-timeout", "nan"], ["--page-timeout", "inf"],
                                    ["--psm", "0"], ["--psm", "2"]])
def test_option_values_that_would_fail_every_page_are_usage_errors(tmp_path, option):
    result = CliRunner().invoke(main, ["run", str(tmp_path), "-o", str(tmp_path / "o"), *option])
    assert result.exit_code == ExitCode.usage
    assert not (tmp_path / "o").exists()
