"""The citizen's feedback code: proof that feedback on a need comes from the person who raised it.

A tracking code is shared widely (read out at meetings, on the track page's links), so it
cannot prove who speaks. At submission intake draws a 6-digit code, returns it once (the
facilitator writes it on the paper receipt beside the tracking code, or reads it to the
citizen), and keeps only a salted hash. ``recordNeedFeedback`` from an anonymous caller needs
it; after ``MAX_FAILURES`` wrong codes the need takes no more anonymous feedback, so six digits
cannot be guessed online.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

DIGITS = 6
MAX_FAILURES = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def digest(need_id: str, code: str) -> str:
    return hashlib.sha256(f"khum-feedback:{need_id}:{code}".encode()).hexdigest()


def matches(need_id: str, code: str | None, stored: str | None) -> bool:
    if not code or not stored:
        return False
    cleaned = "".join(ch for ch in code if ch.isdigit())
    return hmac.compare_digest(digest(need_id, cleaned), stored)
