"""Documents made of several page images, ids that mirror an archive's tree, and a manifest
that knows a document by its content.

The grouping rule is tested on names alone; the batches OCR short pages rendered from our own
text with the real Tesseract.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import main
from pipeline.documents import find_documents, page_series
from pipeline.errors import ExitCode
from pipeline.manifest import MANIFEST_NAME, FileFacts, Manifest, file_sha256
from pipeline.restore.build import DEFAULT_MODEL_PATH
from pipeline.synth import render_pages

# One short page each, told apart by what they say: their order in the output shows the
# order the pages were put in.
PAGE_TEXTS = {
    1: "KẾ HOẠCH\nTuyên truyền về bảo hiểm y tế\n\nCác thôn tổ chức họp dân vào đầu tháng.\n",
    2: "Hội Liên hiệp Phụ nữ phát tờ rơi cho từng hộ gia đình.\n",
    10: "Trạm Y tế xã kiểm tra việc thực hiện hằng tháng.\n",
}
PAGE_WORDS = {1: "họp dân", 2: "tờ rơi", 10: "kiểm tra"}


@pytest.fixture(scope="module")
def page_images() -> dict[int, Image.Image]:
    return {number: render_pages(text)[0].image for number, text in PAGE_TEXTS.items()}


def _save(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(300, 300))
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.output


def _ids(out: Path) -> list[str]:
    return list(pd.read_csv(out / "plans.csv")["document_id"])


# The rule, on names alone


@pytest.mark.parametrize(
    ("names", "series", "pages"),
    [
        (["x-p1.png", "x-p10.png", "x-p2.png"], "x", ["x-p1.png", "x-p2.png", "x-p10.png"]),
        (["scan_0002.tif", "scan_0001.tif"], "scan", ["scan_0001.tif", "scan_0002.tif"]),
        (["page-2.jpg", "page-1.jpeg"], "", ["page-1.jpeg", "page-2.jpg"]),
        (["doc (3).png", "doc (1).png", "doc (2).png"], "doc",
         ["doc (1).png", "doc (2).png", "doc (3).png"]),
        (["0010.png", "0001.png", "0002.png"], "", ["0001.png", "0002.png", "0010.png"]),
        (["Trang 2.PNG", "trang 1.png"], "", ["trang 1.png", "Trang 2.PNG"]),
        (["kh-ubnd-p0.png", "kh-ubnd-p1.png"], "kh-ubnd", ["kh-ubnd-p0.png", "kh-ubnd-p1.png"]),
    ],
)
def test_names_that_differ_only_by_a_page_number_are_one_document(
    names: list[str], series: str, pages: list[str]
) -> None:
    assert page_series(names) == [(series, pages)]


@pytest.mark.parametrize(
    "names",
    [
        ["report-2023.png", "report-2024.png"],  # years: a series starts at page 0 or 1
        ["IMG_4711.jpg", "IMG_4712.jpg"],  # a camera's counter
        ["a-p1.png", "a-p01.png"],  # two pages 1
        ["b-p1.png", "b-p2.jpg"],  # not the same type
        ["c-p1.png", "c_2.png"],  # not the same name around the number
        ["x-p1.png"],  # one page is no series
        ["ke-hoach.png", "to-trinh.png"],
        ["plan-p1.pdf", "plan-p2.pdf"],  # a PDF is a document of its own
    ],
)
def test_names_that_must_not_group(names: list[str]) -> None:
    assert page_series(names) == [(None, [name]) for name in names]


def test_a_series_beside_other_documents_keeps_its_place() -> None:
    assert page_series(["a.png", "x-p2.png", "b.png", "x-p1.png"]) == [
        (None, ["a.png"]), ("x", ["x-p1.png", "x-p2.png"]), (None, ["b.png"]),
    ]


# Grouping files on disk (no OCR)


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_ids_are_paths_under_the_input_root(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _touch(archive, "2024/ubnd-xa/0001.pdf", "2024/ubnd-xa/scan-p1.png",
           "2024/ubnd-xa/scan-p2.png", "2025/0001.png", "2025/0002.png", "ghi-chu.raw.png")
    documents, problems = find_documents([archive, tmp_path / "khong-co"])
    assert [str(p.path.name) for p in problems] == ["khong-co"]
    assert {d.id: [f.name for f in d.files] for d in documents} == {
        "2024/ubnd-xa/0001": ["0001.pdf"],
        "2024/ubnd-xa/scan": ["scan-p1.png", "scan-p2.png"],
        "2025": ["0001.png", "0002.png"],  # no name but the number: the folder's
        "ghi-chu-raw": ["ghi-chu.raw.png"],  # never mistaken for the raw text of ghi-chu
    }
    explicit, _ = find_documents([archive / "2025" / "0001.png", archive / "2025" / "0002.png"])
    assert [d.id for d in explicit] == ["2025"]


def test_folder_and_file_groupings(tmp_path: Path) -> None:
    _touch(tmp_path / "scans", "ho-so/b.png", "ho-so/a10.png", "ho-so/a9.png", "ho-so/c.pdf",
           "d.png")
    folders, _ = find_documents([tmp_path / "scans"], "folder")
    assert {d.id: [f.name for f in d.files] for d in folders} == {
        "ho-so": ["a9.png", "a10.png", "b.png"], "ho-so/c": ["c.pdf"], "scans": ["d.png"],
    }
    files, _ = find_documents([tmp_path / "scans"], "file")
    assert sorted(d.id for d in files) == ["d", "ho-so/a10", "ho-so/a9", "ho-so/b", "ho-so/c"]


def test_an_output_folder_inside_the_input_is_not_searched(tmp_path: Path) -> None:
    _touch(tmp_path / "scans", "a.png", "out/a.pdf", "out-cu/b.pdf")
    documents, _ = find_documents([tmp_path / "scans"], skip=tmp_path / "scans" / "out")
    assert [d.id for d in documents] == ["a", "out-cu/b"]
    explicit, _ = find_documents([tmp_path / "scans" / "out"], skip=tmp_path / "scans" / "out")
    assert [d.id for d in explicit] == ["a"]


def test_a_multi_page_tiff_stays_a_document_alone(tmp_path: Path) -> None:
    white = Image.new("L", (20, 20), 255)
    white.save(tmp_path / "anh-p1.tif")
    white.save(tmp_path / "anh-p2.tif")
    white.save(tmp_path / "scan-p1.tif", save_all=True, append_images=[white])
    white.save(tmp_path / "scan-p2.tif")
    documents, _ = find_documents([tmp_path])
    assert [(d.id, len(d.files)) for d in documents] == [
        ("anh", 2), ("scan-p1", 1), ("scan-p2", 1)
    ]
    assert documents[1].pages() == [(tmp_path / "scan-p1.tif", 1), (tmp_path / "scan-p1.tif", 2)]


# Batches


@pytest.fixture
def series(tmp_path: Path, page_images: dict[int, Image.Image]) -> Path:
    folder = tmp_path / "scans"
    for number, image in page_images.items():
        _save(image, folder / f"x-p{number}.png")
    return folder


def test_pages_in_several_files_make_one_document_then_three_with_group_file(
    series: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, output = _run(str(series), "-o", str(out), "--jobs", "2")
    assert code == 0 and "1 documents, 3 pages" in output, output
    pages = (out / "x.txt").read_text(encoding="utf-8").split("\f")
    assert [PAGE_WORDS[n] in page for n, page in zip((1, 2, 10), pages, strict=True)] == [True] * 3
    record = json.loads((out / "x.json").read_text(encoding="utf-8"))
    assert [page["number"] for page in record["pages"]] == [1, 2, 3]
    assert _ids(out) == ["x"]

    code, output = _run(str(series), "-o", str(out), "--jobs", "2", "--group", "file")
    assert code == 0 and "3 documents, 3 pages" in output, output
    assert _ids(out) == ["x-p1", "x-p10", "x-p2"]
    assert not list(out.glob("x.*")), "the document the pages left is gone, outputs and all"
    assert PAGE_WORDS[10] in (out / "x-p10.txt").read_text(encoding="utf-8")


def test_a_nested_archive_is_mirrored_and_not_redone_once_moved(
    page_images: dict[int, Image.Image], tmp_path: Path
) -> None:
    archive, out = tmp_path / "archive", tmp_path / "out"
    _save(page_images[1], archive / "2024" / "ubnd-xa" / "ke-hoach.png")
    _save(page_images[2], archive / "2025" / "ubnd-huyen" / "bc-p1.png")
    _save(page_images[10], archive / "2025" / "ubnd-huyen" / "bc-p2.png")
    code, output = _run(str(archive), "-o", str(out), "--jobs", "2")
    assert code == 0 and "2 documents, 3 pages" in output, output
    assert _ids(out) == ["2024/ubnd-xa/ke-hoach", "2025/ubnd-huyen/bc"]
    outputs = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns  # the documents' own
               for p in out.rglob("*") if p.is_file() and p.parent != out}
    assert {"2024/ubnd-xa/ke-hoach.txt", "2025/ubnd-huyen/bc.json"} <= set(outputs)

    moved = tmp_path / "kho" / "luu-tru"
    moved.parent.mkdir()
    archive.rename(moved)
    (moved / "2025" / "ubnd-huyen").rename(moved / "2025" / "ubnd-huyen-moi")
    code, output = _run(str(moved), "-o", str(out), "--jobs", "2")
    assert code == 0 and "0 documents, 0 pages, 0 failed, 2 already done" in output, output
    assert {p: (out / p).stat().st_mtime_ns for p in outputs} == outputs, "nothing moved"
    assert _ids(out) == ["2024/ubnd-xa/ke-hoach", "2025/ubnd-huyen/bc"], "ids stay"
    with Manifest(out) as manifest:
        sources = {e.stem: [f.path for f in e.files] for e in manifest.entries()}
    assert sources["2025/ubnd-huyen/bc"] == [
        moved / "2025" / "ubnd-huyen-moi" / name for name in ("bc-p1.png", "bc-p2.png")
    ]


# The manifest's first layout

_FIRST_LAYOUT = """
CREATE TABLE documents (
    source TEXT PRIMARY KEY, stem TEXT NOT NULL UNIQUE COLLATE NOCASE, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, settings TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')), pages INTEGER NOT NULL,
    error TEXT, outputs TEXT NOT NULL, fields TEXT,
    finished TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


def test_a_first_layout_manifest_is_carried_over(tmp_path: Path) -> None:
    scan, out = tmp_path / "trang.png", tmp_path / "out"
    Image.new("L", (40, 40), 255).save(scan)
    assert _run(str(scan), "-o", str(out))[0] == 0
    with Manifest(out) as manifest:
        [made] = manifest.entries()
    (out / MANIFEST_NAME).unlink()
    stat = scan.stat()
    with sqlite3.connect(out / MANIFEST_NAME) as db:  # what an earlier vnplan wrote
        db.execute(_FIRST_LAYOUT)
        db.execute(
            "INSERT INTO documents (source, stem, size, mtime_ns, sha256, settings, status, "
            "pages, outputs, fields) VALUES (?, 'trang', ?, ?, ?, ?, 'done', 1, ?, ?)",
            (str(scan.resolve()), stat.st_size, stat.st_mtime_ns, file_sha256(scan),
             made.settings, json.dumps(made.outputs), json.dumps({"doc_number": "18/KH-UBND"})),
        )
    db.close()
    code, output = _run(str(scan), "-o", str(out))
    assert code == 0 and "0 documents, 0 pages, 0 failed, 1 already done" in output, output
    with Manifest(out) as manifest:
        [entry] = manifest.entries()
    assert entry.stem == "trang"
    assert entry.files == (FileFacts(scan.resolve(), stat.st_size, stat.st_mtime_ns),)
    plans = pd.read_csv(io.BytesIO((out / "plans.csv").read_bytes()))
    assert list(plans["doc_number"]) == ["18/KH-UBND"]


def test_a_manifest_without_word_counts_is_carried_over(tmp_path: Path) -> None:
    scan, out = tmp_path / "trang.png", tmp_path / "out"
    Image.new("L", (40, 40), 255).save(scan)
    assert _run(str(scan), "-o", str(out))[0] == 0
    with sqlite3.connect(out / MANIFEST_NAME) as db:  # what the previous vnplan wrote
        db.execute("ALTER TABLE documents DROP COLUMN counts")
        db.execute("PRAGMA user_version = 2")
    db.close()
    code, output = _run(str(scan), "-o", str(out))
    assert code == 0 and "0 documents, 0 pages, 0 failed, 1 already done" in output, output
    with Manifest(out) as manifest:
        [entry] = manifest.entries()
    assert entry.stem == "trang" and entry.status == "done" and entry.counts is None
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.close()


def test_a_manifest_of_a_newer_vnplan_is_refused(tmp_path: Path) -> None:
    scan, out = tmp_path / "trang.png", tmp_path / "out"
    Image.new("L", (20, 20), 255).save(scan)
    out.mkdir()
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    code, output = _run(str(scan), "-o", str(out))
    assert code == ExitCode.manifest_unusable
    assert output.count("\n") == 1 and "made by a newer vnplan" in output


def test_run_corrects_with_the_model_given_by_lm(
    page_images: dict[int, Image.Image], tmp_path: Path
) -> None:
    scan, out = _save(page_images[2], tmp_path / "trang.png"), tmp_path / "out"
    broken = tmp_path / "hong.npz"
    broken.write_bytes(b"not a model")
    code, output = _run(str(scan), "-o", str(out), "--lm", str(broken))
    assert code == ExitCode.missing_dependency, output
    assert output.count("\n") == 1 and "cannot be read" in output

    model = tmp_path / "cua-toi.npz"
    model.write_bytes(DEFAULT_MODEL_PATH.read_bytes())
    code, output = _run(str(scan), "-o", str(out), "--lm", str(model))
    assert code == 0 and "1 documents, 1 pages" in output, output
    with Manifest(out) as manifest:
        [entry] = manifest.entries()
    assert json.loads(entry.settings)["lm"] == str(model)
    assert PAGE_WORDS[2] in (out / "trang.txt").read_text(encoding="utf-8")
