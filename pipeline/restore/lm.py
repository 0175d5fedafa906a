"""Syllable n-gram language model with interpolated modified Kneser-Ney smoothing.

Stored ARPA-style (interpolated probability per seen n-gram plus a backoff weight
per context), which is exact for interpolated KN and lets unseen n-grams be
scored by backing off.  N-gram keys pack up to four 16-bit syllable ids into one
np.uint64, so a table is a sorted key array searched with np.searchsorted: the
whole model loads from one .npz in a fraction of a second and scores large
batches of candidates in a few vectorised calls.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.export import atomic_write_bytes

from .syllable import normalize_syllable

BITS = 16
MAX_VOCAB = 1 << BITS
MAX_ORDER = 4
_MASK = np.uint64(MAX_VOCAB - 1)

BOS, EOS, UNK, NUM, WORD_START = "<s>", "</s>", "<unk>", "<num>", "<w>"
SPECIALS = (BOS, EOS, UNK, NUM, WORD_START)
BOS_ID, EOS_ID, UNK_ID, NUM_ID, WORD_START_ID = range(len(SPECIALS))


def pack(columns: list[np.ndarray]) -> np.ndarray:
    """Pack id columns (oldest first) into uint64 keys; the last id is the low bits."""
    key = np.zeros(np.broadcast(*columns).shape, dtype=np.uint64)
    for col in columns:
        key = (key << np.uint64(BITS)) | np.asarray(col, dtype=np.uint64)
    return key


def _low_mask(ids: int) -> np.uint64:
    return np.uint64((1 << (BITS * ids)) - 1)


@dataclass
class NgramTable:
    """One order: sorted keys with aligned log-probabilities and backoffs (natural log)."""

    keys: np.ndarray  # uint64, sorted
    logp: np.ndarray  # float32
    backoff: np.ndarray  # float32; zeros for the highest order

    def find(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of query keys and a mask of which were found."""
        if len(self.keys) == 0:
            return np.zeros(query.shape, dtype=np.intp), np.zeros(query.shape, dtype=bool)
        idx = np.searchsorted(self.keys, query)
        np.minimum(idx, len(self.keys) - 1, out=idx)
        return idx, self.keys[idx] == query


@dataclass
class Reversed:
    """The same text's bigrams read right to left: log P(word | the word after it).

    Read left to right, an unseen pair (a, b) leaves b to the unigram however surely b
    calls for its left neighbour ("ung" before "thư", "cổ" before "phần"); read right to
    left, b speaks for a.  The decoder scores a path by both readings
    (decode.BACKWARD_WEIGHT).  Ids are the forward model's, <s> and </s> swapped: here
    <s> opens a sentence read from its end."""

    unigram_logp: np.ndarray
    unigram_backoff: np.ndarray
    bigrams: NgramTable  # highest order: no backoffs


