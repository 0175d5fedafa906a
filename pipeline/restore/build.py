"""Build the syllable LM from locally installed sources and the project's dictionaries.

Sources (nothing is downloaded): underthesea's shipped running text and word
lists, wordfreq's Vietnamese frequencies, the vietnam-provinces gazetteer, and
dictionaries/ (admin lexicon, abbreviations, domain corpus).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .lm import (
    BOS_ID,
    EOS,
    EOS_ID,
    MAX_VOCAB,
    NUM_ID,
    SPECIALS,
    UNK_ID,
    WORD_START_ID,
    LanguageModel,
    NgramTable,
    Reversed,
    count_ngrams,
    estimate,
)
from .names import (
    FAMILY,
    SLOTS,
    estimate_name_logp,
    head_logp,
    lexicon_names,
    running_text_names,
)
from .places import gazetteer_names, lm_unit
from .syllable import normalize_syllable, strip_diacritics
from .tokens import PUNCT, SYMBOL, WORD, is_all_caps, segments, tokenize

REPO_ROOT = Path(__file__).resolve().parents[2]
DICTIONARIES = REPO_ROOT / "dictionaries"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "syllable_lm.npz"


@dataclass(frozen=True)
class BuildConfig:
    """Weights of the sources; integers because KN discounts use counts-of-counts.

    Weighting by repetition shrinks KN backoff mass after the repeated contexts: in
    4-fold cross-validation on dictionaries/corpus, domain weight 1/3/5/10 gave
    95.1/95.0/94.6/94.0 % syllable accuracy, so domain text counts once and a
    user's corpus twice.
    """

    order: int = 3
    domain_weight: int = 1  # dictionaries/corpus/*.txt
    user_weight: int = 2  # `vnplan lm train --corpus DIR`
    general_weight: int = 1  # underthesea running text
    lexicon_weight: int = 1  # word lists and gazetteer entries
    admin_lexicon_weight: int = 1
    wordfreq_mass: float = 0.3  # pseudo-counts relative to bigram types


@dataclass(frozen=True)
class TextSource:
    """A piece of training text: running text (sentence-padded) or a word-list entry."""

    text: str
    weight: int
    is_entry: bool = False


def _underthesea_file(*parts: str) -> Path | None:
    path = Path(str(resources.files("underthesea").joinpath(*parts)))
    return path if path.is_file() else None


def _pos_tagged_sentences(path: Path) -> Iterator[str]:
    """Recover running text from CoNLL-style 'token<TAB>tag<TAB>tag' blocks."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if words:
                yield " ".join(words)
                words = []
            continue
        words.append(line.split("\t", 1)[0].replace("_", " "))
    if words:
        yield " ".join(words)


def _dictionary_lines(path: Path) -> Iterator[str]:
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def vlsp_sentences() -> list[str]:
    """The VLSP 2013 sentences (news) shipped with underthesea's POS tagger, as running text."""
    tagged = _underthesea_file(
        "pipeline", "pos_tag", "models", "pos_crf_vlsp2013_20230303", "test_output.txt"
    )
    return list(_pos_tagged_sentences(tagged)) if tagged else []


def general_sources(config: BuildConfig) -> Iterator[TextSource]:
    """Everything but the project's own dictionaries."""
    for sentence in vlsp_sentences():
        yield TextSource(sentence, config.general_weight)
    transcript = _underthesea_file("pipeline", "tts", "viettts_", "assets", "transcript.txt")
    if transcript:
        for line in transcript.read_text(encoding="utf-8").splitlines():
            yield TextSource(line, config.general_weight)
    words = _underthesea_file("corpus", "data", "Viet74K.txt")
    if words:
        for line in words.read_text(encoding="utf-8").splitlines():
            yield TextSource(line, config.lexicon_weight, is_entry=True)
    lexicon = _underthesea_file("pipeline", "tts", "viettts_", "assets", "infore", "lexicon.txt")
    if lexicon:
        for line in lexicon.read_text(encoding="utf-8").splitlines():
            yield TextSource(line.split("\t", 1)[0], config.lexicon_weight, is_entry=True)
    for name in sorted(gazetteer_names()):
        yield TextSource(name, config.lexicon_weight, is_entry=True)


