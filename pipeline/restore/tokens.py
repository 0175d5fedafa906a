"""Loss-free tokenisation shared by model building and decoding.

Training and decoding must cut text the same way (same segments, same idea of a
sentence start), and decoding must give back every character it did not
restore, so tokens cover the input exactly: ''.join(texts) == text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD, SYMBOL, SPACE, PUNCT = "word", "symbol", "space", "punct"

_TOKEN_RE = re.compile(
    r"""
    (?P<symbol>
        (?:https?://|www\.)\S*[^\s.,;:!?)\]"'”»]           # URL
      | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                      # e-mail
      | [A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|edu|info|biz|io)\b
        (?:/\S*[^\s.,;:!?)\]"'”»])?                      # domain name[/path]
      | [\w/]*\d[\w/]*(?:[.\-–:,][\w/]+)*                 # numbers, dates, 37/KH-UBND
    )
    | (?P<word>[^\W\d_]+)
    | (?P<space>\s+)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# After these the next word starts a sentence (capitalisation carries no signal there).
_SENTENCE_OPENERS = frozenset('.!?:;…"“”«»([{-–—*#•')
# Punctuation kept inside a segment as an LM unit ("xã, phường"): it carries context.
CONTEXT_PUNCT = frozenset(',;:-–()"“”')


@dataclass(slots=True)
class Token:
    """A piece of the input; sentence_initial tells whether case carries a signal."""

    text: str
    kind: str
    sentence_initial: bool = False


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    initial = True
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or PUNCT
        piece = match.group()
        if kind == SPACE:
            if "\n" in piece:
                initial = True
        elif kind == PUNCT:
            initial = initial or piece in _SENTENCE_OPENERS
        else:
            tokens.append(Token(piece, kind, initial))
            initial = False
            continue
        tokens.append(Token(piece, kind))
    return tokens


def segments(tokens: list[Token]) -> list[list[int]]:
    """Indices of word/symbol tokens grouped into LM segments.

    Punctuation and blank lines end a segment; single line breaks do not, since
    scanned plans wrap sentences across lines.
    """
    out: list[list[int]] = []
    current: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.kind in (WORD, SYMBOL) or tok.text in CONTEXT_PUNCT:
            current.append(i)
        elif (tok.kind == PUNCT or tok.text.count("\n") >= 2) and current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def is_all_caps(word: str) -> bool:
    return len(word) > 1 and word.isupper()
