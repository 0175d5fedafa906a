"""The command line through click's CliRunner, on real files, including bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.tables import LISTS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_ocr_writes_text_and_json(runner: CliRunner, png_a: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["ocr", str(png_a), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "ke-hoach-a.txt").read_text(encoding="utf-8")
    assert "KẾ HOẠCH" in text
    record = json.loads((out / "ke-hoach-a.json").read_text(encoding="utf-8"))
    page = record["pages"][0]
    assert page["width"] > 2000 and page["height"] > 3000
    assert isinstance(page["deskew_angle"], float)
    word = page["lines"][0]["words"][0]
    assert set(word) == {"text", "confidence", "box"}
    assert set(word["box"]) == {"left", "top", "width", "height"}


def test_directory_is_searched_recursively(
    runner: CliRunner, page_a: Image.Image, page_b: Image.Image, tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    (folder / "2024" / "quy-2").mkdir(parents=True)
    page_a.save(folder / "a.png")
    page_b.convert("RGB").save(folder / "2024" / "quy-2" / "b.jpg", quality=90)
    (folder / "ghi-chu.txt").write_text("không phải ảnh", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    documents = [f"{stem}{suffix}" for stem in ("a", "2024/quy-2/b")  # the tree mirrored
                 for suffix in (".json", ".raw.txt", ".txt", ".alto.xml", ".hocr", ".pdf",
                                ".html", ".pages/page-1.jpg")]
    tables = [f"{name}.csv" for name in ("plans", *LISTS)]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [*documents, *tables, "manifest.sqlite", ".vnplan.lock", "index.html"]
    )
    assert "bảo hiểm y tế" in (out / "2024" / "quy-2" / "b.txt").read_text(encoding="utf-8")
    assert "2 documents, 2 pages, 0 failed" in result.output


def test_same_stem_never_overwrites(
    runner: CliRunner, page_a: Image.Image, page_b: Image.Image, tmp_path: Path
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    page_a.save(tmp_path / "x" / "trang.png")
    page_b.save(tmp_path / "y" / "trang.png")
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["ocr", str(tmp_path / "x" / "trang.png"), str(tmp_path / "y" / "trang.png"),
               "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Hòa Bình" in (out / "trang.txt").read_text(encoding="utf-8")
    assert "bảo hiểm y tế" in (out / "trang-2.txt").read_text(encoding="utf-8")


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Each bad input, with the reason the error line must give."""
    (folder / "hong.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50)
    pypdfium2.PdfDocument.new().save(folder / "trong.pdf")  # a valid PDF with no pages
    (folder / "van-ban.png").write_text("Đây là văn bản, không phải ảnh.", encoding="utf-8")
    return {
        "khong-co.png": "no such file",
        "hong.png": "not a readable image",
        "trong.pdf": "no pages",
        "van-ban.png": "not a readable image",
    }


def test_bad_inputs_are_reported_and_the_batch_goes_on(
    runner: CliRunner, png_a: Path, tmp_path: Path
) -> None:
    bad = _bad_inputs(tmp_path)
    inputs = [str(tmp_path / name) for name in bad]
    inputs.insert(2, str(png_a))  # a good document in the middle of the batch
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", *inputs, "-o", str(out)])
    assert result.exit_code == ExitCode.input_failed
    assert (out / "ke-hoach-a.txt").exists()
    error_lines = [line for line in result.output.splitlines() if line.startswith("vnplan: error:")]
    assert len(error_lines) == len(bad)
    for name, reason in bad.items():
        assert any(name in line and reason in line for line in error_lines), (name, error_lines)
    assert "1 documents, 1 pages, 4 failed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["khong-co.png", "hong.png", "trong.pdf", "van-ban.png"])
def test_each_bad_input_alone_fails_with_one_line(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    reason = _bad_inputs(tmp_path)[name]
    result = runner.invoke(main, ["ocr", str(tmp_path / name), "-o", str(tmp_path / "out")])
    assert result.exit_code == ExitCode.input_failed
    assert result.output.strip().count("\n") == 0
    assert name in result.output and reason in result.output


def test_output_that_is_a_file_is_refused(runner: CliRunner, png_a: Path, tmp_path: Path) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("dữ liệu của người dùng", encoding="utf-8")
    result = runner.invoke(main, ["ocr", str(png_a), "-o", str(existing)])
    assert result.exit_code == ExitCode.output_error
    assert "not a directory" in result.output
    assert existing.read_text(encoding="utf-8") == "dữ liệu của người dùng"


def test_ocr_prints_the_text_in_the_order_given(
    runner: CliRunner, png_a: Path, page_b: Image.Image, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    second = tmp_path / "z-bao-hiem.png"  # sorts after ke-hoach-a.png, given before it
    page_b.save(second, dpi=(300, 300))
    result = runner.invoke(main, ["ocr", str(second), str(png_a), "-o", "-"])
    assert result.exit_code == 0, result.output
    documents = result.stdout.split("\f")
    assert len(documents) == 2
    assert "bảo hiểm y tế" in documents[0] and "hộ nghèo" in documents[1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ke-hoach-a.png", "z-bao-hiem.png"]


@pytest.mark.parametrize("command", ["run", "synth"])
def test_standard_output_is_no_output_folder(
    runner: CliRunner, png_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "plan.txt"
    text.write_text("KẾ HOẠCH\nThực hiện năm 2026", encoding="utf-8")
    source = text if command == "synth" else png_a
    result = runner.invoke(main, [command, str(source), "-o", "-"])
    assert result.exit_code == 2
    assert "'-' (standard output) is not one" in result.output
    assert not (tmp_path / "-").exists()


def test_help_is_everywhere(runner: CliRunner) -> None:
    for command in ([], ["ocr"], ["run"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
