"""Needs: the rules for recording, validating, supporting, merging and following one.

Pure: no I/O, no framework. Functions take the stored document (a dict) and return the new
one plus what changed, so the API and the consumers only load, call and save.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.needs import DESCRIPTION_MAX, NEED_TYPES, NeedStatus, Sector
from services.intake.inclusion import Person, person_to_doc
from services.intake.lifecycle import check_move
from services.runtime.errors import DomainError
from services.runtime.identity import Identity, Role

RECORDING_ROLES = frozenset(
    {Role.FACILITATOR, Role.COMMUNE_CHIEF, Role.COUNCIL_MEMBER, Role.CLERK, Role.CCWC_FOCAL_POINT}
)
COMMENT_MAX = 1000

CHANNELS = ("village_meeting", "home_visit", "phone", "telegram", "sms", "facebook", "partner_api")


class NeedError(DomainError):
    """Refusals about needs; ``field`` points the UI at the input concerned."""


@dataclass(frozen=True)
class Village:
    code: str
    commune_code: str
    name_km: str
    name_latin: str
    # A village a newer gazetteer no longer lists: old needs keep it, new ones may not use it.
    retired: bool = False


@dataclass(frozen=True)
class SubmitNeed:
    """Command: record a citizen's need."""

    village_code: str
    description: str
    sector: Sector | None
    idempotency_key: str
    need_type: str | None = None
    beneficiaries: int | None = None
    channel: str = "village_meeting"
    raised_by: Person | None = None
    collected_at: datetime | None = None


def may_record(caller: Identity) -> bool:
    """Facilitators and council roles record needs; integrators only with the write:needs scope."""
    return caller.role in RECORDING_ROLES or (
        caller.role is Role.INTEGRATOR and "write:needs" in caller.scopes
    )


def validate_submission(command: SubmitNeed, village: Village | None, caller: Identity) -> str:
    """Check a submission against the rules; return the cleaned description."""
    if not may_record(caller):
        raise NeedError(
            "need.not_allowed",
            "Your role cannot record needs.",
            "តួនាទីរបស់អ្នកមិនអាចកត់ត្រាតម្រូវការបានទេ។",
            status=403,
        )
    description = command.description.strip()
    if not description:
        raise NeedError(
            "need.description_empty",
            "Please describe the need.",
            "សូមរៀបរាប់អំពីតម្រូវការ។",
            field="description",
        )
    if len(description) > DESCRIPTION_MAX:
        raise NeedError(
            "need.description_too_long",
            "The description is too long: {length} characters, at most {limit}.",
            "ការរៀបរាប់វែងពេក៖ {length} តួអក្សរ យ៉ាងច្រើនបំផុត {limit}។",
            field="description",
            length=len(description),
            limit=DESCRIPTION_MAX,
        )
    if village is None:
        raise NeedError(
            "need.village_unknown",
            "Village {village} is not in the gazetteer.",
            "ភូមិ {village} មិនមាននៅក្នុងបញ្ជីឈ្មោះភូមិទេ។",
            field="villageCode",
            village=command.village_code,
        )
    if village.retired:
        raise NeedError(
            "need.village_retired",
            "Village {village} is no longer in the gazetteer; choose the village as it is listed now.",
            "ភូមិ {village} លែងមាននៅក្នុងបញ្ជីឈ្មោះភូមិហើយ។ សូមជ្រើសរើសភូមិតាមបញ្ជីបច្ចុប្បន្ន។",
            field="villageCode",
            village=command.village_code,
        )
    if not caller.covers(village.commune_code):
        raise NeedError(
            "need.village_out_of_scope",
            "Village {village} is outside your communes.",
            "ភូមិ {village} នៅក្រៅឃុំរបស់អ្នក។",
            field="villageCode",
            status=403,
            village=command.village_code,
        )
    if command.need_type is not None:
        allowed = NEED_TYPES.get(command.sector) if command.sector else None
        if not allowed or command.need_type not in allowed:
            raise NeedError(
                "need.type_invalid",
                "Choose a type that belongs to the sector.",
                "សូមជ្រើសរើសប្រភេទដែលស្ថិតក្នុងវិស័យនោះ។",
                field="needType",
            )
    if command.beneficiaries is not None and not 0 <= command.beneficiaries <= 1_000_000:
        raise NeedError(
            "need.beneficiaries_invalid",
            "Estimated beneficiaries must be between 0 and 1,000,000.",
            "ចំនួនអ្នកទទួលផលប៉ាន់ស្មានត្រូវនៅចន្លោះ ០ និង ១,០០០,០០០។",
            field="beneficiaries",
        )
    if command.channel not in CHANNELS:
        raise NeedError(
            "need.channel_invalid",
            "Unknown channel.",
            "មិនស្គាល់មធ្យោបាយនេះទេ។",
            field="channel",
        )
    return description


