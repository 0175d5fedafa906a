"""The output formats: what a batch writes for a real OCR'd page (ALTO valid against the ALTO 4.4
schema, JSON saying how it was made) and, on a document built by hand, how a corrected word is
kept in each format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from pipeline import __version__, ocr
from pipeline.api import BatchOptions, OcrOptions, ocr_document, run_batch
from pipeline.models import Box, Document, Line, Page, Word
from pipeline.synth import write_scans
from pipeline.writers.alto import write_alto
from pipeline.writers.json import write_json
from pipeline.writers.txt import write_txt
from tests.conftest import PLAN_A

ALTO_XSD = Path(__file__).resolve().parents[2] / "shared" / "reference" / "alto" / "alto-4-4.xsd"
ALTO = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    if not ALTO_XSD.is_file():
        pytest.skip(f"no ALTO 4.4 schema at {ALTO_XSD} (the project's shared reference folder)")
    return etree.XMLSchema(etree.parse(str(ALTO_XSD)))


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory, _pixels_a: np.ndarray) -> Path:
    """What `vnplan ocr` writes for one real page, OCR'd and corrected."""
    folder = tmp_path_factory.mktemp("writers")
    scan = folder / "ke-hoach-a.png"
    Image.fromarray(_pixels_a).save(scan, dpi=(300, 300))
    result = run_batch([scan], folder / "out", OcrOptions(), BatchOptions(jobs=1, parse=False))
    assert not result.failures, result.failures
    return folder / "out"


def test_the_batch_writes_alto_beside_the_texts_and_json(batch_out: Path) -> None:
    names = {path.name for path in batch_out.iterdir()}
    assert {"ke-hoach-a.txt", "ke-hoach-a.raw.txt", "ke-hoach-a.json",
            "ke-hoach-a.alto.xml"} <= names


def test_json_records_how_it_was_made(batch_out: Path, _pixels_a: np.ndarray) -> None:
    record = json.loads((batch_out / "ke-hoach-a.json").read_text(encoding="utf-8"))
    assert record["schema_version"] == 3
    assert record["vnplan_version"] == __version__
    settings = record["settings"]
    assert settings["lang"] == "vie" and settings["correct"] is True
    assert settings["parse"] is False and "fields" not in record  # `vnplan ocr`
    page = record["pages"][0]
    assert page["dpi"] == 300.0
    assert (page["height"], page["width"]) == _pixels_a.shape[:2]  # the scan's own size
    assert {"deskew_angle", "rotation", "scale", "corrections", "lines", "text"} <= set(page)
    # what read it: the detector's lines, all by vie (letters of a good size: no script model)
    assert page["layout"] == "detector" and page["widening"] == 1.0
    assert list(page["models"]) == ["vie"] and page["models"]["vie"] >= len(page["lines"]) - 5


@pytest.mark.skipif(ocr.with_script_model("vie") == "vie",
                    reason="Tesseract's Vietnamese script model is not installed (make setup)")
def test_json_names_the_script_model_where_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 150-dpi scan is enlarged, and its doubtful lines are read again with the Vietnamese
    script model: the page's record counts the lines whose reading it gave."""
    script_readings = []
    read_line = ocr._read_line

    def spy(*args, **kwargs):
        words = read_line(*args, **kwargs)
        if kwargs.get("script"):
            script_readings.append(words)
        return words

    monkeypatch.setattr(ocr, "_read_line", spy)
    text = tmp_path / "ke-hoach-a.txt"
    text.write_text(PLAN_A, encoding="utf-8")
    [scan] = write_scans(text, tmp_path / "scans", seed=4, level="low-dpi")
    write_json(ocr_document(scan), tmp_path / "low.json")
    page = json.loads((tmp_path / "low.json").read_text("utf-8"))["pages"][0]
    assert page["scale"] > 1.0 and page["layout"] == "detector"
    script = ocr.with_script_model("vie")
    assert set(page["models"]) == {"vie", script}
    assert 0 < page["models"][script] <= len(script_readings)


