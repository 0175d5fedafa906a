"""A heading's words spelled the way the document's own body spells them.

Titles are set in bold capitals, where OCR confuses the marks over a vowel ("TRIẾN KHAI" for
"TRIỂN KHAI", "đại biếu" for "đại biểu"): both readings are syllables, so only context tells
them apart. The body, set in regular type, usually repeats the title's phrases correctly. A
pair of title words is respelled when the body writes the same letters with other marks at
least twice and three times as often as the title's reading (OCR makes the same slip in the
body now and then): the document is its own evidence, not a list of cases.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.parse.text import fold, nfc, tone_last

_WORD = re.compile(r"[^\W\d_]+")
MIN_EVIDENCE = 2  # times the body must spell the pair the other way
MIN_RATIO = 3  # and how much more often than the title's way


def respell_from_body(heading: str, body: str) -> str:
    words = list(_WORD.finditer(heading))
    if len(words) < 2:
        return heading
    printed = _pairs(body)
    by_letters: dict[str, Counter[str]] = {}
    for pair, count in printed.items():
        by_letters.setdefault(fold(pair), Counter())[pair] = count
    spelled = [w.group() for w in words]
    for i in range(len(words) - 1):
        pair = f"{spelled[i]} {spelled[i + 1]}".lower()
        variants = by_letters.get(fold(pair))
        if not variants:
            continue
        best, count = variants.most_common(1)[0]
        if (count >= MIN_EVIDENCE and count >= MIN_RATIO * printed[pair]
                and tone_last(best) != tone_last(pair)):  # not "hoà"/"hòa"
            first, second = best.split()
            spelled[i], spelled[i + 1] = _cased(first, spelled[i]), _cased(second, spelled[i + 1])
    out, at = [], 0
    for match, word in zip(words, spelled, strict=True):
        out.append(heading[at:match.start()] + word)
        at = match.end()
    return nfc("".join(out) + heading[at:])


def _pairs(text: str) -> Counter[str]:
    tokens = [w.lower() for w in _WORD.findall(nfc(text))]
    return Counter(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))


def _cased(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