def new_need(
    command: SubmitNeed,
    village: Village,
    caller: Identity,
    *,
    need_id: str,
    tracking_code: str,
    idempotency_key: str,
    description: str,
    now: datetime,
) -> dict[str, Any]:
    raised_by = [person_to_doc(command.raised_by)] if command.raised_by else []
    return {
        "id": need_id,
        "tracking_code": tracking_code,
        "commune_code": village.commune_code,
        "village_code": village.code,
        "description": description,
        "sector": command.sector.value if command.sector else None,
        "need_type": command.need_type,
        "beneficiaries": command.beneficiaries,
        "channel": command.channel,
        "status": NeedStatus.SUBMITTED.value,
        "status_reason": None,
        "rank": None,
        "year": None,
        "collected_by": caller.user_id,
        "collected_at": (command.collected_at or now).isoformat(),
        "idempotency_key": idempotency_key,
        "submitted_at": now.isoformat(),
        "raised_by": raised_by,
        "supporters": [],
        "merged_into": None,
        "merged_from": [],
        "feedback": [],
        "history": [
            {
                "at": now.isoformat(),
                "actor": caller.user_id,
                "from": None,
                "to": "submitted",
                "reason": None,
                "source": "intake",
            }
        ],
        **group_flags(raised_by),
    }


def group_flags(people: list[dict[str, Any]]) -> dict[str, Any]:
    """Flat fields the store can filter on: ``g_<group>`` true when anyone in it is concerned."""
    flags: dict[str, Any] = {}
    for person in people:
        for name, n in person["groups"].items():
            if n:
                flags[f"g_{name}"] = True
    return flags


def move(
    doc: dict[str, Any],
    target: NeedStatus,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    source: str,
    by_event: bool = False,
) -> dict[str, Any]:
    """Return the need after a lifecycle move; raise if the move is not allowed."""
    current = NeedStatus(doc["status"])
    check_move(current, target, reason, by_event=by_event)
    entry = {
        "at": now.isoformat(),
        "actor": actor,
        "from": current.value,
        "to": target.value,
        "reason": reason.strip() if reason else None,
        "source": source,
    }
    return {
        **doc,
        "status": target.value,
        "status_reason": entry["reason"],
        "history": [*doc["history"], entry],
    }


def require_council(caller: Identity, commune_code: str) -> None:
    if not caller.is_council_of(commune_code):
        raise NeedError(
            "need.council_only",
            "Only the commune's council can do this.",
            "មានតែក្រុមប្រឹក្សាឃុំប៉ុណ្ណោះដែលអាចធ្វើការនេះបាន។",
            status=403,
        )


def validate(doc: dict[str, Any], caller: Identity, reason: str | None, now: datetime) -> dict[str, Any]:
    require_council(caller, doc["commune_code"])
    return move(doc, NeedStatus.VALIDATED, actor=caller.user_id, reason=reason, now=now, source="council")


def support(doc: dict[str, Any], supporter: Person, caller: Identity, now: datetime) -> dict[str, Any]:
    if caller.role not in RECORDING_ROLES or not caller.covers(doc["commune_code"]):
        raise NeedError(
            "need.not_allowed",
            "You cannot add supporters to this need.",
            "អ្នកមិនអាចបន្ថែមអ្នកគាំទ្រតម្រូវការនេះបានទេ។",
            status=403,
        )
    if doc["status"] in (NeedStatus.MERGED.value, NeedStatus.REJECTED.value):
        raise NeedError(
            "need.closed",
            "This need is closed; support the need it was merged into instead.",
            "តម្រូវការនេះត្រូវបានបិទហើយ។ សូមគាំទ្រតម្រូវការដែលវាត្រូវបានបញ្ចូលទៅវិញ។",
            status=409,
        )
    entry = {**person_to_doc(supporter), "added_by": caller.user_id, "added_at": now.isoformat()}
    supporters = [*doc["supporters"], entry]
    return {**doc, "supporters": supporters, **group_flags(doc["raised_by"] + supporters)}


