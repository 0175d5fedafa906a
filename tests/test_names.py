"""Personal names in restoration and OCR repair (issue 17): the name class model.

A small model is built from sentences written for these tests, with the name statistics
of the project's lexicon; the last tests use the built model when there is one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.restore import LanguageModel, load_language_model, restore_text
from pipeline.restore.build import (
    DEFAULT_MODEL_PATH,
    DICTIONARIES,
)
from pipeline.restore.candidates import CandidateIndex, Candidates
from pipeline.restore.decode import restore, viterbi
from pipeline.restore.lm import BOS_ID, EOS_ID
from pipeline.restore.names import (
    FAMILY,
    GIVEN,
    MIDDLE,
    NOT_A_NAME,
    estimate_name_logp,
    lexicon_names,
    name_runs,
    running_text_names,
    title_runs,
)
from tests.conftest import tiny_model

CORPUS = """\
Hội nghị quán triệt văn kiện Đại hội Đảng bộ tỉnh lần thứ XX.
Các chi bộ học tập văn kiện Đại hội và xây dựng kế hoạch hành động.
Văn kiện Đại hội được phổ biến đến cán bộ, đảng viên và nhân dân.
Đồng chí Trần Văn Kiên, Bí thư Đảng ủy xã, phát biểu chỉ đạo hội nghị.
Báo cáo do bà Nguyễn Thị Lan, Chủ tịch Hội Liên hiệp Phụ nữ, trình bày.
Ông Phạm Minh Tuấn tham dự hội nghị.
Ban Chỉ Đạo xã họp định kỳ hằng tháng.
Ban Thường Vụ Huyện ủy chỉ đạo thực hiện.
"""


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    return tiny_model(CORPUS.splitlines(), tmp_path_factory.mktemp("names") / "tiny.npz")


def test_lexicon_lists_family_middle_and_given_names() -> None:
    names = set(lexicon_names(DICTIONARIES / "admin_lexicon.txt"))
    assert {(FAMILY, "nguyễn"), (FAMILY, "lê"), (MIDDLE, "thị"), (GIVEN, "lan")} <= names
    assert all(slot in (FAMILY, MIDDLE, GIVEN) for slot, _ in names)


def test_names_are_found_in_running_text() -> None:
    found, share = running_text_names(CORPUS.splitlines(), {"trần", "nguyễn", "phạm", "bàn"},
                                      {"trần", "văn", "kiên", "nguyễn", "thị", "lan", "phạm",
                                       "minh", "tuấn", "bàn"})
    assert (GIVEN, "kiên") in found and (MIDDLE, "thị") in found
    # title-case runs opened by a family name once marks are lost: of three syllables,
    # three names ("Ông Phạm Minh Tuấn" from its family name) and "Ban Chỉ Đạo" ("Ban"
    # could be "Bàn"); of four, "Ban Thường Vụ Huyện"
    assert (MIDDLE, "minh") in found
    assert share[3] == pytest.approx(3 / 4)
    assert share[4] == 0


def test_title_runs_stop_at_punctuation() -> None:
    titled = [True, True, True, False, True, True, True, True, True]
    glued = [True, True, True, True, True, True, False, True, True]
    assert list(title_runs(titled, glued)) == [(0, 3), (4, 6), (6, 9)]


def test_a_name_run_starts_at_its_family_name_after_a_title() -> None:
    """"Bà Huỳnh Thị Kim Loan": five title-case words, a name of four after the title."""
    titled, glued = [True] * 5, [True] * 5
    assert list(name_runs(titled, glued, [False, True, False, False, False])) == [(1, 5)]
    assert list(name_runs(titled, glued, [True, False, False, False, False])) == []  # 5 long
    assert list(name_runs(titled[:3], glued[:3], [False, True, False])) == []  # 2 long


def test_a_name_after_a_title_reaches_family_names_rarer_than_words(lm: LanguageModel) -> None:
    """Only the commonest words of "Dang" are candidates ("đảng", "đang", "đáng"): the
    family name "Đặng" comes as a name reading all the same."""
    index = CandidateIndex.from_model(lm, max_candidates=3)
    assert lm.index["đặng"] not in index.by_key["dang"]
    assert restore("Ong Dang Van Kien phat bieu.", lm, index) == "Ông Đặng Văn Kiên phát biểu."


def test_a_name_listed_only_as_family_is_still_a_given_name() -> None:
    counts = np.zeros((3, 4))
    counts[FAMILY, 0] = 1  # "Kiên" in the family list only
    counts[GIVEN, 1] = 3
    counts[MIDDLE, 2] = 2
    logp = estimate_name_logp(counts, np.ones(4))
    assert np.isfinite(logp[GIVEN, 0]) and logp[GIVEN, 0] < logp[GIVEN, 1]
    assert logp[FAMILY, 1] == NOT_A_NAME  # family names are a closed class
    assert (logp[:, 3] == NOT_A_NAME).all()  # never in a name
    assert np.exp(logp[GIVEN, :3]).sum() == pytest.approx(1.0, abs=1e-6)


def test_name_statistics_survive_save_and_load(lm: LanguageModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    lm.save(path)
    loaded = LanguageModel.load(path)
    assert loaded.name_logp is not None and lm.name_logp is not None
    assert np.allclose(loaded.name_logp, lm.name_logp, atol=1e-2, equal_nan=True)
    assert np.array_equal(loaded.name_share, lm.name_share)


def test_context_free_candidate_is_scored_by_its_own_score(lm: LanguageModel) -> None:
    """A name reading escapes the n-grams: with a better class score it wins although
    the n-grams prefer the other reading."""
    van, kien, kien_word = lm.index["văn"], lm.index["kiên"], lm.index["kiện"]
    chain = [
        Candidates(np.array([BOS_ID]), np.zeros(1, np.float32)),
        Candidates(np.array([van]), np.zeros(1, np.float32)),
        Candidates(np.array([kien_word, kien]), np.zeros(2, np.float32), True,
                   np.array([False, False])),
        Candidates(np.array([EOS_ID]), np.zeros(1, np.float32)),
    ]
    assert viterbi(lm, chain)[2] == 0  # "văn kiện" by the n-grams
    chain[2] = Candidates(chain[2].ids, np.array([0.0, -0.5], np.float32), True,
                          np.array([False, True]))
    assert viterbi(lm, chain)[2] == 1


def test_signer_name_is_not_pulled_to_a_phrase(lm: LanguageModel) -> None:
    assert restore_text("Tran Van Kien", lm) == "Trần Văn Kiên"
    assert restore_text("theo van kien Dai hoi", lm) == "theo văn kiện Đại hội"


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="model not built")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PHO CHU TICH\n\nLe Van Kien", "PHÓ CHỦ TỊCH\n\nLê Văn Kiên"),
        ("Dong chi Le Van Kien, Pho Chu tich UBND tinh phat bieu",
         "Đồng chí Lê Văn Kiên, Phó Chủ tịch UBND tỉnh phát biểu"),
        ("Hoi nghi quan triet van kien Dai hoi", "Hội nghị quán triệt văn kiện Đại hội"),
        ("Ban To chuc Tinh uy", "Ban Tổ chức Tỉnh ủy"),
    ],
)
def test_built_model_restores_signer_names(text: str, expected: str) -> None:
    assert restore_text(text, load_language_model()) == expected


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="model not built")
def test_built_model_repairs_a_legacy_ocr_signer_line() -> None:
    assert restore_text("Trán Van Kién", load_language_model(), mode="ocr") == "Trần Văn Kiên"