def test_alto_of_a_real_page_is_valid_alto_4_4(
    batch_out: Path, schema: etree.XMLSchema
) -> None:
    alto = etree.parse(str(batch_out / "ke-hoach-a.alto.xml"))
    schema.assertValid(alto)
    record = json.loads((batch_out / "ke-hoach-a.json").read_text(encoding="utf-8"))
    page = record["pages"][0]
    element = alto.find(".//a:Page", ALTO)
    assert (element.get("WIDTH"), element.get("HEIGHT")) == (str(page["width"]),
                                                            str(page["height"]))
    words = [word for line in page["lines"] for word in line["words"]]
    strings = alto.findall(".//a:String", ALTO)
    assert [s.get("CONTENT") for s in strings] == [word["text"] for word in words]
    assert [int(strings[0].get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == list(
        words[0]["box"].values()
    )
    assert len(alto.findall(".//a:ALTERNATIVE", ALTO)) == len(page["corrections"])
    assert alto.findtext(".//a:softwareName", namespaces=ALTO) == "vnplan"
    assert alto.findtext(".//a:softwareVersion", namespaces=ALTO) == __version__
    assert alto.findtext(".//a:fileName", namespaces=ALTO) == record["source"]
    assert alto.findtext(".//a:MeasurementUnit", namespaces=ALTO) == "pixel"


def _corrected_document() -> Document:
    """Two paragraphs; correction changed "hoach" to "hoạch"."""
    title = Line([Word("Kế", 93.0, Box(100, 200, 60, 40)),
                  Word("hoạch", 41.5, Box(170, 198, 150, 44), corrected_from="hoach",
                       correction_score=-2.5)],
                 Box(100, 198, 220, 44), paragraph=0)
    body = Line([Word("Tuyên", 96.0, Box(100, 300, 120, 40)),
                 Word("truyền", 95.0, Box(230, 300, 130, 40))],
                Box(100, 300, 260, 40), paragraph=1)
    page = Page(number=1, width=1240, height=1754, deskew_angle=-1.5, lines=[title, body],
                dpi=150.0)
    return Document(Path("/scans/ke-hoach.png"), [page])


def test_a_corrected_word_keeps_tesseracts_reading_as_an_alternative(
    tmp_path: Path, schema: etree.XMLSchema
) -> None:
    path = tmp_path / "ke-hoach.alto.xml"
    write_alto(_corrected_document(), path, settings={"lang": "vie"})
    alto = etree.parse(str(path))
    schema.assertValid(alto)
    corrected = alto.find(".//a:String[@CONTENT='hoạch']", ALTO)
    assert corrected.findtext("a:ALTERNATIVE", namespaces=ALTO) == "hoach"
    assert corrected.get("WC") == "0.415"
    assert alto.find(".//a:String[@CONTENT='Kế']/a:ALTERNATIVE", ALTO) is None
    assert len(alto.findall(".//a:TextBlock", ALTO)) == 2  # one per paragraph
    assert len(alto.findall(".//a:SP", ALTO)) == 2  # between the words of each line
    assert alto.find(".//a:Page", ALTO).get("ROTATION") == "1.5"  # the text's tilt on the scan
    assert json.loads(alto.findtext(".//a:processingStepSettings", namespaces=ALTO)) == {
        "lang": "vie"
    }


def test_text_and_json_keep_both_readings(tmp_path: Path) -> None:
    document = _corrected_document()
    write_txt(document, tmp_path / "a.txt")
    write_txt(document, tmp_path / "a.raw.txt", raw=True)
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "Kế hoạch\n\nTuyên truyền\n"
    assert (tmp_path / "a.raw.txt").read_text(encoding="utf-8") == "Kế hoach\n\nTuyên truyền\n"
    write_json(document, tmp_path / "a.json", fields={"doc_number": None})
    record = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert record["settings"] is None and record["fields"] == {"doc_number": None}
    page = record["pages"][0]
    assert page["dpi"] == 150.0
    assert page["corrections"] == [
        {"line": 0, "word": 1, "original": "hoach", "corrected": "hoạch", "score": -2.5}
    ]
    assert page["lines"][0]["words"][1]["corrected_from"] == "hoach"
    assert set(page["lines"][1]["words"][0]) == {"text", "confidence", "box"}