@dataclass(eq=False)  # compared and hashed by identity: caches key on the model object
class LanguageModel:
    """Syllable LM plus the lexical side data the restorer needs."""

    vocab: list[str]
    unigram_logp: np.ndarray  # float32, one per id
    unigram_backoff: np.ndarray  # float32, one per id
    tables: list[NgramTable]  # orders 2..N
    cap_logp: np.ndarray  # log P(capitalised | syllable) away from sentence starts
    lower_logp: np.ndarray  # log P(lower case | syllable) away from sentence starts
    frequency: np.ndarray  # raw weighted count (+ word-list prior): ranks candidates
    abbreviations: dict[str, str] = field(default_factory=dict)  # stripped → written
    # log P(syllable | family, middle, given-name slot) per row and id (names.py); None: none
    name_logp: np.ndarray | None = None
    name_share: np.ndarray | None = None  # per run length: share of title-case runs that are names
    head_logp: np.ndarray | None = None  # log P(a name follows | syllable) per id (names.py)
    backward: Reversed | None = None  # the n-grams read right to left; None: forward only
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.vocab)}

    @property
    def order(self) -> int:
        return len(self.tables) + 1

    def id_of(self, syllable: str) -> int:
        return self.index.get(syllable, UNK_ID)

    def unit_of(self, word: str) -> int:
        """The id of a word as written: its syllable in the canonical tone placement, or the
        word in lower case (a place name's own syllable, "Krông"); UNK_ID if unknown."""
        return self.id_of(normalize_syllable(word) or word.lower())

    def logprob(self, history: list[np.ndarray], word: np.ndarray) -> np.ndarray:
        """log P(word | history) for aligned id arrays (history oldest first)."""
        word = np.asarray(word, dtype=np.uint64)
        history = [np.asarray(h, dtype=np.uint64) for h in history[-(self.order - 1) :]]
        result = self.unigram_logp[word.astype(np.intp)].astype(np.float64)
        for k in range(2, len(history) + 2):
            ctx = history[-(k - 1) :]
            table = self.tables[k - 2]
            idx, found = table.find(pack([*ctx, word]))
            if k == 2:
                bo = self.unigram_backoff[ctx[0].astype(np.intp)]
            else:
                cidx, cfound = self.tables[k - 3].find(pack(ctx))
                bo = np.where(cfound, self.tables[k - 3].backoff[cidx], 0.0)
            result = np.where(found, table.logp[idx], bo + result)
        return result

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "vocab": np.array("\n".join(self.vocab)),
            "unigram_logp": self.unigram_logp,
            "unigram_backoff": self.unigram_backoff,
            "cap_logp": self.cap_logp.astype(np.float16),
            "lower_logp": self.lower_logp.astype(np.float16),
            "frequency": self.frequency.astype(np.float32),
            "abbreviations": np.array(
                "\n".join(f"{k}\t{v}" for k, v in sorted(self.abbreviations.items()))
            ),
        }
        if self.name_logp is not None:
            arrays["name_logp"] = self.name_logp.astype(np.float16)
        if self.name_share is not None:
            arrays["name_share"] = self.name_share.astype(np.float32)
        if self.head_logp is not None:
            arrays["head_logp"] = self.head_logp.astype(np.float16)
        parts = [("", self.tables)]
        if self.backward is not None:
            arrays["bw_unigram_logp"] = self.backward.unigram_logp
            arrays["bw_unigram_backoff"] = self.backward.unigram_backoff
            parts.append(("bw_", [self.backward.bigrams]))
        for prefix, tables in parts:
            for k, table in enumerate(tables, start=2):
                arrays[f"{prefix}keys{k}"] = table.keys
                arrays[f"{prefix}logp{k}"] = table.logp.astype(np.float16)
                if k < len(tables) + 1:
                    arrays[f"{prefix}backoff{k}"] = table.backoff.astype(np.float16)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())  # no predictable temporary name

    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        """The model in ``path``; ValueError for a file that is not one, checked from the
        arrays' headers before any is read (a crafted file could ask for gigabytes)."""
        _check_arrays(path)
        with np.load(path, allow_pickle=False) as data:
            tables = _load_tables(data, "")
            backward = None
            if "bw_unigram_logp" in data.files:
                backward = Reversed(data["bw_unigram_logp"].astype(np.float32),
                                    data["bw_unigram_backoff"].astype(np.float32),
                                    _load_tables(data, "bw_")[0])
            abbr_text = str(data["abbreviations"])
            abbreviations = dict(
                line.split("\t", 1) for line in abbr_text.split("\n") if "\t" in line
            )
            return cls(
                vocab=str(data["vocab"]).split("\n"),
                unigram_logp=data["unigram_logp"].astype(np.float32),
                unigram_backoff=data["unigram_backoff"].astype(np.float32),
                tables=tables,
                cap_logp=data["cap_logp"].astype(np.float32),
                lower_logp=data["lower_logp"].astype(np.float32),
                frequency=data["frequency"],
                abbreviations=abbreviations,
                name_logp=(data["name_logp"].astype(np.float32)
                           if "name_logp" in data.files else None),
                name_share=data["name_share"] if "name_share" in data.files else None,
                head_logp=(data["head_logp"].astype(np.float32)
                           if "head_logp" in data.files else None),
                backward=backward,
            )


