"""Diacritic restoration: syllables, the LM, decoding, the CLI.

A small model is built from sentences written for these tests (seconds), so the
tests run on a fresh checkout without `vnplan lm build`.
"""

from __future__ import annotations

import copy
import itertools
import random
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.restore import LanguageModel, restore_text, strip_diacritics
from pipeline.restore.build import BuildConfig, TextSource, build_model
from pipeline.restore.candidates import CandidateIndex, Candidates
from pipeline.restore.decode import BACKWARD_WEIGHT, _blocks, viterbi
from pipeline.restore.lm import BOS_ID, EOS_ID, UNK_ID, NgramTable, Reversed, pack
from pipeline.restore.syllable import (
    Syllable,
    compose,
    decompose,
    is_valid_syllable,
    normalize_syllable,
    syllable_inventory,
)
from tests.conftest import tiny_model

CORPUS = """\
ỦY BAN NHÂN DÂN XÃ TÂN PHÚ
Số: 15/KH-UBND
Kế hoạch tổ chức thực hiện phong trào thi đua vì người nghèo trên địa bàn xã.
Ủy ban nhân dân xã ban hành kế hoạch triển khai thực hiện như sau.
Các ban, ngành, đoàn thể phối hợp với Ủy ban Mặt trận Tổ quốc xã vận động nhân dân.
Đảng ủy lãnh đạo, chính quyền điều hành, Mặt trận và các đoàn thể giám sát.
Phấn đấu giảm tỷ lệ hộ nghèo của xã xuống dưới hai phần trăm trong năm nay.
Hỗ trợ xây dựng nhà ở cho hộ nghèo, hộ cận nghèo và gia đình chính sách.
Tuyên truyền sâu rộng để người dân hiểu và tích cực tham gia phong trào.
Cán bộ, đảng viên phải gương mẫu đi đầu trong việc giúp đỡ người nghèo.
Kinh phí thực hiện từ ngân sách xã và nguồn vận động xã hội hóa.
Văn phòng Ủy ban nhân dân xã theo dõi, tổng hợp kết quả báo cáo Chủ tịch.
Hội đồng Thi đua - Khen thưởng xã xét khen thưởng tập thể, cá nhân tiêu biểu.
Trong quá trình thực hiện nếu có khó khăn, vướng mắc báo cáo về Ủy ban nhân dân xã.
Thường trực HĐND xã giám sát việc thực hiện kế hoạch, báo cáo theo Quyết định số 12/QĐ-UBND.
Nhà văn hóa thôn là nơi tổ chức họp dân và sinh hoạt cộng đồng.
Người dân liên hệ qua Zalo hoặc Fanpage của xã để được hướng dẫn.
Đề nghị các thôn gửi báo cáo trước ngày 15 tháng 6 năm 2024.
Bảo đảm an toàn giao thông, trật tự xã hội và vệ sinh môi trường.
Trường học, trạm y tế và chợ được sửa chữa, nâng cấp khang trang.
"""

ROUND_TRIP = [
    "Kế hoạch tổ chức thực hiện phong trào thi đua vì người nghèo trên địa bàn xã.",
    "Các ban, ngành, đoàn thể phối hợp với Ủy ban Mặt trận Tổ quốc xã vận động nhân dân.",
    "Đảng ủy lãnh đạo, chính quyền điều hành, Mặt trận và các đoàn thể giám sát.",
    "Hỗ trợ xây dựng nhà ở cho hộ nghèo, hộ cận nghèo và gia đình chính sách.",
    "Cán bộ, đảng viên phải gương mẫu đi đầu trong việc giúp đỡ người nghèo.",
]


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    return tiny_model(CORPUS.splitlines(), tmp_path_factory.mktemp("lm") / "tiny.npz",
                      entries=("thi đua", "giúp đỡ", "hội đồng"))


