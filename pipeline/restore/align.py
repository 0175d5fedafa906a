"""Word alignment of OCR text with its truth, to count what the OCR made of each syllable.

Pages are aligned as token sequences on a rough skeleton (lower case, no marks,
look-alike digits as letters) so that most damaged words still anchor; the
blocks between anchors are paired by a small edit-distance DP.
"""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein

from .syllable import is_valid_syllable, strip_diacritics

EDGE_PUNCT = ".,;:!?\"“”'‘’()[]{}…-–—_/|*#•«»"
LOOKALIKES = {"6": "o", "4": "a", "&": "a", "@": "a", "¢": "c", "0": "o", "1": "l", "3": "a",
              "8": "a", "$": "s", "5": "s", "€": "e", "¥": "y"}  # digits and signs for letters
_LOOKALIKE = str.maketrans(LOOKALIKES)
MAX_BLOCK = 80  # tokens per side for the DP; larger gaps are reading-order mismatches
MAX_PAIR_DISTANCE = 0.6  # normalised skeleton distance above which two tokens are unrelated


def core(token: str) -> str:
    """The token without surrounding punctuation, NFC (case kept: "Đ" is read "P", "đ" "d")."""
    return unicodedata.normalize("NFC", token.strip(EDGE_PUNCT))


def skeleton(token: str) -> str:
    return strip_diacritics(token).lower().translate(_LOOKALIKE)


def _pair_cost(a: str, b: str) -> float:
    return Levenshtein.normalized_distance(a, b)


def _block_pairs(truth: list[str], ocr: list[str]) -> list[tuple[int, int]]:
    """Index pairs of a minimal-cost alignment (match cost = skeleton distance, gap = 0.7)."""
    n, m = len(truth), len(ocr)
    if n == m:
        return list(zip(range(n), range(m), strict=True))
    if n > MAX_BLOCK or m > MAX_BLOCK:
        return []
    gap = 0.7
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0], back[i][0] = i * gap, 1
    for j in range(1, m + 1):
        cost[0][j], back[0][j] = j * gap, 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = (
                cost[i - 1][j - 1] + _pair_cost(truth[i - 1], ocr[j - 1]),
                cost[i - 1][j] + gap,
                cost[i][j - 1] + gap,
            )
            k = min(range(3), key=options.__getitem__)
            cost[i][j], back[i][j] = options[k], k
    pairs = []
    i, j = n, m
    while i or j:
        k = back[i][j]
        if k == 0:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif k == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def align_syllables(truth_text: str, ocr_text: str) -> list[tuple[str, str]]:
    """(truth syllable, OCR token) pairs of cores, as written, for Vietnamese syllables."""
    truth = [core(t) for t in truth_text.split()]
    ocr = [core(t) for t in ocr_text.split()]
    truth_skel = [skeleton(t) for t in truth]
    ocr_skel = [skeleton(t) for t in ocr]
    pairs: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(truth_skel, ocr_skel):
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        elif tag == "replace":
            pairs.extend(
                (i1 + a, j1 + b) for a, b in _block_pairs(truth_skel[i1:i2], ocr_skel[j1:j2])
            )
    return [
        (truth[i], ocr[j])
        for i, j in pairs
        if truth[i] and ocr[j] and is_valid_syllable(truth[i].lower())
        and _pair_cost(truth_skel[i], ocr_skel[j]) <= MAX_PAIR_DISTANCE
    ]
