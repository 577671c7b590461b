"""The events intake publishes, built from the needs it stores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.envelope import Envelope, new_event
from contracts.needs import (
    NEED_FEEDBACK_RECORDED,
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NEED_SUPPORTED,
    NEED_VALIDATED,
    NEEDS_MERGED,
    ContactPoint,
    NeedFeedbackRecordedV1,
    NeedsMergedV1,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    NeedSupportedV1,
    NeedValidatedV1,
    PlaceName,
    Sector,
)
from services.intake.domain import Village

SOURCE = "/khum/intake"


def raised_groups(raised_by: list[dict[str, Any]]) -> list[str] | None:
    """The groups among the raisers, for oversight's aggregates; None (unknown) with no raiser."""
    if not raised_by:
        return None
    return sorted({name for person in raised_by for name, n in person.get("groups", {}).items() if n})


def need_submitted(doc: dict[str, Any], village: Village, correlation_id: str | None) -> Envelope:
    contacts = [
        ContactPoint.model_validate(person["contact"])
        for person in doc["raised_by"]
        if person.get("contact") and person.get("consent")
    ]
    return new_event(
        NeedSubmittedV1(
            need_id=doc["id"],
            tracking_code=doc["tracking_code"],
            commune_code=doc["commune_code"],
            village_code=doc["village_code"],
            village_name=PlaceName(km=village.name_km, latin=village.name_latin),
            description=doc["description"],
            sector=Sector(doc["sector"]) if doc["sector"] else None,
            need_type=doc.get("need_type"),
            collected_by=doc["collected_by"],
            submitted_at=datetime.fromisoformat(doc["submitted_at"]),
            contacts=contacts,
            groups=raised_groups(doc["raised_by"]),
        ),
        event_type=NEED_SUBMITTED,
        source=SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=correlation_id or doc["id"],
    )


def status_changed(
    before: dict[str, Any], after: dict[str, Any], *, correlation_id: str | None, causation_id: str | None
) -> Envelope:
    last = after["history"][-1]
    return new_event(
        NeedStatusChangedV1(
            need_id=after["id"],
            tracking_code=after["tracking_code"],
            commune_code=after["commune_code"],
            village_code=after["village_code"],
            previous=NeedStatus(before["status"]),
            status=NeedStatus(after["status"]),
            reason=last.get("reason"),
            actor=last["actor"],
            changed_at=datetime.fromisoformat(last["at"]),
        ),
        event_type=NEED_STATUS_CHANGED,
        source=SOURCE,
        communecode=after["commune_code"],
        subject=after["id"],
        correlationid=correlation_id,
        causationid=causation_id,
    )


def need_validated(doc: dict[str, Any], correlation_id: str | None) -> Envelope:
    last = doc["history"][-1]
    return new_event(
        NeedValidatedV1(
            need_id=doc["id"],
            tracking_code=doc["tracking_code"],
            commune_code=doc["commune_code"],
            village_code=doc["village_code"],
            validated_by=last["actor"],
            reason=last.get("reason"),
            validated_at=datetime.fromisoformat(last["at"]),
        ),
        event_type=NEED_VALIDATED,
        source=SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=correlation_id,
    )


def need_supported(
    doc: dict[str, Any], added: dict[str, Any], people_total: int, correlation_id: str | None
) -> Envelope:
    contacts = (
        [ContactPoint.model_validate(added["contact"])]
        if added.get("contact") and added.get("consent")
        else []
    )
    return new_event(
        NeedSupportedV1(
            need_id=doc["id"],
            tracking_code=doc["tracking_code"],
            commune_code=doc["commune_code"],
            people_added=added["people"],
            people_total=people_total,
            contacts=contacts,
            supported_at=datetime.fromisoformat(added["added_at"]),
        ),
        event_type=NEED_SUPPORTED,
        source=SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=correlation_id,
    )


def needs_merged(survivor: dict[str, Any], merged: dict[str, Any], correlation_id: str | None) -> Envelope:
    last = merged["history"][-1]
    return new_event(
        NeedsMergedV1(
            survivor_id=survivor["id"],
            survivor_tracking_code=survivor["tracking_code"],
            merged_id=merged["id"],
            merged_tracking_code=merged["tracking_code"],
            commune_code=survivor["commune_code"],
            reason=last["reason"],
            merged_by=last["actor"],
            merged_at=datetime.fromisoformat(last["at"]),
        ),
        event_type=NEEDS_MERGED,
        source=SOURCE,
        communecode=survivor["commune_code"],
        subject=survivor["id"],
        correlationid=correlation_id,
    )


def feedback_recorded(
    doc: dict[str, Any], *, correlation_id: str | None, causation_id: str | None
) -> Envelope:
    """The latest answer on a need, without its comment (budget only counts them)."""
    last = doc["feedback"][-1]
    return new_event(
        NeedFeedbackRecordedV1(
            need_id=doc["id"],
            answered_for=last.get("key") or doc["tracking_code"],
            commune_code=doc["commune_code"],
            satisfied=last["satisfied"],
            rating=last.get("rating"),
            channel=last.get("channel") or "track_page",
            recorded_at=datetime.fromisoformat(last["at"]),
        ),
        event_type=NEED_FEEDBACK_RECORDED,
        source=SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=correlation_id,
        causationid=causation_id,
    )
