"""Is a secret random enough to sign identities and sessions? (pure)

Length alone let ``"a" * 32`` and ``"changeme" * 4`` start production. A secret is weak when it
is short, a known placeholder, a repetition of a shorter piece, or carries too little entropy
by its characters' frequencies (Shannon), or is mostly runs of one character. The bound is
generous to real generators: 32 hex characters (``openssl rand -hex 16``) score about 115 bits
on average and none under 88 in half a million draws (a bound of 100 refused about one in a
thousand), ``openssl rand -hex 32`` about 250; ``"a" * 32`` scores 0. Runs catch what frequencies
cannot: ``"aaaaabbbbbccccc..."`` has 88 bits but 25 of its 31 neighbours equal, where random hex
has about 2 (never 16 in the draws).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

MIN_LENGTH = 32
MIN_BITS = 85.0
PLACEHOLDERS = (
    "changeme",
    "change-me",
    "change_me",
    "password",
    "placeholder",
    "example",
    "secret",
    "default",
    "replace",
    "development",
    "insecure",
    "your-",
    "xxxxxxxx",
    "12345678",
)


def shannon_bits(value: str) -> float:
    """Total bits by character frequencies: an upper bound of what the secret can carry."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def repeats(value: str) -> bool:
    """The value is a shorter piece said again and again ("abcabcabc...")."""
    n = len(value)
    return any(value == (value[:p] * (n // p + 1))[:n] for p in range(1, n // 2 + 1))


def runs_of_one_character(value: str) -> bool:
    """Half or more of the neighbouring characters are equal ("aaaabbbbcccc...")."""
    same = sum(a == b for a, b in itertools.pairwise(value))
    return 2 * same >= len(value)


def weakness(value: str) -> str | None:
    """Why the secret is weak, or None if it is fit for production."""
    if len(value) < MIN_LENGTH:
        return f"shorter than {MIN_LENGTH} characters"
    lowered = value.lower()
    for word in PLACEHOLDERS:
        if word in lowered:
            return f"contains the placeholder {word!r}"
    if repeats(value):
        return "a short piece repeated"
    if runs_of_one_character(value):
        return "mostly runs of one character"
    if shannon_bits(value) < MIN_BITS:
        return f"too little randomness (under {MIN_BITS:.0f} bits)"
    return None
