"""OCR repair: channel counting, candidates, split/merge, junk, mode detection, page correction.

A small LM and channel are built here from a few sentences and hand-aligned readings in the
style of English-model OCR, so the behaviour under test does not depend on the shipped models.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.correct import correct_lines
from pipeline.models import Box, Line, Word
from pipeline.restore import Repairer, candidate_index, restore_text
from pipeline.restore.align import LOOKALIKES, align_syllables
from pipeline.restore.candidates import Candidates
from pipeline.restore.channel import (
    ChannelModel,
    base_char,
    count_pairs,
    load_channels,
    save_channels,
)
from pipeline.restore.lm import LanguageModel
from pipeline.restore.modes import CLEAN, OCR, STRIPPED, line_modes
from pipeline.restore.repair import RepairConfig
from pipeline.restore.syllable import strip_diacritics, syllable_inventory
from tests.conftest import tiny_model

CORPUS = """Số 12 của Ban Thường trực Ủy ban nhân dân xã.
Thực hiện chủ trương của Đảng, chính sách của Nhà nước về công tác giảm nghèo.
Đẩy mạnh công tác tuyên truyền trong các tầng lớp nhân dân.
Các cơ quan, đơn vị có trách nhiệm phối hợp với Ủy ban nhân dân xã.
Xây dựng nông thôn mới, đô thị văn minh; hỗ trợ người nghèo có nhà ở.
Nghị quyết của Đảng bộ xã về công tác giảm nghèo bền vững.
Triển khai thực hiện trong toàn xã, làm tốt công tác vận động.
Hộ nghèo trong xã được hỗ trợ, giúp đỡ làm nhà ở.
"""
# (truth, OCR) readings as the English model makes them, each seen a few times in renders.
READINGS = [
    ("Số", "S6"), ("của", "ctia"), ("của", "cua"), ("nước", "nudc"), ("Đảng", "Pang"),
    ("xã", "x4"), ("xã", "xa"), ("làm", "1am"), ("có", "c6"), ("thực", "thuc"),
    ("hiện", "hién"), ("công", "cong"), ("tác", "tac"), ("nghèo", "nghéo"), ("người", "nguoi"),
    ("trong", "trong"), ("các", "cac"), ("nhân", "nhan"), ("dân", "dan"), ("Đẩy", "Pay"),
    ("mạnh", "manh"), ("tuyên", "tuyén"), ("truyền", "truyén"), ("nhà", "nha"), ("ở", "&"),
    ("tốt", "tot"), ("vận", "van"), ("động", "dong"), ("hộ", "ho"), ("được", "duoc"),
    ("triển", "trién"), ("khai", "khai"), ("toàn", "toan"), ("Ban", "Ban"), ("về", "vé"),
]


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    return tiny_model(CORPUS.splitlines(), tmp_path_factory.mktemp("lm") / "tiny.npz")


@pytest.fixture(scope="module")
def channel() -> ChannelModel:
    return count_pairs(READINGS * 3, lookalikes=LOOKALIKES)


@pytest.fixture(scope="module")
def fixer(lm: LanguageModel, channel: ChannelModel) -> Repairer:
    return Repairer(lm, candidate_index(lm), channel)


def repair(fixer: Repairer, text: str) -> str:
    return "\n".join(fixer.repair_lines(text.split("\n"))[0])


def test_alignment_pairs_damaged_words_with_their_syllables() -> None:
    pairs = align_syllables(
        "Số 12 của Ban Thường trực, Đảng bộ xã", "S6 12 ctia Ban Thuong tryc, Pang b x4"
    )
    assert ("Số", "S6") in pairs and ("của", "ctia") in pairs and ("Đảng", "Pang") in pairs
    assert ("xã", "x4") in pairs and ("trực", "tryc") in pairs


def test_channel_learns_syllable_and_character_confusions(channel: ChannelModel) -> None:
    assert channel.logp("của", "ctia") > channel.logp("cha", "ctia")
    assert channel.logp("đảng", "Pang") > channel.logp("păng", "Pang")  # capital Đ read as P
    assert channel.logp("số", "s6") > channel.logp("sáu", "s6")
    assert channel.char_logp("ố", "6") > channel.char_logp("ố", "9")


def test_channel_round_trips_through_its_file(channel: ChannelModel, tmp_path: Path) -> None:
    path = tmp_path / "channel.json.gz"
    save_channels({"eng": channel}, path)
    loaded = load_channels(path)["eng"]
    assert loaded.syllables == channel.syllables
    assert loaded.logp("của", "ctia") == pytest.approx(channel.logp("của", "ctia"))


@pytest.mark.parametrize(
    ("ocr", "expected"),
    [
        ("S6 12 ctia Ban", "Số 12 của Ban"),
        ("chinh sach cua Nha nudc", "chính sách của Nhà nước"),
        ("chu truong ctia Pang", "chủ trương của Đảng"),
        ("Uy ban nhan dan x4.", "Ủy ban nhân dân xã."),
        ("1am tot cong tac van dong", "làm tốt công tác vận động"),
        ("nguoi ngheo c6 nha &.", "người nghèo có nhà ở."),
        ("PAY MANH CONG TAC", "ĐẨY MẠNH CÔNG TÁC"),
        ("tuy€n truy€n trong cac tang 16p", "tuyên truyền trong các tầng lớp"),  # signs for letters
    ],
)
def test_english_model_confusions_are_repaired(fixer: Repairer, ocr: str, expected: str) -> None:
    assert repair(fixer, ocr) == expected


def test_broken_and_glued_words(fixer: Repairer) -> None:
    assert repair(fixer, "tr ong toan x4") == "trong toàn xã"  # "tr" alone is no syllable
    assert repair(fixer, "trién khai thuc hién") == "triển khai thực hiện"
    assert repair(fixer, "cac tang 1ép nhandan") == "các tầng lớp nhân dân"


def _crowded_fixer(tmp_path: Path, extra: list[str]) -> Repairer:
    """The small LM plus many syllables spelled two edits from "thye" that sort before
    "thuc", so a cut of the near keys in vocabulary order would drop "thuc"."""
    def near(key: str) -> bool:
        return len(key) == 4 and sum(a != b for a, b in zip(key, "thye", strict=True)) == 2

    crowd = sorted({s for s in syllable_inventory() if near(strip_diacritics(s))})
    assert base_char("ự") == "u" and len({strip_diacritics(s) for s in crowd}) > 60
    lm = tiny_model(CORPUS.splitlines() + extra, tmp_path / "crowded.npz",
                    entries=[s for s in crowd if strip_diacritics(s) < "thuc"])
    readings = [*READINGS, ("thực", "thyc"), ("trực", "tryc"), ("thực", "thuc")]
    return Repairer(lm, candidate_index(lm), count_pairs(readings * 3, lookalikes=LOOKALIKES))


def test_channel_confusions_rank_near_keys(tmp_path: Path) -> None:
    """"ự" read "y" and "c" read "e": "thye" is two edits from "thuc" and from dozens of
    other keys; the channel, not the vocabulary order, picks which are scored."""
    fixer = _crowded_fixer(tmp_path, [])
    assert repair(fixer, "trién khai thye hién") == "triển khai thực hiện"


def test_capital_inside_a_sentence_marks_a_name(tmp_path: Path) -> None:
    """A capital mid-sentence favours syllables seen capitalised there (names: "Kiên")
    over those that never are ("kiện" of "văn kiện"), as in restoration."""
    names = ["Đồng chí Lê Văn Kiên phát biểu.", "Bà Trần Thị Hoa làm tốt công tác vận động."]
    papers = ["Các văn kiện của Đảng.", "Học tập văn kiện Đại hội.", "Những văn kiện mới."]
    fixer = _crowded_fixer(tmp_path, names + papers)
    lm = fixer.lm

    def score(cands: Candidates, syllable: str) -> float:
        return float(cands.scores[list(cands.ids).index(lm.index[syllable])])

    plain = fixer.candidates("Kién")
    cued = fixer._case_cue(plain, "Kién")
    assert score(cued, "kiên") - score(cued, "kiện") > score(plain, "kiên") - score(plain, "kiện")
    assert repair(fixer, "Ong Tran Van Kién phat biéu") == "Ông Trần Văn Kiên phát biểu"


def test_context_brings_candidates_the_channel_alone_misses(fixer: Repairer) -> None:
    """"bt" is too damaged for the channel to rank "tốt" among its candidates; the words
    around it expect "tốt" ("làm tốt công tác"), so it joins them and wins."""
    assert fixer.lm.index["tốt"] not in set(fixer.candidates("bt").ids.tolist())
    assert repair(fixer, "lam bt cong tac van dong") == "làm tốt công tác vận động"


def test_two_lookalike_digits_next_to_one_letter_are_repaired(fixer: Repairer) -> None:
    """"16p" is "lớp" read by the English model (our renders show "16i", "16n", "16p");
    numbers stay numbers."""
    assert fixer.repairable("16p") and not fixer.repairable("161")
    assert repair(fixer, "Day manh cong tac tuyén truyén trong cac tang 16p nhan dan.") == (
        "Đẩy mạnh công tác tuyên truyền trong các tầng lớp nhân dân."
    )
    assert repair(fixer, "Số 12 cua Ban Thuong truc") == "Số 12 của Ban Thường trực"


def test_list_markers_stay(fixer: Repairer) -> None:
    assert repair(fixer, "a) Thuc hién; b) ctia Pang") == "a) Thực hiện; b) của Đảng"


def test_junk_lines_pass_through(fixer: Repairer) -> None:
    junk = ["~~ ,< %$ )(#", "—_ ee~ 5S*%?", "|| ; ;; ’"]
    lines, corrections = fixer.repair_lines(junk)
    assert lines == junk and corrections == [[], [], []]


def test_spacing_and_punctuation_are_kept(fixer: Repairer) -> None:
    assert repair(fixer, "  Thuc hién,  ctia\tPang;") == "  Thực hiện,  của\tĐảng;"


def test_corrections_are_reported(fixer: Repairer) -> None:
    lines, corrections = fixer.repair_lines(["chu truong ctia Pang"])
    changed = {c.original: c.corrected for c in corrections[0]}
    assert changed["ctia"] == "của" and changed["Pang"] == "Đảng"
    assert all(c.score <= 0 for c in corrections[0])


def test_line_modes_tell_the_three_kinds_apart() -> None:
    lines = [
        "Thực hiện chủ trương của Đảng, chính sách của Nhà nước.",
        "Thuc hien chu truong cua Dang, chinh sach cua Nha nuoc.",
        "Thuc hién chu truong ctia Pang, chinh séch cia Nha nudc.",
        "",
    ]
    assert line_modes(lines, lambda word: False) == [CLEAN, STRIPPED, OCR, CLEAN]


def test_restore_auto_handles_each_kind(lm: LanguageModel, channel: ChannelModel) -> None:
    clean = "Thực hiện chủ trương của Đảng, chính sách của Nhà nước về công tác giảm nghèo."
    assert restore_text(clean, lm, channel=channel) == clean
    assert restore_text("Thuc hien chu truong cua Dang", lm, channel=channel) == (
        "Thực hiện chủ trương của Đảng"
    )
    text = "Thuc hién ctia Pang, nudc\n\n" + clean
    assert restore_text(text, lm, channel=channel) == "Thực hiện của Đảng, nước\n\n" + clean
    assert restore_text(text, lm, "clean", channel) == text


def test_clean_text_is_untouched_even_in_ocr_mode(lm: LanguageModel, channel: ChannelModel) -> None:
    clean = "Đẩy mạnh công tác tuyên truyền trong các tầng lớp nhân dân."
    assert restore_text(clean, lm, "ocr", channel) == clean


def _line(*words: tuple[str, float]) -> Line:
    box = Box(0, 0, 10, 10)
    return Line([Word(text, conf, box) for text, conf in words], box, 0)


def test_page_correction_changes_only_suspect_words() -> None:
    """Tesseract's Vietnamese output with the shipped models: valid, confident words stay."""
    lines = [
        _line(("Thực", 95), ("hiện", 96), ("chủ", 93), ("trương", 94), ("của", 95), ("Đảng", 91)),
        _line(("Thực", 95), ("hién", 40), ("chủ", 93), ("trương", 94), ("của", 95), ("Đảng", 91)),
        _line(("UBND", 90), ("tỉnh", 92), ("37/KH-UBND", 80), ("Zalo", 88)),
    ]
    before = [[w.text for w in line.words] for line in lines]
    correct_lines(lines, "vie")
    assert [w.text for w in lines[0].words] == before[0]
    assert [w.text for w in lines[2].words] == before[2]
    fixed = lines[1].words
    assert fixed[1].text == "hiện" and fixed[1].corrected_from == "hién"
    assert fixed[1].correction_score is not None
    assert all(w.corrected_from is None for w in lines[0].words)


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("Khen thưởng các tập thế và cá nhân", "Khen thưởng các tập thể và cá nhân"),
        ("Hỗ trợ đồng bào dân tộc thiếu số", "Hỗ trợ đồng bào dân tộc thiểu số"),
        ("Ông Nguyên Văn Hùng, Chủ tịch", "Ông Nguyễn Văn Hùng, Chủ tịch"),
        ("Thực hiện BÌNH ĐẰNG giới", "Thực hiện BÌNH ĐẲNG giới"),
        ("TRIẾN KHAI THỰC HIỆN PHONG TRÀO", "TRIỂN KHAI THỰC HIỆN PHONG TRÀO"),
        # right as read: the context must not talk a valid word out of its tone
        ("Làm như thế nào để người dân hiểu rõ", "Làm như thế nào để người dân hiểu rõ"),
        ("Căn cứ tình hình thực tế của địa phương", "Căn cứ tình hình thực tế của địa phương"),
        # the old tone placement is a spelling, not an error
        ("Thanh Hoá, ngày 5 tháng 3", "Thanh Hoá, ngày 5 tháng 3"),
        ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA"),
    ],
)
def test_confident_words_with_the_wrong_tone_are_corrected(read: str, printed: str) -> None:
    """Tesseract's commonest real-word error, the tone mark over the right letters, with the
    shipped models: changed only where the context clearly prefers another tone."""
    box = Box(0, 0, 10, 10)
    line = Line([Word(text, 93.0, box) for text in read.split()], box, 0)
    correct_lines([line], "vie")
    assert line.text == printed
    for word, original in zip(line.words, read.split(), strict=True):
        assert word.corrected_from == (original if word.text != original else None)


def test_real_word_step_can_be_turned_off() -> None:
    read = "các tập thế và cá nhân"
    box = Box(0, 0, 10, 10)
    line = Line([Word(text, 93.0, box) for text in read.split(" ")], box, 0)
    correct_lines([line], "vie", config=RepairConfig(real_word_margin=None))
    assert line.text == read