def _load_tables(data: np.lib.npyio.NpzFile, prefix: str) -> list[NgramTable]:
    """The n-gram tables of orders 2.. stored under prefix ("" forward, "bw_" backward)."""
    order = 1 + sum(1 for name in data.files if name.startswith(f"{prefix}keys"))
    tables = []
    for k in range(2, order + 1):
        backoff = (data[f"{prefix}backoff{k}"].astype(np.float32) if k < order
                   else np.zeros(0, dtype=np.float32))
        tables.append(NgramTable(data[f"{prefix}keys{k}"],
                                 data[f"{prefix}logp{k}"].astype(np.float32), backoff))
    return tables


MAX_MODEL_BYTES = 1_000_000_000  # decompressed; ours is about 10 MB
_ARRAY_KINDS = "fiuU"  # floats, integers, text: never objects


def _check_arrays(path: Path) -> None:
    """Every array of the .npz has a plain dtype and together they fit MAX_MODEL_BYTES."""
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as handle:
                    major, _ = np.lib.format.read_magic(handle)
                    read_header = (np.lib.format.read_array_header_1_0 if major == 1
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(handle)
                if dtype.kind not in _ARRAY_KINDS:
                    raise ValueError(f"array {member} holds {dtype}, not numbers or text")
                total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"not a vnplan language model ({error})") from error
    if total > MAX_MODEL_BYTES:
        raise ValueError(f"its arrays would take {total / 1e9:.1f} GB, more than a model does")
    if "vocab.npy" not in set(zipfile.ZipFile(path).namelist()):
        raise ValueError("not a vnplan language model (no vocabulary)")


@dataclass
class NgramCounts:
    """Weighted raw counts per order (index 0 = unigrams), keys sorted and unique."""

    keys: list[np.ndarray]
    counts: list[np.ndarray]


def count_ngrams(
    ids: np.ndarray, seq_index: np.ndarray, weights: np.ndarray, order: int
) -> NgramCounts:
    """Count n-grams that do not cross sequence boundaries, each weighted by its sequence.

    ids/seq_index/weights are aligned per position of the concatenated sequences.
    """
    ids = ids.astype(np.uint64)
    keys, counts = [], []
    for k in range(1, order + 1):
        n = len(ids) - k + 1
        if n <= 0:
            keys.append(np.zeros(0, dtype=np.uint64))
            counts.append(np.zeros(0))
            continue
        valid = seq_index[:n] == seq_index[k - 1 : k - 1 + n]
        key = pack([ids[j : j + n] for j in range(k)])[valid]
        uniq, inverse = np.unique(key, return_inverse=True)
        keys.append(uniq)
        counts.append(np.bincount(inverse, weights=weights[:n][valid], minlength=len(uniq)))
    return NgramCounts(keys, counts)


def _discounts(adjusted: np.ndarray) -> np.ndarray:
    """Modified KN discounts D1, D2, D3+ from counts-of-counts (Chen & Goodman)."""
    rounded = np.rint(adjusted).astype(np.int64)
    n = [max(int(np.count_nonzero(rounded == i)), 1) for i in range(1, 5)]
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(d, 0.05, np.array([0.95, 1.9, 2.9]))


