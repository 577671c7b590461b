"""SMS length as networks count it (3GPP TS 23.038 / 23.040).

A text that fits the GSM 7-bit default alphabet travels in septets: 160 in one message; once
split, each part carries a 7-octet header and holds 153. Characters of the extension table
(``€ [ ] { } \\ ^ ~ |`` and form feed) take two septets (an escape, then the character), and
an escape pair is never split between parts. Anything else, Khmer included, makes the whole
message UCS-2: 70 UTF-16 code units in one message, 67 per part once split, and a surrogate
pair (an emoji) is never split between parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.notify.domain.text import is_boundary

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

COENG = "\u17d2"  # Khmer sign that puts the next consonant below: never end a cut on it
JOINERS = frozenset("\u200c\u200d")
BREAKS = frozenset(" \n\t\u200b")  # Khmer separates words with zero-width spaces, if at all
WORD_LOOKBACK = 20


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2)."""
    segments: int

    @property
    def single_limit(self) -> int:
        return GSM7_SINGLE if self.encoding is Encoding.GSM7 else UCS2_SINGLE

    @property
    def part_limit(self) -> int:
        return GSM7_PART if self.encoding is Encoding.GSM7 else UCS2_PART


def encoding_of(text: str) -> Encoding:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def _unit_sizes(text: str, encoding: Encoding) -> list[int]:
    """How many units each character takes; a unit group is never split between parts."""
    if encoding is Encoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sms_length(text: str) -> SmsLength:
    """Encoding, units and segments of a text. An empty text still costs one message."""
    encoding = encoding_of(text)
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    single = GSM7_SINGLE if encoding is Encoding.GSM7 else UCS2_SINGLE
    if units <= single:
        return SmsLength(encoding, units, 1)
    part = GSM7_PART if encoding is Encoding.GSM7 else UCS2_PART
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return SmsLength(encoding, units, segments)


def _safe_cut(text: str, index: int) -> bool:
    """Whether ``text[:index]`` ends between two whole clusters (see ``domain/text.py``)."""
    return is_boundary(text, index)


# Look-alikes that would turn a whole English SMS into UCS-2 (70 characters a part, not 160).
GSM7_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u200b": "",
    }
)


def gsm7_friendly(text: str) -> str:
    """The text with typographic quotes, dashes and ellipses made plain, when that alone keeps
    it GSM-7; a text that needs UCS-2 anyway (Khmer) is left exactly as written."""
    plain = text.translate(GSM7_LOOKALIKES)
    return plain if encoding_of(plain) is Encoding.GSM7 else text


def fit_sms(text: str, max_segments: int) -> str:
    """The text itself if it fits in ``max_segments``; otherwise shortened with an ellipsis.

    The cut prefers a word break, and never falls inside a Khmer cluster (before a vowel sign
    or after a coeng), so what arrives still renders. A GSM-7 text keeps GSM-7 ("..." rather
    than "…", which would turn the whole message into UCS-2 and halve its room).
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if sms_length(text).segments <= max_segments:
        return text
    ellipsis = "..." if encoding_of(text) is Encoding.GSM7 else "…"
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits together with the ellipsis
        middle = (low + high + 1) // 2
        if sms_length(text[:middle].rstrip() + ellipsis).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    cut = low
    for back in range(cut, max(cut - WORD_LOOKBACK, 0), -1):
        if text[back - 1] in BREAKS or (back < len(text) and text[back] in BREAKS):
            cut = back
            break
    while cut > 0 and not _safe_cut(text, cut):
        cut -= 1
    return text[:cut].rstrip() + ellipsis


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text into parts of at most ``limit`` UTF-16 units, at line or word breaks
    where possible and never inside a Khmer cluster (Telegram's 4,096 limit, for one)."""
    parts: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        fits = _prefix_fitting(rest, limit)
        floor = max(fits // 2, 1)
        # A line break first, then a word break, then any place between two clusters.
        cut = next((b for b in range(fits, floor, -1) if rest[b - 1] == "\n"), 0)
        cut = cut or next((b for b in range(fits, floor, -1) if rest[b - 1] in BREAKS), 0)
        if not cut:
            cut = fits
            while cut > 1 and not _safe_cut(rest, cut):
                cut -= 1
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _prefix_fitting(text: str, limit: int) -> int:
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return max(index, 1)
    return len(text)
