"""Notify's own copy of each announced meeting, learned from meetings' events: what the
messages say (type, title, code, place, time) and whom to tell again when it changes.

Whom to tell again is kept beside it, one small document per meeting and contact
(``meeting_people``, id ``<meeting>|<contact>``): ``told`` when a notice about the meeting went
to them (the planner adds them as it plans), ``coming`` when they sent ``COME <code>``. A move
or a cancellation reaches them all, whoever has joined or left the commune's subscribers since;
erasing a person deletes their documents and touches nobody else's. The reminders queued for the
old time are withdrawn in the same transaction as the change, before the new ones are planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from contracts.meetings import (
    MEETING_ANNOUNCED,
    MEETING_CANCELLED,
    MEETING_RESCHEDULED,
    MINUTES_PUBLISHED,
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingType,
    MinutesPublishedV1,
)
from services.notify import deliveries
from services.notify.domain.delivery import Status
from services.notify.domain.meeting_rules import REMINDER_KIND
from services.runtime.stores import Store, Transaction

FILLED_FROM_COPY = ("meeting_type", "title", "code", "place", "village_code", "starts_at", "ends_at")


async def _save(tx: Transaction, existing: dict[str, Any] | None, doc: dict[str, Any]) -> None:
    if existing is None:
        await tx.insert("meetings", doc)
    else:
        await tx.replace("meetings", doc, expected_version=existing["version"])


async def meeting_announced(tx: Transaction, event: MeetingAnnouncedV1, now: datetime) -> None:
    existing = await tx.get("meetings", event.meeting_id)
    details = event.details
    doc = {
        **(existing or {}),
        "id": event.meeting_id,
        "commune_code": event.commune_code,
        "code": event.code,
        "meeting_type": details.type.value,
        "title": details.title,
        "place": details.venue.place,
        "village_code": details.venue.village_code,
        "village_name": details.venue.village_name.model_dump() if details.venue.village_name else None,
        "starts_at": details.starts_at.isoformat(),
        "ends_at": details.ends_at.isoformat(),
        "state": "announced",
        "sequence": event.sequence,
        "updated_at": now.isoformat(),
    }
    await _save(tx, existing, doc)


async def withdraw_reminders(tx: Transaction, meeting_id: str, why: str, now: datetime) -> int:
    """Reminders of a time that no longer holds: failed on purpose, never sent."""
    withdrawn = 0
    while True:
        due = await tx.find_one(
            "deliveries", {"kind": REMINDER_KIND, "ref": meeting_id, "status": Status.QUEUED.value}
        )
        if due is None:
            return withdrawn
        await deliveries.move(
            tx,
            due,
            Status.FAILED,
            now,
            note="withdrawn",
            last_error={"code": f"reminder.{why}", "reason": f"the meeting was {why}"},
            dead_letter=False,
        )
        withdrawn += 1


async def meeting_rescheduled(tx: Transaction, event: MeetingRescheduledV1, now: datetime) -> None:
    await withdraw_reminders(tx, event.meeting_id, "rescheduled", now)
    existing = await tx.get("meetings", event.meeting_id)
    if existing is None or existing.get("sequence", 0) >= event.sequence:
        return  # never announced to notify, or an older change arriving late
    doc = {
        **existing,
        "place": event.venue.place,
        "village_code": event.venue.village_code,
        "village_name": event.venue.village_name.model_dump() if event.venue.village_name else None,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "state": "rescheduled",
        "sequence": event.sequence,
        "updated_at": now.isoformat(),
    }
    await _save(tx, existing, doc)


async def meeting_cancelled(tx: Transaction, event: MeetingCancelledV1, now: datetime) -> None:
    await withdraw_reminders(tx, event.meeting_id, "cancelled", now)
    existing = await tx.get("meetings", event.meeting_id)
    if existing is None:
        return
    doc = {**existing, "state": "cancelled", "sequence": event.sequence, "updated_at": now.isoformat()}
    await _save(tx, existing, doc)


async def minutes_published(tx: Transaction, event: MinutesPublishedV1, now: datetime) -> None:
    existing = await tx.get("meetings", event.meeting_id)
    if existing is not None:
        await _save(tx, existing, {**existing, "state": "minutes_published", "updated_at": now.isoformat()})


MEETING_PROJECTIONS: dict[str, tuple[type[BaseModel], Any]] = {
    MEETING_ANNOUNCED: (MeetingAnnouncedV1, meeting_announced),
    MEETING_RESCHEDULED: (MeetingRescheduledV1, meeting_rescheduled),
    MEETING_CANCELLED: (MeetingCancelledV1, meeting_cancelled),
    MINUTES_PUBLISHED: (MinutesPublishedV1, minutes_published),
}


# ---------- what the planner asks of the copy ----------


def fill_context(context: dict[str, Any], copy: Mapping[str, Any] | None, app_url: str) -> None:
    """What the event did not say (a cancellation names no time), from the copy."""
    for key in FILLED_FROM_COPY:
        if context.get(key) is None and copy is not None:
            context[key] = copy.get(key)
        context.setdefault(key, None)
    meeting_id = (copy or {}).get("id")
    context["meeting_url"] = f"{app_url.rstrip('/')}/m/{meeting_id}" if meeting_id and app_url else None


async def people(store: Store, meeting_id: str) -> list[str]:
    """Contacts told of the meeting before, or coming (committed ones: read outside the
    transaction, like a commune's subscribers)."""
    return [doc["contact_id"] async for doc in store.iterate("meeting_people", {"meeting_id": meeting_id})]


async def remember(tx: Transaction, meeting_id: str, field: str, contact_ids: Iterable[str]) -> None:
    """Mark contacts ``told`` or ``coming`` for a meeting (once each)."""
    for cid in dict.fromkeys(contact_ids):
        doc_id = f"{meeting_id}|{cid}"
        current = await tx.get("meeting_people", doc_id)
        if current is None:
            doc = {"id": doc_id, "meeting_id": meeting_id, "contact_id": cid, "told": False, "coming": False}
            await tx.insert("meeting_people", {**doc, field: True})
        elif not current.get(field):
            await tx.replace("meeting_people", {**current, field: True}, expected_version=current["version"])


async def loudspeaker_villages(
    store: Store,
    copy: Mapping[str, Any] | None,
    given: Iterable[str],
    whole_commune: str | None,
    commune_code: str,
) -> dict[str, dict[str, str] | None]:
    """Village code -> its names (when known): the venue's village for a village meeting; every
    village notify knows in the commune (from its needs) and the venue's for a commune-wide one."""
    villages: dict[str, dict[str, str] | None] = {v: None for v in given if v}
    venue = (copy or {}).get("village_code")
    if venue and villages.get(venue) is None:
        villages[venue] = (copy or {}).get("village_name")
    whole = whole_commune is not None and (copy or {}).get("meeting_type") != MeetingType.VILLAGE_NEEDS.value
    async for need in store.iterate("needs", {"commune_code": whole_commune or commune_code}):
        village = need.get("village") or {}
        code = village.get("code")
        if not code or (code not in villages and not whole):
            continue
        named = village.get("km") != code  # a copy made from a status change knows only the code
        if villages.get(code) is None and named:
            villages[code] = {"km": village["km"], "latin": village["latin"]}
        else:
            villages.setdefault(code, None)
    return villages