def dictionary_sources(config: BuildConfig, root: Path = DICTIONARIES) -> Iterator[TextSource]:
    for line in _dictionary_lines(root / "admin_lexicon.txt"):
        yield TextSource(line.split("\t")[0], config.admin_lexicon_weight, is_entry=True)
    for line in _dictionary_lines(root / "abbreviations.tsv"):
        if line.startswith("abbreviation\t"):
            continue  # header row
        for expansion in line.split("\t")[1:]:
            yield TextSource(expansion, config.admin_lexicon_weight, is_entry=True)
    yield from corpus_sources(root / "corpus", config.domain_weight)


def corpus_sources(directory: Path, weight: int) -> Iterator[TextSource]:
    for path in sorted(directory.rglob("*.txt")) if directory.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            yield TextSource(line, weight)


_LETTER_RUN = re.compile(r"[^\W\d_]{2,}")


def abbreviation_forms(text: str) -> Iterator[str]:
    """ALL-CAPS letter runs that are not syllables (HĐND, UBND), also inside 37/QĐ-UBND."""
    for run in _LETTER_RUN.findall(text):
        if run.isupper() and normalize_syllable(run) is None:
            yield run


def abbreviation_map(observed: Counter[str], root: Path = DICTIONARIES) -> dict[str, str]:
    """Stripped spelling → written spelling of ALL-CAPS abbreviations (TDKT → TĐKT).

    Forms come from abbreviations.tsv (counted once) and from running text.  Identity
    entries (UBND → UBND) are kept: they tell the decoder a token is an abbreviation.
    A stripped form that is itself listed, or seen as written at least a third as
    often as its commonest marked form, stays as typed (TU: Tỉnh ủy or TƯ? GD: Giáo
    dục or GĐ?).
    """
    forms: dict[str, Counter[str]] = {}
    for form, count in observed.items():
        forms.setdefault(strip_diacritics(form), Counter())[form] += count
    listed: set[str] = set()
    for line in _dictionary_lines(root / "abbreviations.tsv"):
        abbr = unicodedata.normalize("NFC", line.split("\t")[0].strip())
        if is_all_caps(abbr) and abbr.isalpha():
            listed.add(abbr)
            forms.setdefault(strip_diacritics(abbr), Counter())[abbr] += 1
    out = {}
    for key, counts in forms.items():
        if is_all_caps(key):
            top, top_count = counts.most_common(1)[0]
            out[key] = key if key in listed or 3 * counts[key] >= top_count else top
    return out


def _lm_units(text: str) -> Iterator[list[tuple[str, bool | None]]]:
    """Segments of (unit, capitalised?) where unit is a normalised syllable, '<num>' or
    '<unk>'; capitalised is None where case says nothing (sentence start, ALL CAPS)."""
    tokens = tokenize(unicodedata.normalize("NFC", text))
    for seg in segments(tokens):
        units: list[tuple[str, bool | None]] = []
        for i in seg:
            tok = tokens[i]
            if tok.kind == SYMBOL:
                units.append(("<num>" if any(c.isdigit() for c in tok.text) else "<unk>", None))
                continue
            if tok.kind == PUNCT:
                units.append((tok.text, None))
                continue
            syl = lm_unit(tok.text) if tok.kind == WORD else None
            if syl is None:
                units.append(("<unk>", None))
                continue
            cap = None
            if not tok.sentence_initial and not is_all_caps(tok.text):
                cap = tok.text[0].isupper()
            units.append((syl, cap))
        yield units


