"""Viterbi decoding over trigram states, vectorised per chunk of segments.

The bigram scores of every (previous, current) candidate pair of a chunk and
its seen trigrams are looked up in two batched np.searchsorted calls; the steps
then run as array operations over many positions at once, and touch a trigram
grid only where back-off cannot settle a choice (viterbi).  Segments are joined into
one chain as <s> ... </s> <s> ... </s>: the pair (</s>, <s>) never occurs in
training, so the first word of each segment backs off to P(w | <s>) exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .acronyms import spell_from_phrases
from .candidates import CandidateIndex, Candidates
from .lm import BITS, BOS_ID, EOS_ID, UNK_ID, LanguageModel, NgramTable, pack
from .names import MIN_NAME, with_name_readings
from .tokens import SPACE, SYMBOL, WORD, Token, segments, tokenize

# Numbers and document symbols (37/QD-UBND) whose letter parts may be stripped
# abbreviations; URLs, e-mail and domain names are never rewritten.
_DOCUMENT_SYMBOL = re.compile(r"[\w/\-–]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# Share of the right-to-left bigrams (lm.Reversed) in a path's score, the left-to-right
# trigrams having the rest.  Cross-genre (genre_eval) 0.3 and 0.5 gain alike; at 0.5 our
# plans (restore_eval) lose a few words, at 0.3 none.
BACKWARD_WEIGHT = 0.3
CHUNK_POSITIONS = 5_000  # bounds the memory of the batched score arrays
BLOCK_CHARS = 200_000  # text tokenised at a time
_BOS = Candidates(np.array([BOS_ID]), np.zeros(1, dtype=np.float32))
_EOS = Candidates(np.array([EOS_ID]), np.zeros(1, dtype=np.float32))


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated aranges starts[i] .. starts[i] + sizes[i] - 1, without a Python loop."""
    total = int(sizes.sum())
    ends = np.cumsum(sizes)
    return np.arange(total) + np.repeat(starts - (ends - sizes), sizes)


@dataclass
class _Lattice:
    """A chain's candidates and the bigram scores of every (previous, current) pair.

    Pairs of position p (1 ≤ p < L) are stored current-major, at qstart[p] + j * n[p-1] + i
    for candidate i of p-1 and j of p, so the pairs that share a current candidate (what
    the next position maximises over) are contiguous.
    """

    n: np.ndarray  # candidates per position
    off: np.ndarray  # first flat candidate of each position
    ids: np.ndarray  # uint64 per flat candidate; name readings are <unk> as context
    extra: np.ndarray  # float64 per flat candidate
    free: np.ndarray | None  # per flat candidate: scored by its own score alone
    qstart: np.ndarray  # first pair of each position (qstart[0] = 0: position 0 has none)
    prev: np.ndarray  # per pair: flat index of its previous candidate
    cur: np.ndarray  # per pair: flat index of its current candidate
    logp: np.ndarray  # float32 per pair: log P(cur | prev), weighted (BACKWARD_WEIGHT)
    backoff: np.ndarray  # float32 per pair: its share of every (prev, cur, c) starting with it
    seen: np.ndarray  # per pair: (prev, cur) is a seen bigram
    back: np.ndarray | None  # float32 per pair: log P(prev | cur) right to left, weighted


def _lattice(lm: LanguageModel, chain: list[Candidates]) -> _Lattice:
    n = np.fromiter((len(c.ids) for c in chain), dtype=np.int64, count=len(chain))
    ids = np.concatenate([c.ids for c in chain]).astype(np.uint64)
    extra = np.concatenate([c.scores for c in chain]).astype(np.float64)
    off = np.cumsum(n) - n
    free = None
    for k, cands in enumerate(chain):
        if cands.context_free is not None:
            if free is None:
                free = np.zeros(len(ids), bool)
            free[off[k] : off[k] + n[k]] = cands.context_free
    if free is not None:
        ids[free] = UNK_ID
    size = np.concatenate(([0], n[:-1] * n[1:]))
    qstart = np.cumsum(size) - size
    # one group of pairs per candidate j of positions 1.., holding the candidates of p-1
    position = np.repeat(np.arange(len(n)), n)[n[0] :]
    group = n[position - 1]
    prev = _ranges(off[position - 1], group)
    cur = np.repeat(np.arange(n[0], len(ids)), group)
    logp, backoff, found = _bigrams(lm.unigram_logp, lm.unigram_backoff, lm.tables[0],
                                    ids[prev], ids[cur])
    back = None
    if lm.backward is not None:
        # the backward model's <s> opens a sentence read from its end: our </s>
        back_ids = np.where(ids == BOS_ID, EOS_ID, np.where(ids == EOS_ID, BOS_ID, ids)
                            ).astype(np.uint64)
        back = np.float32(BACKWARD_WEIGHT) * _bigrams(
            lm.backward.unigram_logp, lm.backward.unigram_backoff, lm.backward.bigrams,
            back_ids[cur], back_ids[prev])[0]
        if free is not None:  # a name reading ignores the n-grams into it, this way too
            back[free[prev]] = 0.0
        ahead = np.float32(1.0 - BACKWARD_WEIGHT)
        logp, backoff = ahead * logp, ahead * backoff + back
    return _Lattice(n, off, ids, extra, free, qstart, prev, cur, logp, backoff, found, back)