@pytest.fixture(scope="module")
def model_path(lm: LanguageModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tiny.npz"
    lm.save(path)
    return path


# --- syllables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("người", ("ng", "ươi", "", 2)),
        ("quyết", ("qu", "yê", "t", 1)),
        ("giữa", ("gi", "ưa", "", 4)),
        ("gìn", ("g", "i", "n", 2)),
        ("hoạch", ("h", "oa", "ch", 5)),
        ("đảng", ("đ", "a", "ng", 3)),
        ("ủy", ("", "uy", "", 3)),
    ],
)
def test_decompose(word: str, parts: tuple[str, str, str, int]) -> None:
    syl = decompose(word)
    assert syl == Syllable(*parts)
    assert compose(syl) == word


@pytest.mark.parametrize(
    ("word", "canonical"), [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Quý", "quý")]
)
def test_tone_placement_is_normalised(word: str, canonical: str) -> None:
    assert normalize_syllable(word) == canonical


@pytest.mark.parametrize("word", ["zalo", "fanpage", "kh", "ubnd", "tieng", "hòc", "ngưo"])
def test_invalid_syllables(word: str) -> None:
    assert not is_valid_syllable(word)


def test_stop_codas_take_only_sac_or_nang() -> None:
    assert is_valid_syllable("học") and is_valid_syllable("các")
    assert not is_valid_syllable("hòc") and not is_valid_syllable("cảt")


def test_inventory() -> None:
    inventory = syllable_inventory()
    assert {"người", "nghiêng", "quyết", "khuya", "đảng", "ủy"} <= inventory
    assert "ngiêng" not in inventory and "kả" not in inventory
    assert 15_000 < len(inventory) < 25_000
    assert "gìn" not in inventory and "gìn" in syllable_inventory(["gìn", "zalo"])


def test_strip_diacritics() -> None:
    assert strip_diacritics("Đảng ủy XÃ Hòa Bình") == "Dang uy XA Hoa Binh"
    assert strip_diacritics("Quốc hội, 2024!") == "Quoc hoi, 2024!"


# --- language model --------------------------------------------------------------------


def test_lm_is_normalised(lm: LanguageModel) -> None:
    words = np.arange(len(lm.vocab))
    for context in (["<s>"], ["người"], ["vì", "người"], ["chưa", "thấy"], []):
        history = [np.full(len(words), lm.id_of(w)) for w in context]
        total = np.exp(lm.logprob(history, words).astype(np.float64)).sum()
        assert total == pytest.approx(1.0, abs=2e-3), context


def test_lm_prefers_seen_sequences(lm: LanguageModel) -> None:
    def score(text: str) -> float:
        ids = [np.array([lm.id_of(w)]) for w in ["<s>", *text.split()]]
        return sum(
            float(lm.logprob(ids[max(0, i - 2) : i], ids[i])[0]) for i in range(1, len(ids))
        )

    assert score("vì người nghèo") > score("vi người nghèo")
    assert score("giúp đỡ người nghèo") > score("giúp đó người nghèo")


def test_save_load_round_trip(lm: LanguageModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    start = time.perf_counter()
    lm.save(path)
    loaded = LanguageModel.load(path)
    assert time.perf_counter() - start < 5
    assert loaded.vocab == lm.vocab
    assert loaded.order == lm.order == 3
    assert loaded.abbreviations == lm.abbreviations
    for a, b in zip(loaded.tables, lm.tables, strict=True):
        assert np.array_equal(a.keys, b.keys)
        assert np.allclose(a.logp, b.logp, atol=1e-2)
    assert loaded.backward is not None and lm.backward is not None
    assert np.array_equal(loaded.backward.bigrams.keys, lm.backward.bigrams.keys)
    assert np.allclose(loaded.backward.bigrams.logp, lm.backward.bigrams.logp, atol=1e-2)
    assert np.array_equal(loaded.backward.unigram_logp, lm.backward.unigram_logp)
    assert loaded.head_logp is not None and lm.head_logp is not None
    assert np.allclose(loaded.head_logp, lm.head_logp, atol=1e-2)


def test_backward_bigrams_are_the_text_read_right_to_left(lm: LanguageModel) -> None:
    """log P(word | the word after it): "thi" before "đua" far likelier than after "vì"."""
    assert lm.backward is not None

    def before(word: str, after: str) -> float:
        key = pack([np.array([lm.id_of(after)]), np.array([lm.id_of(word)])])
        idx, found = lm.backward.bigrams.find(key)
        assert found[0]
        return float(lm.backward.bigrams.logp[idx[0]])

    assert before("thi", "đua") > np.log(0.5)  # "đua" comes after "thi" in every line
    assert before("người", "nghèo") > before("vì", "người")


def test_the_word_before_a_name_is_read_as_a_title(tmp_path: Path) -> None:
    """"Ba Le Thi Thu": three (ba) is commoner than Mrs (bà) in the text, but words before
    a name are mostly titles; the model learns which (LanguageModel.head_logp)."""
    lines = ["Báo cáo do bà Nguyễn Thị Lan trình bày.",
             "Hội nghị nghe bà Trần Thị Hoa phát biểu.",
             "Ông Phạm Minh Tuấn tham dự hội nghị.",
             "Ba thôn đã hoàn thành kế hoạch.",
             "Xã có ba trường học và ba trạm y tế.",
             "Trong ba năm, xã xây dựng ba nhà văn hóa.",
             "Ba hộ được hỗ trợ làm nhà."]
    lm = tiny_model(lines, tmp_path / "tiny.npz")
    stripped = "Dai dien chi em, Ba Le Thi Thu phat bieu. Sau do, ba Vo Thi Mai trinh bay."
    out = restore_text(stripped, lm, mode="stripped")
    assert "Bà Lê Thị" in out and "bà Võ Thị Mai" in out
    untitled = copy.copy(lm)
    untitled.head_logp = None
    assert "Ba Lê Thị" in restore_text(stripped, untitled, mode="stripped")


# --- restoration -----------------------------------------------------------------------


@pytest.mark.parametrize("sentence", ROUND_TRIP)
def test_round_trip(lm: LanguageModel, sentence: str) -> None:
    assert restore_text(strip_diacritics(sentence), lm) == sentence


def test_issue_example(lm: LanguageModel) -> None:
    text = "Ke hoach to chuc thuc hien phong trao thi dua Vi nguoi ngheo"
    expected = "Kế hoạch tổ chức thực hiện phong trào thi đua Vì người nghèo"
    assert restore_text(text, lm) == expected


def test_d_becomes_dj(lm: LanguageModel) -> None:
    assert restore_text("Dang uy lanh dao", lm) == "Đảng ủy lãnh đạo"


def test_case_spacing_and_lines_are_kept(lm: LanguageModel) -> None:
    stripped = strip_diacritics(CORPUS[:300])
    restored = restore_text(stripped, lm)
    assert restored == CORPUS[:300]
    text = "  KE HOACH\t to chuc\r\n\n\nThuc hien ,  nhu sau  "
    out = restore_text(text, lm)
    assert out == "  KẾ HOẠCH\t tổ chức\r\n\n\nThực hiện ,  như sau  "
    assert strip_diacritics(out) == text


def test_symbols_abbreviations_urls_untouched(lm: LanguageModel) -> None:
    text = (
        "UBND xa, MTTQ va UBKT; so 37/KH-UBND ngay 02/11/2022, TT-BTC, "
        "xem https://xa.gov.vn/ke-hoach?id=5 hoac vanphong@xa.gov.vn qua Zalo, Fanpage."
    )
    out = restore_text(text, lm)
    kept = ("UBND", "MTTQ", "UBKT", "37/KH-UBND", "02/11/2022", "TT-BTC", "Zalo, Fanpage.",
            "https://xa.gov.vn/ke-hoach?id=5", "vanphong@xa.gov.vn")
    for piece in kept:
        assert piece in out
    assert out.startswith("UBND xã, MTTQ và UBKT; số 37/KH-UBND ngày 02/11/2022")
    assert strip_diacritics(out) == strip_diacritics(text)


def test_abbreviations_with_marks_are_learnt(lm: LanguageModel) -> None:
    assert lm.abbreviations["HDND"] == "HĐND"
    out = restore_text("Thuong truc HDND xa theo Quyet dinh so 12/QD-UBND.", lm)
    assert out == "Thường trực HĐND xã theo Quyết định số 12/QĐ-UBND."
    assert restore_text("HĐND, QĐ, Hdnd", lm) == "HĐND, QĐ, Hdnd"


def test_abbreviation_takes_the_d_of_the_phrase_it_abbreviates() -> None:
    """An abbreviation no list knows gets Đ where the text spells it out nearby with đ, and
    keeps that spelling further on; a phrase with a plain d leaves D alone (shipped model)."""
    out = restore_text(
        "Ho tro hoc vien dang ky (HVDK) som. Danh sach HVDK gui ve Phong. "
        "Doi ngu doanh nhan dia phuong (DNDP) tham gia."
    )
    assert out == (
        "Hỗ trợ học viên đăng ký (HVĐK) sớm. Danh sách HVĐK gửi về Phòng. "
        "Đội ngũ doanh nhân địa phương (DNĐP) tham gia."
    )
    assert restore_text("Cac don vi DNDN bao cao.") == "Các đơn vị DNDN báo cáo."


def test_listed_abbreviations_of_other_fields_take_their_d() -> None:
    out = restore_text("Phong DBCL phoi hop thuc hien TDG CTDT theo CDR.")
    assert out == "Phòng ĐBCL phối hợp thực hiện TĐG CTĐT theo CĐR."


def test_idempotent_on_correct_text(lm: LanguageModel) -> None:
    assert restore_text(CORPUS, lm) == CORPUS
    mixed = "Người dân liên hệ qua Zalo hoặc Fanpage của xã."
    assert restore_text(mixed, lm) == mixed


def test_unmarked_words_in_correct_text_are_kept(lm: LanguageModel) -> None:
    # "ban", "cho", "thi", "GD" are real words/abbreviations without marks.
    text = "Các ban, ngành phối hợp, cho dân thi đua; Phòng GD và HDND xã.\nKe hoach to chuc"
    out = restore_text(text, lm)
    assert out.splitlines()[0] == text.splitlines()[0]
    assert out.splitlines()[1] == "Kế hoạch tổ chức"


def test_marked_words_fix_context(lm: LanguageModel) -> None:
    out = restore_text("Cán bộ, đảng viên phai guong mau", lm)
    assert out == "Cán bộ, đảng viên phải gương mẫu"


def test_listed_abbreviation_that_spells_a_word(lm: LanguageModel) -> None:
    # "CA" (Công an) is kept next to ordinary words but read as a word in a caps heading.
    abbreviations = {**lm.abbreviations, "CA": "CA"}
    tagged = LanguageModel(
        lm.vocab, lm.unigram_logp, lm.unigram_backoff, lm.tables, lm.cap_logp, lm.lower_logp,
        lm.frequency, abbreviations,
    )
    assert restore_text("Ban chi huy CA xa", tagged).split()[3] == "CA"
    assert restore_text("UY BAN NHAN DAN XA", tagged) == "ỦY BAN NHÂN DÂN XÃ"


def test_nfd_input_is_read_as_nfc(lm: LanguageModel) -> None:
    nfd = unicodedata.normalize("NFD", "Kế hoạch tổ chức")
    assert restore_text(nfd, lm) == "Kế hoạch tổ chức"


def test_blocks_cover_the_text() -> None:
    text = "".join(f"dong {i}\n" + ("\n" if i % 7 == 0 else "") for i in range(400))
    blocks = _blocks(text, size=300)
    assert "".join(blocks) == text
    assert all(len(b) <= 300 for b in blocks) and len(blocks) > 5
    assert all(b.endswith("\n") for b in blocks[:-1])
    one_line = "mot hai ba " * 100
    assert all(b.endswith(" ") for b in _blocks(one_line, size=64)[:-1])


def test_candidates_with_costs_drive_the_decoder(lm: LanguageModel) -> None:
    # Later stages (OCR repair) pass their own candidates and channel costs.
    index = CandidateIndex.from_model(lm)
    ids = np.array([lm.id_of("người"), lm.id_of("ngươi")])
    chain = [
        Candidates(np.array([BOS_ID]), np.zeros(1, dtype=np.float32)),
        Candidates(np.array([lm.id_of("vì")]), np.zeros(1, dtype=np.float32)),
        Candidates(ids, np.zeros(2, dtype=np.float32), restorable=True),
        Candidates(np.array([lm.id_of("nghèo")]), np.zeros(1, dtype=np.float32)),
        Candidates(np.array([EOS_ID]), np.zeros(1, dtype=np.float32)),
    ]
    assert viterbi(lm, chain)[2] == 0
    chain[2] = Candidates(ids, np.array([-50.0, 0.0], dtype=np.float32), restorable=True)
    assert viterbi(lm, chain)[2] == 1
    assert lm.vocab[index.by_key["nguoi"][0]] == "người"


def _grid_viterbi(lm: LanguageModel, chain: list[Candidates]) -> list[int]:
    """The decoder as first written: every (a, b, c) scored, then max and argmax per step;
    with a backward model, each (a, b) also scored right to left, log P(a | b), but for a
    name reading a."""
    ids = [c.ids if c.context_free is None else np.where(c.context_free, UNK_ID, c.ids)
           for c in chain]
    free = [np.zeros(len(c.ids), bool) if c.context_free is None else c.context_free
            for c in chain]
    ahead = np.float32(1.0 if lm.backward is None else 1.0 - BACKWARD_WEIGHT)

    def back(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # weighted log P(a | b), leftwards
        if lm.backward is None:
            return np.zeros(np.broadcast(a, b).shape, np.float32)
        swap = {BOS_ID: EOS_ID, EOS_ID: BOS_ID}
        a, b = (np.vectorize(lambda i: swap.get(int(i), int(i)))(x).astype(np.uint64)
                for x in (a, b))
        idx, found = lm.backward.bigrams.find(pack([b, a]))
        unseen = lm.backward.unigram_backoff[b] + lm.backward.unigram_logp[a]
        return np.float32(BACKWARD_WEIGHT) * np.where(found, lm.backward.bigrams.logp[idx],
                                                      unseen)

    def grid(t: int) -> np.ndarray:  # log P(c | a b) + extra, float32 as the decoder has it
        a, b, c = np.meshgrid(ids[t - 2], ids[t - 1], ids[t], indexing="ij")
        bigram = lm.tables[0]
        idx, found = bigram.find(pack([a, b]))
        leftwards = np.where(free[t - 2][:, None, None], np.float32(0.0), back(a, b))
        backoff = ahead * np.where(found, bigram.backoff[idx], np.float32(0.0)) + leftwards
        idx, found = bigram.find(pack([b, c]))
        unseen = lm.unigram_backoff[b] + lm.unigram_logp[c]
        score = backoff + ahead * np.where(found, bigram.logp[idx], unseen)
        idx, found = lm.tables[1].find(pack([a, b, c]))
        score[found] = ahead * lm.tables[1].logp[idx[found]] + leftwards[found]
        score[:, :, free[t]] = leftwards[:, :, free[t]]
        score += chain[t].scores.astype(np.float64)[None, None, :]
        return score

    idx, found = lm.tables[0].find(pack([ids[0][:, None], ids[1][None, :]]))
    start = ahead * np.where(found, lm.tables[0].logp[idx],
                             lm.unigram_backoff[ids[0]][:, None] + lm.unigram_logp[ids[1]][None, :])
    state = np.where(free[1], np.float32(0.0), start) + chain[1].scores.astype(np.float64)
    pointers = []
    for t in range(2, len(chain)):
        total = state[:, :, None] + grid(t)
        pointers.append(total.argmax(axis=0))
        state = total.max(axis=0)
    state = state + np.where(free[-2][:, None], np.float32(0.0),
                             back(ids[-2][:, None], ids[-1][None, :]))
    prev, cur = np.unravel_index(int(state.argmax()), state.shape)
    choice = [0] * (len(chain) - 2) + [int(prev), int(cur)]
    for t in range(len(chain) - 1, 1, -1):
        choice[t - 2] = int(pointers[t - 2][choice[t - 1], choice[t]])
    return choice


def _random_model(rng: np.random.Generator, size: int = 12, backward: bool = False
                  ) -> LanguageModel:
    """A trigram model of random scores over a few syllables: unlike Kneser-Ney, seen
    trigrams may score below their back-off, and coarse values make exact and near ties."""
    def table(keys: np.ndarray, backoff: bool) -> NgramTable:
        keys = np.unique(keys)
        values = rng.choice([-0.5, -1.0, -1.0000001, -2.0, -4.0], size=(2, len(keys)))
        return NgramTable(keys, values[0].astype(np.float32),
                          values[1].astype(np.float32) if backoff else np.zeros(0, np.float32))

    def unigrams() -> tuple[np.ndarray, np.ndarray]:
        return (rng.choice([-3.0, -3.0000002, -5.0], size=size).astype(np.float32),
                rng.choice([0.0, -0.5, -1.0], size=size).astype(np.float32))
    ids = rng.integers(0, size, size=(3, 6 * size * size)).astype(np.uint64)
    unigram_logp, unigram_backoff = unigrams()
    return LanguageModel(
        vocab=[f"w{i}" for i in range(size)],
        unigram_logp=unigram_logp, unigram_backoff=unigram_backoff,
        tables=[table(pack([ids[0], ids[1]]), True), table(pack(list(ids)), False)],
        cap_logp=np.zeros(size, np.float32), lower_logp=np.zeros(size, np.float32),
        frequency=np.ones(size, np.float32),
        backward=Reversed(*unigrams(), table(pack([ids[2], ids[0]]), False)) if backward
        else None,
    )


def test_decoder_matches_the_full_grids_ties_and_names_included() -> None:
    """The decoder's shortcuts (pieces between single candidates, backed-off trigrams
    maximised once per context) choose what the max over every (a, b, c) chooses, among
    exact and near ties too (a candidate listed twice, scores a rounding apart), with seen
    trigrams below their back-off and with name readings."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        lm = _random_model(rng, backward=rng.random() < 0.5)
        for _ in range(10):
            chain = [Candidates(np.array([BOS_ID]), np.zeros(1, np.float32))]
            for k in rng.choice([1, 1, 2, 3, 6], size=int(rng.integers(1, 25))):
                ids = rng.integers(5, len(lm.vocab), size=k)
                if rng.random() < 0.3:
                    ids[-1] = ids[0]
                scores = rng.choice([0.0, -1.0, -2.5], size=k).astype(np.float32)
                free = rng.random(k) < 0.4 if rng.random() < 0.2 else None
                chain.append(Candidates(ids, scores, True, free))
                if rng.random() < 0.1:
                    chain += [Candidates(np.array([EOS_ID]), np.zeros(1, np.float32)),
                              Candidates(np.array([BOS_ID]), np.zeros(1, np.float32))]
            chain.append(Candidates(np.array([EOS_ID]), np.zeros(1, np.float32)))
            assert viterbi(lm, chain).tolist() == _grid_viterbi(lm, chain)


def test_random_text_keeps_letters_lines_and_is_stable(lm: LanguageModel) -> None:
    pieces = list("abcdeghilmnoqrstuvxyđĐAEIOU \n\t\r.,;:()\"“”-/@%0129_\u00a0àáâăêôơư")
    pieces += ["nguoi", "Dang", "UBND", "http://x.vn/a", "a)", "HDND", "KE HOACH", "gi", "qu"]
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        out = restore_text(text, lm, mode="stripped")  # OCR repair may change letters
        assert strip_diacritics(out) == strip_diacritics(text)
        assert out.count("\n") == text.count("\n")
        assert restore_text(out, lm, mode="stripped") == out
        assert restore_text(text, lm).count("\n") == text.count("\n")  # auto: lines kept


def test_list_markers_are_kept(lm: LanguageModel) -> None:
    out = restore_text("I. KE HOACH\nVI. KINH PHI\nXI. To chuc\na) Ke hoach; b) Ke hoach", lm)
    assert out == "I. KẾ HOẠCH\nVI. KINH PHÍ\nXI. Tổ chức\na) Kế hoạch; b) Kế hoạch"
    assert restore_text("Dieu VI cua Luat", lm).split()[1] == "VI"


@pytest.mark.parametrize("text", ["", " ", "\n\n", "2024", "-", "a)"])
def test_trivial_inputs(lm: LanguageModel, text: str) -> None:
    assert restore_text(text, lm) == text


@pytest.mark.slow
def test_large_input_is_linear(lm: LanguageModel) -> None:
    block = strip_diacritics(CORPUS) + "\n"
    small = block * (500_000 // len(block))
    large = block * (5_000_000 // len(block))
    start = time.perf_counter()
    restore_text(small, lm)
    small_s = time.perf_counter() - start
    start = time.perf_counter()
    out = restore_text(large, lm)
    large_s = time.perf_counter() - start
    assert out.count("\n") == large.count("\n")
    assert out[: len(CORPUS)] == CORPUS
    assert large_s < 30 * max(small_s, 0.05)  # ~10x expected; generous against noise


# --- command line and measurement -------------------------------------------------------


def test_eval_skips_without_shared_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from pipeline.evaluation import restore_eval

    assert restore_eval.main(["--shared", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().out


def test_eval_metric() -> None:
    from pipeline.evaluation.restore_eval import score

    result = score("Kế hoạch số 12, năm 2024", "kế hoach số 12 năm 2024")
    assert (result.errors, result.words) == (1, 6)


def test_cli_restore_stdin_stdout(model_path: Path) -> None:
    result = CliRunner().invoke(main, ["restore", "--lm", str(model_path)], input="Dang uy xa\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Đảng ủy xã\n"


def test_cli_restore_files(model_path: Path, tmp_path: Path) -> None:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("Ke hoach to chuc\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["restore", str(source), "-o", str(target), "--lm", str(model_path)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == "Kế hoạch tổ chức\n"
    refused = CliRunner().invoke(main, ["restore", str(source), "-o", str(source)])
    assert refused.exit_code != 0
    assert source.read_text(encoding="utf-8") == "Ke hoach to chuc\n"


def test_cli_invalid_utf8(model_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Kế hoạch".encode("cp1258", errors="replace") + b"\xff\xfe")
    result = CliRunner().invoke(main, ["restore", str(bad), "--lm", str(model_path)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "latin1.txt" in lines[0] and "UTF-8" in lines[0]
    assert "Traceback" not in result.output


def test_cli_missing_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["restore", "--lm", str(tmp_path / "none.npz")], input="a")
    assert result.exit_code != 0
    assert "vnplan lm build" in result.output


def test_cli_corrupt_model(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    result = CliRunner().invoke(main, ["restore", "--lm", str(broken)], input="a")
    assert result.exit_code != 0
    assert "broken.npz" in result.output and "Traceback" not in result.output


def test_cli_lm_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.restore.build as build

    monkeypatch.setattr(build, "general_sources", lambda config: iter(()))
    monkeypatch.setattr(build, "dictionary_sources", lambda config: iter(()))
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Biên bản họp chi bộ thôn Đông.\n" * 3, encoding="utf-8")
    target = tmp_path / "user.npz"
    result = CliRunner().invoke(main, ["lm", "train", "--corpus", str(corpus), "-o", str(target)])
    assert result.exit_code == 0, result.output
    user_lm = LanguageModel.load(target)
    assert restore_text("Bien ban hop chi bo thon Dong", user_lm) == "Biên bản họp chi bộ thôn Đông"


def test_corpus_weighting_counts_user_text_more() -> None:
    config = BuildConfig(order=3)
    base = [TextSource("đi học", 1)]
    user = [TextSource("đi hóc", config.user_weight)]
    model = build_model(itertools.chain(base, user), config)
    assert model.frequency[model.id_of("hóc")] > model.frequency[model.id_of("học")]


@pytest.mark.slow
def test_ocr_mode_memory_stays_flat_on_a_long_text() -> None:
    """Repair of OCR-damaged text works through a bounded number of lines at a time: 1 MB of
    distinct junk tokens (the worst case for candidate search) stays near the model's own
    footprint; done whole, it took over 600 MB. The peak is the process's own (VmHWM):
    ru_maxrss keeps, across exec, the size of the test process it was forked from."""
    script = (
        "import random, re, string\n"
        "from pipeline.restore import restore_text\n"
        "random.seed(1)\n"
        "words = [''.join(random.choice(string.ascii_lowercase) for _ in range(random.randint(2,"
        " 7))) for _ in range(200_000)]\n"
        "text = '\\n'.join(' '.join(words[i:i + 12]) for i in range(0, len(words), 12))\n"
        "restore_text(text, mode='ocr')\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s*(\\d+) kB', status)[1]) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=600)
    assert int(done.stdout.split()[-1]) < 400
