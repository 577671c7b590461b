"""Shortening text people will read or hear, without breaking a word or a Khmer cluster.

Khmer writes no spaces between words (at most a zero-width space, often none), and a syllable
is a cluster of several code points: a consonant, a coeng (U+17D2) and a subscript consonant,
then vowel signs and diacritics. Cutting inside one leaves a dangling coeng or a vowel sign on
nothing, which phones draw as a dotted circle. So a cut falls at a word break where there is
one near the end (a space, a zero-width space, Khmer punctuation such as ។), and otherwise at
the nearest cluster boundary: never inside a cluster, and in Latin text never inside a word.

The cluster rule is Unicode's extended grapheme cluster (UAX #29) reduced to what our texts
hold: a base character with the combining marks and joiners after it, and for Khmer a coeng
that binds the next consonant to the cluster before it.
"""

from __future__ import annotations

import unicodedata

COENG = "\u17d2"
ZWJ, ZWNJ, ZWSP = "\u200d", "\u200c", "\u200b"
# After these a new word may start: spaces, Khmer's sentence and phrase marks.
WORD_ENDS = frozenset(" \n\t" + ZWSP + "។៕៖,.;:!?")
EXTENDING = frozenset({"Mn", "Mc", "Me"})
ELLIPSIS = "…"
LOOKBACK_SHARE = 3
"""A word break is used when it keeps at least 2/3 of the room; otherwise a cluster break."""


def is_boundary(text: str, index: int) -> bool:
    """Whether ``text[:index]`` ends between two clusters."""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if before in (COENG, ZWJ):
        return False  # the next character belongs to this cluster (a subscript, a joined emoji)
    if after in (ZWJ, ZWNJ, COENG):
        return False
    if 0xFE00 <= ord(after) <= 0xFE0F or 0x1F3FB <= ord(after) <= 0x1F3FF:
        return False  # variation selectors, skin tones
    if 0xDC00 <= ord(after) <= 0xDFFF:
        return False
    return unicodedata.category(after) not in EXTENDING


def clusters(text: str) -> list[str]:
    """The text split into clusters (what a reader sees as one letter or syllable part)."""
    found: list[str] = []
    start = 0
    for index in range(1, len(text) + 1):
        if is_boundary(text, index):
            found.append(text[start:index])
            start = index
    return found


def cut_point(text: str, limit: int) -> int:
    """The longest prefix length ``<= limit`` that ends at a word break, or failing that (in
    Khmer without breaks) at a cluster boundary. Text with spaces is never cut mid-word."""
    if len(text) <= limit:
        return len(text)
    floor = max(1, limit - limit // LOOKBACK_SHARE)
    for index in range(limit, 0, -1):
        if text[index - 1] in WORD_ENDS or text[index] in WORD_ENDS:
            if index >= floor or not _khmer(text[:limit]):
                return index  # in Latin text an early break still beats half a word
            break
    index = limit
    while index > 0 and not is_boundary(text, index):
        index -= 1
    return index


def _khmer(text: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" for ch in text)


def shorten(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it has at most ``limit`` characters, else a prefix cut at a word or cluster
    boundary with ``ellipsis``, all within ``limit``."""
    if limit < len(ellipsis) + 1:
        raise ValueError("limit leaves no room for any text")
    if len(text) <= limit:
        return text
    cut = cut_point(text, limit - len(ellipsis))
    kept = text[:cut].rstrip(" \n\t" + ZWSP)
    return kept + ellipsis
