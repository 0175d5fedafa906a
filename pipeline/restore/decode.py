"""Viterbi decoding over trigram states, vectorised per chunk of segments.

All trigram and bigram scores a chunk needs are looked up in two batched
np.searchsorted calls; the per-position loop then only does a small
max/argmax over (previous, current) candidate grids.  Segments are joined into
one chain as <s> ... </s> <s> ... </s>: the pair (</s>, <s>) never occurs in
training, so the first word of each segment backs off to P(w | <s>) exactly.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from .acronyms import spell_from_phrases
from .candidates import CandidateIndex, Candidates
from .lm import BOS_ID, EOS_ID, UNK_ID, LanguageModel, pack
from .names import MIN_NAME, with_name_readings
from .tokens import SPACE, SYMBOL, WORD, Token, segments, tokenize

# Numbers and document symbols (37/QD-UBND) whose letter parts may be stripped
# abbreviations; URLs, e-mail and domain names are never rewritten.
_DOCUMENT_SYMBOL = re.compile(r"[\w/\-–]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
CHUNK_POSITIONS = 5_000  # bounds the memory of the batched score arrays
BLOCK_CHARS = 200_000  # text tokenised at a time
_BOS = Candidates(np.array([BOS_ID]), np.zeros(1, dtype=np.float32))
_EOS = Candidates(np.array([EOS_ID]), np.zeros(1, dtype=np.float32))


def viterbi(lm: LanguageModel, chain: list[Candidates]) -> np.ndarray:
    """Best candidate index per position of a chain that starts with <s>."""
    if lm.order != 3:
        raise ValueError(f"the decoder needs a trigram model, not order {lm.order}")
    bigrams, trigrams = lm.tables[0], lm.tables[1]
    n = np.array([len(c.ids) for c in chain], dtype=np.int64)
    flat = np.concatenate([c.ids for c in chain]).astype(np.uint64)
    extra = np.concatenate([c.scores for c in chain]).astype(np.float64)
    # Name readings are scored by their class model instead of the n-grams, and are the
    # class (<unk>) as the context of what follows.
    free = None
    if any(c.context_free is not None for c in chain):
        free = np.concatenate([np.zeros(len(c.ids), bool) if c.context_free is None
                               else c.context_free for c in chain])
        flat[free] = UNK_ID
    off = np.concatenate(([0], np.cumsum(n)[:-1]))
    length = len(chain)

    # Pair grids (prev, cur) for positions 1..L-1: bigram score and the pair's backoff.
    psize = n[:-1] * n[1:]
    pstart = np.concatenate(([0], np.cumsum(psize)[:-1]))
    ppos = np.repeat(np.arange(1, length), psize)
    k = np.arange(int(psize.sum())) - np.repeat(pstart, psize)
    ncur = n[ppos]
    b = flat[off[ppos - 1] + k // ncur]
    c = flat[off[ppos] + k % ncur]
    idx, found = bigrams.find(pack([b, c]))
    pair_lp = np.where(
        found,
        bigrams.logp[idx],
        lm.unigram_backoff[b.astype(np.intp)] + lm.unigram_logp[c.astype(np.intp)],
    )
    pair_bo = np.where(found, bigrams.backoff[idx], 0.0)
    pair_seen = found

    # Triple grids for positions 2..L-1.
    tsize = n[:-2] * n[1:-1] * n[2:]
    tstart = np.concatenate(([0], np.cumsum(tsize)[:-1]))
    tpos = np.repeat(np.arange(2, length), tsize)
    k = np.arange(int(tsize.sum())) - np.repeat(tstart, tsize)
    nb, nc = n[tpos - 1], n[tpos]
    ia, ib, ic = k // (nb * nc), (k // nc) % nb, k % nc
    ab = pstart[tpos - 2] + ia * nb + ib
    c_local = off[tpos] + ic
    tri = pair_bo[ab] + pair_lp[pstart[tpos - 1] + ib * nc + ic]
    # Only triples whose (a, b) is a seen bigram can be seen trigrams.
    maybe = np.flatnonzero(pair_seen[ab])
    key = pack([flat[off[tpos[maybe] - 2] + ia[maybe]], flat[off[tpos[maybe] - 1] + ib[maybe]],
                flat[c_local[maybe]]])
    idx, found = trigrams.find(key)
    tri[maybe[found]] = trigrams.logp[idx[found]]
    if free is not None:
        tri[free[c_local]] = 0.0
    tri += extra[c_local]

    # Viterbi over (prev, cur) states; a single-candidate position t-2 needs no argmax.
    sizes, starts = n.tolist(), tstart.tolist()
    first = slice(off[1], off[1] + sizes[1])
    start = pair_lp[: sizes[1]] if free is None else np.where(free[first], 0.0, pair_lp[: sizes[1]])
    state = (start + extra[first]).reshape(1, sizes[1])
    pointers: list[np.ndarray | None] = []
    for t in range(2, length):
        na, nb, nc = sizes[t - 2], sizes[t - 1], sizes[t]
        grid = tri[starts[t - 2] : starts[t - 2] + na * nb * nc].reshape(na, nb, nc)
        if na == 1:
            pointers.append(None)
            state = state[0][:, None] + grid[0]
        else:
            total = state[:, :, None] + grid
            pointers.append(total.argmax(axis=0))
            state = total.max(axis=0)
    choice = np.zeros(length, dtype=np.int64)
    prev, cur = np.unravel_index(int(state.argmax()), state.shape)
    choice[length - 1], choice[length - 2] = cur, prev
    for t in range(length - 1, 1, -1):
        best = pointers[t - 2]
        choice[t - 2] = 0 if best is None else best[choice[t - 1], choice[t]]
    return choice


def _on_marked_lines(tokens: list[Token], index: CandidateIndex) -> set[int]:
    """Unmarked words and symbols on lines mostly written with marks, where "ban",
    "cho", "GD" are probably meant as written (correct text must come back unchanged)."""
    keep: set[int] = set()
    plain: list[int] = []
    marked = words = 0
    for i, tok in enumerate([*tokens, Token("\n", SPACE)]):
        if tok.kind in (WORD, SYMBOL) and tok.text.isascii():
            plain.append(i)
            words += tok.kind == WORD and tok.text.lower() in index.by_key
        elif tok.kind == WORD:
            marked += 1
        elif "\n" in tok.text:
            if marked and marked >= words:
                keep.update(plain)
            plain, marked, words = [], 0, 0
    return keep


def _apply_case(word: str, model: str) -> str:
    if model.isupper():
        return word.upper()
    if model[0].isupper():
        return word[:1].upper() + word[1:]
    return word


def restore_tokens(tokens: list[Token], lm: LanguageModel, index: CandidateIndex) -> list[str]:
    """Texts of the tokens with diacritics restored where the LM chooses."""
    out = [tok.text for tok in tokens]
    on_marked_lines = _on_marked_lines(tokens, index)
    abbreviations: set[int] = set()
    for i, tok in enumerate(tokens):
        if i in on_marked_lines:
            continue  # an unmarked abbreviation among marked words is meant as written
        if tok.kind == WORD:
            abbr = index.abbreviation(tok.text)
            if abbr is not None and not (
                index.could_be_word(tok.text) and index.in_capitalised_line(tokens, i)
            ):
                out[i] = abbr
                abbreviations.add(i)
        elif tok.kind == SYMBOL and lm.abbreviations and _DOCUMENT_SYMBOL.fullmatch(tok.text):
            out[i] = _LETTER_RUN.sub(lambda m: index.abbreviation(m[0]) or m[0], tok.text)
    chosen: list[tuple[list[int], list[Candidates]]] = []
    for seg in segments(tokens):
        cands = [_candidates(tokens, i, index, abbreviations, on_marked_lines) for i in seg]
        if any(c.restorable for c in cands):  # else keep as written (fast, idempotent)
            # str.istitle is names.is_titled for words of letters only, and fast
            titled = [tokens[i].kind == WORD and tokens[i].text.istitle() for i in seg]
            if sum(titled) >= MIN_NAME:  # room for a name
                cued = [c.restorable and not tokens[i].sentence_initial  # as for_token does
                        for i, c in zip(seg, cands, strict=True)]
                cands = with_name_readings(lm, cands, titled, _same_line(tokens, seg, titled),
                                           cued)
            chosen.append((seg, cands))
    picks = decode_segments(lm, [cands for _, cands in chosen])
    for (seg, cands), seg_picks in zip(chosen, picks, strict=True):
        for i, cand, pick in zip(seg, cands, seg_picks, strict=True):
            if cand.restorable:
                out[i] = _apply_case(lm.vocab[int(cand.ids[pick])], tokens[i].text)
    spell_from_phrases(tokens, out)
    return out


def _same_line(tokens: list[Token], seg: list[int], titled: list[bool]) -> list[bool]:
    """Per position of a segment, whether it is on the line of the one before (looked at
    only between title-case words, the only place it matters)."""
    return [k == 0 or not (titled[k] and titled[k - 1]) or not any(
        "\n" in tokens[j].text for j in range(seg[k - 1] + 1, i)) for k, i in enumerate(seg)]


def decode_segments(lm: LanguageModel, segs: list[list[Candidates]]) -> list[list[int]]:
    """Best candidate index per position of each segment (segments are LM sentences).

    The shared entry point of restoration and OCR repair: callers only differ in
    how they make the candidate lists and their scores.
    """
    picks: list[list[int]] = []
    chain: list[Candidates] = []
    pending: list[int] = []  # lengths of the segments in the current chain
    for seg in [*segs, None]:
        if seg is not None:
            chain.extend((_BOS, *seg, _EOS))
            pending.append(len(seg))
        if chain and (seg is None or len(chain) >= CHUNK_POSITIONS):
            choice = viterbi(lm, chain).tolist()
            start = 0
            for length in pending:
                picks.append(choice[start + 1 : start + 1 + length])
                start += length + 2
            chain, pending = [], []
    return picks


def _candidates(
    tokens: list[Token], i: int, index: CandidateIndex, abbreviations: set[int], marked: set[int]
) -> Candidates:
    if i in abbreviations:
        return index.fixed(tokens[i])
    if i in marked:
        if index.abbreviation(tokens[i].text) is not None:
            return index.fixed(tokens[i])
        return index.as_written(tokens, i)
    return index.for_token(tokens, i)


def _blocks(text: str, size: int = BLOCK_CHARS) -> list[str]:
    """Cut text into pieces of about size characters at blank lines (segment ends), else
    at line ends or spaces, so memory stays flat however large the input."""
    blocks = []
    start = 0
    while len(text) - start > size:
        cut = -1
        for sep in ("\n\n", "\n", " "):  # never cut inside a word
            cut = text.rfind(sep, start + size // 2, start + size)
            if cut >= 0:
                break
        end = start + size if cut < 0 else cut + 1
        blocks.append(text[start:end])
        start = end
    blocks.append(text[start:])
    return blocks


def restore(text: str, lm: LanguageModel, index: CandidateIndex) -> str:
    """Restore diacritics in text; everything else is returned as it was (NFC)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(
        "".join(restore_tokens(tokenize(block), lm, index)) for block in _blocks(text)
    )
