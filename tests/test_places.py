"""Place names of the Central Highlands, whose official spellings break standard
orthography ("Đắk Lắk", "Krông Búk"): the model must know them, stripped text must get
their marks back, and a line holding one is not OCR damage."""

from __future__ import annotations

import pytest

from pipeline.restore import LanguageModel, candidate_index, restore_text
from pipeline.restore.modes import CLEAN, STRIPPED, line_modes
from pipeline.restore.places import gazetteer_names, lm_unit, place_syllables
from tests.conftest import tiny_model

CORPUS = """Ủy ban nhân dân huyện Krông Búk báo cáo kết quả giảm nghèo năm 2024.
Đoàn công tác của tỉnh Đắk Lắk làm việc tại huyện Krông Búk và huyện Ea H'Leo.
Đồng bào dân tộc Ê Đê ở xã Ea Sin được hỗ trợ giống cây trồng.
Ủy ban nhân dân xã chỉ đạo các thôn, buôn thực hiện kế hoạch.
"""


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    places = [name for name in gazetteer_names() if "Krông" in name or "Đắk" in name]
    return tiny_model(CORPUS.splitlines(), tmp_path_factory.mktemp("places") / "tiny.npz",
                      entries=places)


def test_the_gazetteer_gives_the_syllables_orthography_lacks() -> None:
    syllables = place_syllables()
    assert {"krông", "đắk", "lắk", "ea"} <= syllables
    assert not syllables & {"ii", "iv", "nt", "m"}  # numerals, capitals, single letters
    assert lm_unit("Krông") == "krông" and lm_unit("Hòa") == "hòa" and lm_unit("Zalo") is None


def test_stripped_place_names_get_their_marks_back(lm: LanguageModel) -> None:
    assert restore_text("huyen Krong Buk, tinh Dak Lak", lm, mode="stripped") == (
        "huyện Krông Búk, tỉnh Đắk Lắk"
    )


def test_a_line_with_a_place_name_is_not_ocr_damage(lm: LanguageModel) -> None:
    lines = ["Huyện Krông Búk, tỉnh Đắk Lắk", "huyen Krong Buk"]
    index = candidate_index(lm)
    assert line_modes(lines, lambda word: False, index.knows) == [CLEAN, STRIPPED]
    # without the place syllables the second line read as OCR damage: "Kông Buk"
    assert restore_text("huyen Krong Buk", lm) == "huyện Krông Búk"
