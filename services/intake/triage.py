"""Triage decisions a council takes on a new need besides confirming it: reject it, or refer it
to whoever is competent (the district, a line department, an NGO), as the District Integration
Workshop does with needs beyond the commune. Pure: takes the stored need, returns the new one.

Either way the citizen is told why: the reason is required, and the status change it makes is
the event notify turns into a message to everyone who raised the need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.needs import NeedStatus, ReferralTarget
from services.intake.domain import NeedError, move, require_council
from services.runtime.identity import Identity

NAME_MAX = 200


def reject(doc: dict[str, Any], caller: Identity, reason: str | None, now: datetime) -> dict[str, Any]:
    """Not a need the commune will take up, and why (the lifecycle requires the reason)."""
    require_council(caller, doc["commune_code"])
    return move(doc, NeedStatus.REJECTED, actor=caller.user_id, reason=reason, now=now, source="council")


def refer(
    doc: dict[str, Any],
    caller: Identity,
    target: ReferralTarget,
    name: str,
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Send the need to the authority that can answer it, named, with the reason.

    The reason the citizen reads names where it went ("<name>: <reason>"); the referral itself
    is kept on the need (for the track page) with the need's district, for the district's list.
    """
    require_council(caller, doc["commune_code"])
    named = " ".join(name.split())
    if not named or len(named) > NAME_MAX:
        raise NeedError(
            "need.referral_name_invalid",
            "Name the office, department or organisation the need goes to (at most 200 characters).",
            "សូមដាក់ឈ្មោះការិយាល័យ មន្ទីរ ឬអង្គការដែលតម្រូវការត្រូវបញ្ជូនទៅ (យ៉ាងច្រើន ២០០ តួអក្សរ)។",
            field="name",
        )
    why = (reason or "").strip()
    moved = move(
        doc,
        NeedStatus.REFERRED,
        actor=caller.user_id,
        reason=f"{named}: {why}" if why else None,
        now=now,
        source="council",
    )
    referral = {
        "target": target.value,
        "name": named,
        "reason": why,
        "at": now.isoformat(),
        "district_code": doc["commune_code"][:4],
    }
    return {**moved, "referral": referral, "referral_district": referral["district_code"]}
