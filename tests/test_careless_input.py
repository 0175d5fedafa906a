"""Careless and hostile input that must not cost the user: formulas in CSV cells, invisible
marks in text, UTF-16 files, empty or mistyped input folders, option values that would fail
every page."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pikepdf
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.inputs import MAX_PDF_PIXELS, read_pages, read_text
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


def test_a_users_own_file_in_the_output_folder_is_never_overwritten(tmp_path, page_a):
    """`vnplan run in -o in`: the folder already holds the user's report.txt."""
    folder = tmp_path / "in"
    folder.mkdir()
    page_a.save(folder / "report.png")
    (folder / "report.txt").write_text("the user's own notes", encoding="utf-8")
    result = CliRunner().invoke(main, ["ocr", str(folder), "-o", str(folder),
                                       "--output-type", "none"])
    assert result.exit_code == 0, result.output
    assert (folder / "report.txt").read_text(encoding="utf-8") == "the user's own notes"
    assert (folder / "report-2.txt").is_file() and (folder / "report-2.json").is_file()


def test_writing_to_a_symlink_writes_through_it_and_outputs_follow_the_umask(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("Ke hoach trong cay", encoding="utf-8")
    target = tmp_path / "real.txt"
    target.write_text("", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert CliRunner().invoke(main, ["restore", str(source), "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("Kế hoạch")
    assert CliRunner().invoke(main, ["restore", str(source), "-o", "/dev/null"]).exit_code == 0
    assert Path("/dev/null").is_char_device()
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.txt"
        assert CliRunner().invoke(main, ["restore", str(source), "-o", str(fresh)]).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_a_file_name_that_is_not_utf8_is_processed_and_resumed(tmp_path, page_a):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"b\xe1o-c\xe1o.png")  # Latin-1 bytes, as an old archive may hold
    page_a.save(folder / name)
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["ocr", str(folder), "-o", str(out), "--output-type", "none"])
    assert first.exit_code == 0, first.output
    assert (out / "b_o-c_o.json").is_file() and (out / "b_o-c_o.alto.xml").is_file()
    assert "\\udce1" in (out / "b_o-c_o.json").read_text(encoding="utf-8")  # source, escaped
    written = (out / "b_o-c_o.json").stat().st_mtime_ns
    again = CliRunner().invoke(main, ["ocr", str(folder), "-o", str(out), "--output-type", "none"])
    assert again.exit_code == 0, again.output
    assert (out / "b_o-c_o.json").stat().st_mtime_ns == written  # recognised: not redone
    assert sorted(p.name for p in out.glob("*.json")) == ["b_o-c_o.json"]


def test_a_pdf_page_of_absurd_size_is_rendered_within_the_pixel_cap(tmp_path):
    """A 435-byte PDF may claim a page 200 inches wide: at 300 dpi that is 10 GB of pixels."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200 * 72, 100 * 72))
    pdf.save(tmp_path / "huge.pdf")
    page = next(read_pages(tmp_path / "huge.pdf"))
    assert page.pixels.shape[0] * page.pixels.shape[1] <= MAX_PDF_PIXELS
    assert 50 < page.dpi < 300


def test_restore_stops_reading_an_endless_input(tmp_path):
    result = CliRunner().invoke(main, ["restore", "/dev/zero", "-o", str(tmp_path / "o.txt")])
    assert result.exit_code == ExitCode.input_failed
    assert "too large" in result.output and not (tmp_path / "o.txt").exists()


def test_a_crafted_language_model_is_refused_before_it_is_read(tmp_path):
    """A 5 MB file whose array header asks for gigabytes, and a file that is no model."""
    crafted = tmp_path / "crafted.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (500_000_000,)}
    )
    with zipfile.ZipFile(crafted, "w") as archive:
        archive.writestr("vocab.npy", header.getvalue())
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    source = tmp_path / "in.txt"
    source.write_text("Ke hoach", encoding="utf-8")
    for model, reason in ((crafted, "4.0 GB"), (junk, "not a vnplan language model")):
        result = CliRunner().invoke(main, ["restore", str(source), "--lm", str(model)])
        assert result.exit_code != 0 and reason in result.output