def _discount_of(adjusted: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.where(adjusted < 1.5, d[0], np.where(adjusted < 2.5, d[1], d[2]))


def _adjusted_counts(counts: NgramCounts, k: int, order: int) -> np.ndarray:
    """KN counts: raw at the top order and for n-grams starting a sequence, else the
    number of distinct left extensions (continuation counts)."""
    raw = counts.counts[k - 1]
    if k == order:
        return raw
    keys = counts.keys[k - 1]
    suffixes, cont = np.unique(counts.keys[k] & _low_mask(k), return_counts=True)
    idx = np.minimum(np.searchsorted(suffixes, keys), max(len(suffixes) - 1, 0))
    found = suffixes[idx] == keys if len(suffixes) else np.zeros(len(keys), bool)
    first = keys >> np.uint64(BITS * (k - 1))
    starts = (first == BOS_ID) | (first == WORD_START_ID)
    return np.where(starts | ~found, raw, np.where(found, cont[idx], 0)).astype(np.float64)


def estimate(
    counts: NgramCounts,
    vocab: list[str],
    unigram_prior: np.ndarray,
    cap_logp: np.ndarray,
    lower_logp: np.ndarray,
    abbreviations: dict[str, str],
) -> LanguageModel:
    """Interpolated modified Kneser-Ney estimate.

    Besides the KN model, keeps each syllable's raw frequency: KN unigrams reward
    many distinct left contexts, so "đua" (almost only in "thi đua") ranks low
    there although it is common; pruning candidates needs plain frequency.

    unigram_prior adds pseudo-counts (e.g. from a word-frequency list) to the
    lowest order so syllables rare in running text still rank sensibly.
    """
    order = len(counts.keys)
    vsize = len(vocab)
    frequency = np.array(unigram_prior, dtype=np.float64)
    frequency[counts.keys[0].astype(np.intp)] += counts.counts[0]
    # Unigrams: dense by id.
    adjusted = np.zeros(vsize)
    adjusted[counts.keys[0].astype(np.intp)] = _adjusted_counts(counts, 1, order)
    adjusted[[BOS_ID, WORD_START_ID]] = 0  # contexts only, never predicted
    d = _discounts(adjusted[adjusted > 0])
    discounted = np.where(adjusted > 0, np.maximum(adjusted - _discount_of(adjusted, d), 0), 0)
    total = adjusted.sum() + unigram_prior.sum()
    gamma = (adjusted.sum() - discounted.sum()) / total
    p1 = (discounted + unigram_prior) / total + (gamma + 1e-9) / vsize
    p1[[BOS_ID, WORD_START_ID]] = 1e-12
    prev_p = p1
    uni_backoff = np.zeros(vsize)
    tables: list[NgramTable] = []
    prev_keys = None
    for k in range(2, order + 1):
        keys = counts.keys[k - 1]
        adj = _adjusted_counts(counts, k, order)
        d = _discounts(adj)
        disc = _discount_of(adj, d)
        ctx = keys >> np.uint64(BITS)
        uctx, start, inverse = np.unique(ctx, return_index=True, return_inverse=True)
        denom = np.bincount(inverse, weights=adj)
        mass = np.bincount(inverse, weights=np.minimum(disc, adj))
        gamma = mass / denom
        suffix = keys & _low_mask(k - 1)
        if k == 2:
            lower = prev_p[suffix.astype(np.intp)]
            uni_backoff[uctx.astype(np.intp)] = gamma
        else:
            idx = np.minimum(np.searchsorted(prev_keys, suffix), len(prev_keys) - 1)
            lower = np.exp(tables[-1].logp.astype(np.float64))[idx]
            cidx = np.searchsorted(prev_keys, uctx)
            backoff = np.zeros(len(prev_keys))
            backoff[cidx] = gamma
            tables[-1].backoff = np.log(np.maximum(backoff, 1e-30)).astype(np.float32)
            tables[-1].backoff[backoff == 0] = 0.0
        p = np.maximum(adj - disc, 0) / denom[inverse] + gamma[inverse] * lower
        tables.append(
            NgramTable(keys, np.log(p).astype(np.float32), np.zeros(0, dtype=np.float32))
        )
        prev_keys = keys
    uni_log_bo = np.where(uni_backoff > 0, np.log(np.maximum(uni_backoff, 1e-30)), 0.0)
    return LanguageModel(
        vocab=vocab,
        unigram_logp=np.log(p1).astype(np.float32),
        unigram_backoff=uni_log_bo.astype(np.float32),
        tables=tables,
        cap_logp=cap_logp.astype(np.float32),
        lower_logp=lower_logp.astype(np.float32),
        frequency=frequency.astype(np.float32),
        abbreviations=abbreviations,
    )
