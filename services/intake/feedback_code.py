"""The citizen's feedback code: proof that feedback on a need comes from the person who raised it.

A tracking code is shared widely (read out at meetings, on the track page's links), so it
cannot prove who speaks. At submission intake draws a 6-digit code, returns it once (the
facilitator writes it on the paper receipt beside the tracking code, or reads it to the
citizen), and keeps only a salted hash. ``recordNeedFeedback`` from an anonymous caller needs
it; after ``MAX_FAILURES`` wrong codes the need takes no more anonymous feedback, so six digits
cannot be guessed online.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets

from services.intake.domain import NeedError
from services.intake.store import need_by_code
from services.runtime.service import Runtime
from services.runtime.stores import VersionConflictError

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


async def check(runtime: Runtime, tracking_code: str, code: str | None) -> None:
    """Feedback from the public proves itself with the need's feedback code; wrong codes count
    (in their own transaction: the refusal must not roll the count back)."""
    need = await need_by_code(runtime.store, tracking_code)
    failures = int(need.get("feedback_failures", 0))
    if failures >= MAX_FAILURES:
        raise NeedError(
            "need.feedback_locked",
            "Too many wrong feedback codes: ask the facilitator who recorded the need.",
            "លេខកូដមតិខុសច្រើនដងពេក៖ សូមសួរអ្នកសម្របសម្រួលដែលបានកត់ត្រាតម្រូវការនេះ។",
            status=429,
        )
    if matches(need["id"], code, need.get("feedback_secret_hash")):
        return
    if code:
        with contextlib.suppress(VersionConflictError):  # a concurrent change: this guess is not counted
            async with runtime.unit_of_work() as tx:
                await tx.replace(
                    "needs", {**need, "feedback_failures": failures + 1}, expected_version=need["version"]
                )
    raise NeedError(
        "need.feedback_code_invalid",
        "Give the 6-digit feedback code written on your receipt with the tracking code.",
        "សូមផ្តល់លេខកូដមតិ ៦ ខ្ទង់ ដែលសរសេរនៅលើបង្កាន់ដៃរបស់អ្នក ជាមួយលេខកូដតាមដាន។",
        status=403,
        field="feedbackCode",
    )