def _bigrams(
    unigram_logp: np.ndarray, unigram_backoff: np.ndarray, table: NgramTable,
    context: np.ndarray, word: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log P(word | context), the backoff of (context, word) as a context (0 where unseen)
    and whether the pair is seen, for aligned uint64 id arrays."""
    idx, found = table.find((context << np.uint64(BITS)) | word)
    unseen = unigram_backoff[context.astype(np.intp)] + unigram_logp[word.astype(np.intp)]
    return (np.where(found, table.logp[idx], unseen).astype(np.float32),
            np.where(found, table.backoff[idx], np.float32(0.0)) if len(table.backoff)
            else np.zeros(len(idx), np.float32), found)


def _trigrams(
    lm: LanguageModel, lat: _Lattice, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chain's seen trigrams: context pair, current flat candidate and its score (log P,
    weighted, plus the context pair's right-to-left score); only contexts that are seen
    bigrams can be seen trigrams."""
    ctx = np.flatnonzero(lat.seen[: lat.qstart[-1]])  # the pairs before positions 2..
    after = position[lat.cur[ctx]] + 1
    count = lat.n[after]
    ctx, after = np.repeat(ctx, count), np.repeat(after, count)
    cur = lat.off[after] + np.arange(len(ctx)) - np.repeat(np.cumsum(count) - count, count)
    trigrams = lm.tables[1]
    idx, found = trigrams.find(pack([lat.ids[lat.prev[ctx]], lat.ids[lat.cur[ctx]],
                                     lat.ids[cur]]))
    if lat.free is not None:  # a name reading ignores the n-grams
        found &= ~lat.free[cur]
    ctx, logp = ctx[found], trigrams.logp[idx[found]]
    if lat.back is not None:
        logp = np.float32(1.0 - BACKWARD_WEIGHT) * logp + lat.back[ctx]
    return ctx, cur[found], logp


@dataclass
class _Steps:
    """The steps t = 2 .. L-1 of a chain, ordered by their rank in their piece, as flat
    arrays in that order.  Elements (t, b, a) are the pairs of t-1, in groups (t, b) of
    the n[t-2] candidates a; cells (t, c, b) are the pairs of t, each the max over its
    group.  States are kept per cell in this order, then those of position 1, then a
    0 that every piece starts from."""

    bounds: np.ndarray  # first step of each rank, and the number of steps
    elem_off: np.ndarray  # first element of each step (and the total)
    group_off: np.ndarray
    cell_off: np.ndarray
    elem_state: np.ndarray  # per element: index of its state
    elem_backoff: np.ndarray  # per element: backoff weight of its pair
    elem_back: np.ndarray | None  # per element: its pair's right-to-left score (_Lattice.back)
    local_a: np.ndarray  # per element: index of a
    group_start: np.ndarray  # per group: its first element
    group_size: np.ndarray
    cell_group: np.ndarray  # per cell: its group
    cell_logp: np.ndarray  # per cell: log P(c | b)
    cell_extra: np.ndarray  # per cell: the extra score of c
    cell_free: np.ndarray | None  # per cell: c is a name reading
    slot: np.ndarray  # per pair: index of its state
    restarts: np.ndarray  # per position t: step t starts a piece from 0


def _steps(lat: _Lattice) -> _Steps:
    n, qstart, length = lat.n, lat.qstart, len(lat.n)
    steps = np.arange(2, length)
    restart = (n[steps - 2] == 1) & (n[steps - 1] == 1)  # after a 1×1 state
    rank = steps - np.maximum.accumulate(np.where(restart | (steps == 2), steps, 0))
    restarts = np.zeros(length, bool)
    restarts[steps] = restart
    steps = steps[np.argsort(rank, kind="stable")]
    na, nb, nc = n[steps - 2], n[steps - 1], n[steps]
    elem_off = np.concatenate(([0], np.cumsum(na * nb)))
    group_off = np.concatenate(([0], np.cumsum(nb)))
    cell_off = np.concatenate(([0], np.cumsum(nb * nc)))
    cell = _ranges(qstart[steps], nb * nc)
    cells = len(cell)
    slot = np.empty(len(lat.prev), dtype=np.int64)
    slot[cell] = np.arange(cells)
    slot[qstart[1] : qstart[1] + n[1]] = np.arange(cells, cells + n[1])
    elem = _ranges(qstart[steps - 1], na * nb)
    elem_state = np.where(np.repeat(restarts[steps], na * nb), cells + n[1], slot[elem])
    group_size = np.repeat(na, nb)
    group_start = np.cumsum(group_size) - group_size
    cur = lat.cur[cell]
    return _Steps(
        bounds=np.concatenate(([0], np.cumsum(np.bincount(rank, minlength=1)))),
        elem_off=elem_off, group_off=group_off, cell_off=cell_off,
        elem_state=elem_state, elem_backoff=lat.backoff[elem],
        elem_back=None if lat.back is None else lat.back[elem],
        local_a=np.arange(len(elem)) - np.repeat(group_start, group_size),
        group_start=group_start, group_size=group_size,
        cell_group=_ranges(np.repeat(group_off[:-1], nc), np.repeat(nb, nc)),
        cell_logp=lat.logp[cell], cell_extra=lat.extra[cur],
        cell_free=None if lat.free is None else lat.free[cur],
        slot=slot, restarts=restarts,
    )


def viterbi(lm: LanguageModel, chain: list[Candidates]) -> np.ndarray:
    """Best candidate index per position of a chain that starts with <s>.

    States are (previous, current) candidate pairs.  Where two consecutive positions have
    one candidate each, the best path after them does not depend on the one before (but
    for a constant), so the chain falls into pieces, and step k of every piece is done by
    one set of array operations.  In a step, an unseen trigram backs off,
    log P(c | a b) = backoff(a b) + log P(c | b), so the best a for (b, c) is the best
    state(a, b) + backoff(a b) whatever c is; seen trigrams are compared one by one.  Where
    that a is not ahead by more than float rounding, c is a name reading or (a, b, c) is
    seen, the cell maximises over every a with its score as the full (a, b, c) grid has it,
    so the choices, ties included, are those of that grid's max and argmax.  With the
    right-to-left bigrams (lm.Reversed), log P(a | b) is a term of the pair (a, b), added
    to its backoff, so the same shortcuts hold.
    """
    if lm.order != 3:
        raise ValueError(f"the decoder needs a trigram model, not order {lm.order}")
    lat = _lattice(lm, chain)
    st = _steps(lat)
    n, qstart, length = lat.n, lat.qstart, len(lat.n)
    cells = int(st.cell_off[-1])
    state = np.zeros(cells + n[1] + 1)
    pointer = np.zeros(cells, dtype=np.int64)
    first = slice(int(qstart[1]), int(qstart[1] + n[1]))
    start = lat.logp[first]
    if lat.free is not None:
        start = np.where(lat.free[lat.cur[first]], np.float32(0.0), start)
    state[cells : cells + n[1]] = start + lat.extra[lat.cur[first]]

    # Seen trigrams by cell.
    position = np.repeat(np.arange(length), n)
    ctx, cur, logp = _trigrams(lm, lat, position)
    t = position[cur]
    seen_cell = st.slot[qstart[t] + (cur - lat.off[t]) * n[t - 1] + lat.cur[ctx] - lat.off[t - 1]]
    sort = np.argsort(seen_cell, kind="stable")
    seen_cell, ctx, cur, logp, t = seen_cell[sort], ctx[sort], cur[sort], logp[sort], t[sort]
    seen_a = lat.prev[ctx] - lat.off[t - 2]
    seen_state = np.where(st.restarts[t], cells + n[1], st.slot[ctx])
    seen_score = (logp + lat.extra[cur]).astype(np.float32)
    seen_bounds = np.searchsorted(seen_cell, st.cell_off[st.bounds])

    # Far above the rounding of a score: float32 sums, float64 paths of up to L steps.
    scale = 1.0 + sum(float(np.abs(x).max(initial=0.0)) for x in (lat.logp, lat.backoff, lat.extra))
    margin = 2.0**-18 * scale * (1.0 + 2.0**-30 * length)
    for level in range(len(st.bounds) - 1):
        s0, s1 = st.bounds[level], st.bounds[level + 1]
        e0, e1, g0, g1 = st.elem_off[s0], st.elem_off[s1], st.group_off[s0], st.group_off[s1]
        c0, c1 = st.cell_off[s0], st.cell_off[s1]
        gstart, gsize = st.group_start[g0:g1] - e0, st.group_size[g0:g1]
        score = state[st.elem_state[e0:e1]] + st.elem_backoff[e0:e1]
        top = np.maximum.reduceat(score, gstart)
        near = score >= np.repeat(top - margin, gsize)
        best = np.minimum.reduceat(np.where(near, st.local_a[e0:e1], cells), gstart)
        unclear = np.add.reduceat(near.view(np.int8), gstart) > 1
        group = st.cell_group[c0:c1] - g0
        a = best[group]
        src = gstart[group] + a + e0
        grid = ((st.elem_backoff[src] + st.cell_logp[c0:c1]) + st.cell_extra[c0:c1]
                ).astype(np.float32)
        state[c0:c1] = state[st.elem_state[src]] + grid
        pointer[c0:c1] = a
        redo = unclear[group]
        if st.cell_free is not None:
            redo |= st.cell_free[c0:c1]
        k0, k1 = seen_bounds[level], seen_bounds[level + 1]
        if k1 > k0:
            sq, sa = seen_cell[k0:k1], seen_a[k0:k1]
            redo[sq[sa == pointer[sq]] - c0] = True  # its backed-off score above is wrong
            value = state[seen_state[k0:k1]] + seen_score[k0:k1]
            before = state[sq]
            np.maximum.at(state, sq, value)
            after = state[sq]
            pointer[sq[after > before]] = cells
            won = value == after
            np.minimum.at(pointer, sq[won], sa[won])
        if redo.any():
            redone = c0 + np.flatnonzero(redo)
            _full_max(st, state, pointer, redone, e0 + gstart[group[redone - c0]],
                      (seen_cell[k0:k1], seen_a[k0:k1], seen_score[k0:k1]))

    last_slot = int(st.slot[qstart[-1]])
    last = state[last_slot : last_slot + n[-2] * n[-1]].reshape(n[-1], n[-2]).T
    if lat.back is not None:  # the last word read right to left from the chain's end
        last = last + lat.back[qstart[-1] : qstart[-1] + n[-2] * n[-1]].reshape(n[-1], n[-2]).T
    choice = np.zeros(length, dtype=np.int64)
    choice[-2], choice[-1] = np.unravel_index(int(last.argmax()), last.shape)
    at, slot, sizes, starts = pointer.item, st.slot.item, n.tolist(), qstart.tolist()
    for t in range(length - 1, 1, -1):
        choice[t - 2] = at(slot(starts[t] + int(choice[t]) * sizes[t - 1] + int(choice[t - 1])))
    return choice


def _full_max(
    st: _Steps, state: np.ndarray, pointer: np.ndarray, cells: np.ndarray,
    group_start: np.ndarray, seen: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """State and pointer of some cells of a step as the max over every a of the full grid
    (backed-off score, seen trigram, or the name reading's own score)."""
    size = st.group_size[st.cell_group[cells]]
    el = _ranges(group_start, size)
    cell = np.repeat(cells, size)
    grid = ((st.elem_backoff[el] + st.cell_logp[cell]) + st.cell_extra[cell]).astype(np.float32)
    offsets = np.cumsum(size) - size
    seen_cell, seen_a, seen_score = seen
    if len(seen_cell):
        at = np.minimum(np.searchsorted(cells, seen_cell), len(cells) - 1)
        hit = cells[at] == seen_cell
        grid[offsets[at[hit]] + seen_a[hit]] = seen_score[hit]
    if st.cell_free is not None:
        named = st.cell_free[cell]
        # a name reading ignores the n-grams into it, not those of the words before it
        before = np.float32(0.0) if st.elem_back is None else st.elem_back[el[named]]
        grid[named] = (before + st.cell_extra[cell[named]]).astype(np.float32)
    total = state[st.elem_state[el]] + grid
    top = np.maximum.reduceat(total, offsets)
    won = total == np.repeat(top, size)
    state[cells] = top
    pointer[cells] = np.minimum.reduceat(np.where(won, st.local_a[el], len(pointer)), offsets)


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
                forms = [index.name_forms.get(tokens[i].text.lower()) if flag else None
                         for i, flag in zip(seg, titled, strict=True)]
                cands = with_name_readings(lm, cands, titled, _same_line(tokens, seg, titled),
                                           cued, forms)
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
