"""``vnplan parse``, the CSV tables and the field scoring, on the repository's own samples."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.evaluation.fields_eval import macro_f1, match_lists, normalise, score_document
from pipeline.parse import parse_plan
from pipeline.tables import LISTS, SCALARS

SAMPLES = sorted((Path(__file__).parents[1] / "samples").glob("*.txt"))
PLAN = "KẾ HOẠCH\nTrồng cây năm 2024\n\nI. NỘI DUNG\n- Trước ngày 1/3/2024: Các thôn trồng cây.\n"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_samples_against_their_fields(sample: Path):
    gold = json.loads(sample.with_suffix(".fields.json").read_text(encoding="utf-8"))
    scores = score_document(parse_plan(sample.read_text(encoding="utf-8")).to_dict(), gold)
    assert macro_f1(scores) >= 0.9
    for name in ("doc_number", "date", "signer_name", "signer_title"):
        assert scores[name] == 1.0, name
    assert scores["sections"].f1 == 1.0
    assert scores["recipients"].f1 == 1.0


def test_scoring_rule():
    assert normalise(" Giai đoạn 2021 – 2025; ") == normalise("giai đoạn 2021-2025")
    score = match_lists(["I MỤC ĐÍCH", "2 Yêu cầu", "9 Khác"], ["I MỤC ĐÍCH", "2 Yêu cầu chung"])
    assert (score.matched, score.predicted, score.gold) == (1, 3, 2)
    assert match_lists([], []).f1 == 1.0 and match_lists([], ["x"]).f1 == 0.0


def test_one_input_prints_json(tmp_path: Path):
    source = tmp_path / "plan.txt"
    source.write_text(PLAN, encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(source)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["title"] == "Trồng cây năm 2024"
    assert record["timeline"][0]["when"] == "Trước ngày 1/3/2024"


def test_stdin_input():
    result = CliRunner().invoke(main, ["parse", "-"], input=PLAN.encode())
    assert result.exit_code == 0
    assert json.loads(result.output)["doc_type"] == "Kế hoạch"


def test_json_folder_and_bad_inputs_do_not_stop_the_batch(tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text(PLAN, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Kế hoạch".encode("cp1258", errors="replace") + b"\xff")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * 10_000_000)
    out = tmp_path / "out"
    args = ["parse", str(good), str(empty), str(binary), str(latin), str(huge),
            str(tmp_path / "missing.txt"), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("vnplan: error:")]
    assert len(errors) == 4
    for name in ("scan.txt", "latin.txt", "huge.txt", "missing.txt"):
        assert any(name in line for line in errors)
    assert sorted(p.name for p in out.iterdir()) == ["empty.json", "good.json"]
    empty_record = json.loads((out / "empty.json").read_text(encoding="utf-8"))
    assert empty_record["title"] is None and empty_record["sections"] == []


def test_csv_tables_with_bom(tmp_path: Path):
    out = tmp_path / "tables"
    args = ["parse", *map(str, SAMPLES), "--format", "csv", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    plans = out / "plans.csv"
    assert plans.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(plans, encoding="utf-8-sig")
    assert list(frame.columns) == ["document_id", *SCALARS]
    assert sorted(frame["document_id"]) == sorted(p.stem for p in SAMPLES)
    for name, columns in LISTS.items():
        table = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        assert list(table.columns) == ["document_id", "position", *columns]
        assert set(table["document_id"]) <= set(frame["document_id"])
    sections = pd.read_csv(out / "sections.csv", encoding="utf-8-sig", dtype=str)
    assert "MỤC ĐÍCH, YÊU CẦU" in set(sections["heading"])


def test_empty_batch_still_writes_valid_tables(tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "tables"
    result = CliRunner().invoke(main, ["parse", str(empty), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0
    assert len(pd.read_csv(out / "timeline.csv", encoding="utf-8-sig")) == 0
    assert len(pd.read_csv(out / "plans.csv", encoding="utf-8-sig")) == 1


def test_csv_or_several_inputs_need_an_output_folder(tmp_path: Path):
    source = tmp_path / "plan.txt"
    source.write_text(PLAN, encoding="utf-8")
    assert CliRunner().invoke(main, ["parse", str(source), "--format", "csv"]).exit_code == 2
    assert CliRunner().invoke(main, ["parse", str(source), str(source)]).exit_code == 2


def test_never_overwrites_an_input(tmp_path: Path):
    source = tmp_path / "plan.json"
    source.write_text(PLAN, encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(source), "-o", str(tmp_path)])
    assert result.exit_code != 0
    assert source.read_text(encoding="utf-8") == PLAN


def test_eval_without_shared_data_is_skipped(tmp_path: Path, capsys):
    from pipeline.evaluation.fields_eval import main as evaluate

    assert evaluate(["--shared", str(tmp_path / "nowhere")]) == 0
    assert "skipped" in capsys.readouterr().out