def merge(
    survivor: dict[str, Any], merged: dict[str, Any], caller: Identity, reason: str | None, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge a duplicate into the surviving need: supporters and history move over."""
    if survivor["id"] == merged["id"]:
        raise NeedError(
            "need.merge_same",
            "A need cannot be merged into itself.",
            "មិនអាចបញ្ចូលតម្រូវការមួយទៅក្នុងខ្លួនវាបានទេ។",
            field="mergedId",
        )
    if survivor["commune_code"] != merged["commune_code"]:
        raise NeedError(
            "need.merge_across_communes",
            "Needs from different communes cannot be merged.",
            "មិនអាចបញ្ចូលតម្រូវការពីឃុំផ្សេងគ្នាបានទេ។",
            field="mergedId",
        )
    require_council(caller, survivor["commune_code"])
    if survivor["status"] == NeedStatus.MERGED.value:
        raise NeedError(
            "need.merge_into_merged",
            "That need was itself merged; merge into the one it points to.",
            "តម្រូវការនោះត្រូវបានបញ្ចូលរួចហើយ។",
            status=409,
            field="survivorId",
        )
    closed = move(
        merged,
        NeedStatus.MERGED,
        actor=caller.user_id,
        reason=reason or f"duplicate of {survivor['tracking_code']}",
        now=now,
        source="council",
    )
    closed["merged_into"] = survivor["id"]
    moved_people = [{**p, "merged_from": merged["id"]} for p in merged["raised_by"] + merged["supporters"]]
    supporters = survivor["supporters"] + moved_people
    note = {
        "at": now.isoformat(),
        "actor": caller.user_id,
        "from": survivor["status"],
        "to": survivor["status"],
        "reason": f"merged with {merged['tracking_code']}",
        "source": "council",
    }
    history = sorted(
        survivor["history"] + [{**h, "merged_from": merged["id"]} for h in merged["history"]] + [note],
        key=lambda h: h["at"],
    )
    kept = {
        **survivor,
        "supporters": supporters,
        "history": history,
        "merged_from": [*survivor["merged_from"], merged["id"]],
        **group_flags(survivor["raised_by"] + supporters),
    }
    return kept, closed


def record_feedback(
    doc: dict[str, Any],
    satisfied: bool,
    comment: str | None,
    now: datetime,
    *,
    rating: int | None = None,
    key: str | None = None,
    channel: str = "track_page",
) -> dict[str, Any]:
    """Citizens verify a completed need: satisfied or not, a 1-5 rating, and why.

    Every raiser answers, not only the first: the first answer moves the need to verified, the
    next ones (a merged need's raiser, a second supporter) are added to a verified need; the
    same ``key`` (the tracking code the answer came with) answering again replaces its answer.
    """
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise NeedError(
            "need.comment_too_long",
            "The comment is too long (1,000 characters at most).",
            "មតិវែងពេក (យ៉ាងច្រើន ១,០០០ តួអក្សរ)។",
            field="comment",
        )
    if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
        raise NeedError(
            "need.rating_invalid",
            "Give a rating from 1 (bad) to 5 (very good).",
            "សូមផ្តល់ពិន្ទុពី ១ (មិនល្អ) ដល់ ៥ (ល្អណាស់)។",
            field="rating",
        )
    entry = {
        "at": now.isoformat(),
        "satisfied": satisfied,
        "rating": rating,
        "comment": text or None,
        "key": key,
        "channel": channel,
    }
    kept = [f for f in doc["feedback"] if key is None or f.get("key") != key]
    if doc["status"] == NeedStatus.VERIFIED.value:
        return {**doc, "feedback": [*kept, entry]}
    moved = move(doc, NeedStatus.VERIFIED, actor="citizen", reason=text or None, now=now, source="citizen")
    return {**moved, "feedback": [*kept, entry]}