def build_model(sources: Iterable[TextSource], config: BuildConfig) -> LanguageModel:
    """Count, smooth and package the model (plus capitalisation statistics)."""
    sequences: list[tuple[list[str], int]] = []
    caps: list[tuple[str, bool]] = []
    abbreviations: Counter[str] = Counter()
    running: list[str] = []
    for src in sources:
        if src.weight <= 0:
            continue
        if not src.is_entry:
            abbreviations.update(abbreviation_forms(unicodedata.normalize("NFC", src.text)))
            running.append(src.text)
        for units in _lm_units(src.text):
            words = [u for u, _ in units]
            if src.is_entry:
                sequences.append((["<w>", *words], src.weight))
            else:
                sequences.append((["<s>", *words, "</s>"], src.weight))
                caps.extend((u, c) for u, c in units if c is not None)
    vocab_set = {w for seq, _ in sequences for w in seq} - set(SPECIALS)
    wordfreq_counts = _wordfreq_counts()
    vocab_set.update(wordfreq_counts)
    vocab = list(SPECIALS) + sorted(vocab_set)
    if len(vocab) > MAX_VOCAB:
        raise ValueError(f"vocabulary of {len(vocab)} syllables exceeds {MAX_VOCAB}")
    index = {w: i for i, w in enumerate(vocab)}
    lengths = np.array([len(seq) for seq, _ in sequences], dtype=np.int64)
    ids = np.fromiter((index[w] for seq, _ in sequences for w in seq), dtype=np.int64)
    seq_index = np.repeat(np.arange(len(sequences)), lengths)
    weights = np.repeat(np.array([w for _, w in sequences], dtype=np.float64), lengths)
    counts = count_ngrams(ids, seq_index, weights, config.order)
    # right to left: the words between the markers reversed, the markers kept in place
    backward_ids = np.fromiter(
        (index[w] for seq, _ in sequences
         for w in (seq[:1] + seq[-2:0:-1] + seq[-1:] if seq[-1] == EOS else seq[:1] + seq[:0:-1])),
        dtype=np.int64, count=len(ids))
    backward_counts = count_ngrams(backward_ids, seq_index, weights, config.order)
    prior = np.zeros(len(vocab))
    for word, freq in wordfreq_counts.items():
        prior[index[word]] = freq
    if prior.sum() > 0:
        prior *= config.wordfreq_mass * len(counts.keys[1]) / prior.sum()
    prior[[BOS_ID, EOS_ID, UNK_ID, NUM_ID, WORD_START_ID]] = 0
    cap_logp, lower_logp = _capitalisation(caps, index)
    model = estimate(counts, vocab, prior, cap_logp, lower_logp, abbreviation_map(abbreviations))
    backward = estimate(backward_counts, vocab, prior, cap_logp, lower_logp, {})
    bigrams = backward.tables[0]
    model.backward = Reversed(backward.unigram_logp, backward.unigram_backoff,
                              NgramTable(bigrams.keys, bigrams.logp, np.zeros(0, np.float32)))
    counts, model.name_share, model.head_logp = _name_counts(running, index)
    model.name_logp = estimate_name_logp(counts, model.frequency.astype(np.float64))
    return model


def _name_counts(
    running: list[str], index: dict[str, int], root: Path = DICTIONARIES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occurrences of each syllable as a family, middle and given name (the lexicon's name
    lists, then the names in running text), the share of names per title-case run, and
    log P(a name follows | syllable)."""
    counts = np.zeros((SLOTS, len(index)))
    listed = list(lexicon_names(root / "admin_lexicon.txt"))
    family = {syllable for slot, syllable in listed if slot == FAMILY}
    heads: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    found, share = running_text_names(running, family, {syllable for _, syllable in listed},
                                      heads)
    for slot, syllable in [*listed, *found]:
        if syllable in index:
            counts[slot, index[syllable]] += 1
    return counts, share, head_logp(heads, index)


def _wordfreq_counts() -> dict[str, float]:
    """Vietnamese syllable frequencies from wordfreq, normalised and summed."""
    import wordfreq

    out: dict[str, float] = {}
    for word in wordfreq.top_n_list("vi", 100_000):
        syl = normalize_syllable(unicodedata.normalize("NFC", word))
        if syl is not None:
            out[syl] = out.get(syl, 0.0) + wordfreq.word_frequency(word, "vi")
    return out


def _capitalisation(
    caps: list[tuple[str, bool]], index: dict[str, int], prior: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed log P(capitalised | syllable) away from sentence starts.

    A capitalised word inside a sentence is usually a name or a title word
    ("Đảng", "Vì người nghèo"), which separates candidates the LM alone cannot.
    """
    n = len(index)
    cap = np.zeros(n)
    total = np.zeros(n)
    for unit, is_cap in caps:
        i = index[unit]
        total[i] += 1
        cap[i] += is_cap
    rate = cap.sum() / max(total.sum(), 1)
    p = np.clip((cap + prior * rate) / (total + prior), 1e-4, 1 - 1e-4)
    return np.log(p), np.log1p(-p)


def build_default(
    config: BuildConfig | None = None,
    extra_corpus: Path | None = None,
    output: Path = DEFAULT_MODEL_PATH,
) -> LanguageModel:
    """Build from all sources (plus a user's corpus directory, weighted up) and save."""
    config = config or BuildConfig()
    sources: list[Iterable[TextSource]] = [general_sources(config), dictionary_sources(config)]
    if extra_corpus is not None:
        sources.append(corpus_sources(extra_corpus, config.user_weight))
    model = build_model((src for group in sources for src in group), config)
    model.save(output)
    return model
