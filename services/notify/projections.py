"""Notify's own copy of what it needs to know about needs, learned from intake's events:
each need's tracking code, village, status and reason (to answer ``STATUS <code>`` without
asking intake), and the contact points of the people who raised or support it (to tell them
when its status changes). Applied in the consumer's transaction, before the rules run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NEED_SUPPORTED,
    NEEDS_MERGED,
    ContactPoint,
    NeedsMergedV1,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    NeedSupportedV1,
)
from contracts.registry import UnreadableEvent
from services.notify.domain.contacts import InvalidAddressError, contact_id, normalise_address
from services.notify.domain.rules import excerpt
from services.notify.facts import FACTS
from services.notify.meeting_copy import MEETING_PROJECTIONS
from services.runtime.stores import Transaction

Projection = Callable[[Transaction, Any, datetime], Awaitable[None]]


def contact_ids(contacts: Iterable[ContactPoint]) -> list[str]:
    ids: list[str] = []
    for point in contacts:
        try:
            ids.append(contact_id(point.channel.value, normalise_address(point.channel.value, point.address)))
        except InvalidAddressError:
            continue  # the planner records it as a failed delivery, visible to the council
    return ids


def _merge(first: list[str], more: Iterable[str]) -> list[str]:
    merged = list(first)
    merged.extend(c for c in more if c not in merged)
    return merged


async def _save(tx: Transaction, existing: dict[str, Any] | None, doc: dict[str, Any]) -> None:
    if existing is None:
        other = await tx.find_one("needs", {"tracking_code": doc["tracking_code"]})
        if other is not None:
            # One tracking code, two need ids: the event contradicts what intake said before.
            # Retrying cannot fix that; it goes to the dead letters with the reason.
            raise UnreadableEvent(
                f"need {doc['id']} has tracking code {doc['tracking_code']}, already need {other['id']}'s"
            )
        await tx.insert("needs", doc)
    else:
        await tx.replace("needs", doc, expected_version=existing["version"])


async def need_submitted(tx: Transaction, need: NeedSubmittedV1, now: datetime) -> None:
    existing = await tx.get("needs", need.need_id)
    village = {
        "code": need.village_code,
        "km": need.village_name.km if need.village_name else need.village_code,
        "latin": need.village_name.latin if need.village_name else need.village_code,
    }
    base = existing or {"status": "submitted", "reason": None, "changed_at": need.submitted_at.isoformat()}
    doc = {
        **base,
        "id": need.need_id,
        "tracking_code": need.tracking_code,
        "commune_code": need.commune_code,
        "village": village,
        "excerpt": excerpt(need.description),
        "contacts": _merge((existing or {}).get("contacts", []), contact_ids(need.contacts)),
        "merged_into": (existing or {}).get("merged_into"),
        # Whoever recorded it hears its outcomes in their digest when nobody gave a contact.
        "collected_by": need.collected_by,
        "updated_at": now.isoformat(),
    }
    await _save(tx, existing, doc)


async def need_status_changed(tx: Transaction, change: NeedStatusChangedV1, now: datetime) -> None:
    existing = await tx.get("needs", change.need_id)
    if existing is not None and existing.get("changed_at", "") > change.changed_at.isoformat():
        return  # an older change arriving late must not undo a newer one
    doc = {
        **(existing or {"contacts": [], "merged_into": None, "excerpt": None}),
        "id": change.need_id,
        "tracking_code": change.tracking_code,
        "commune_code": change.commune_code,
        "status": change.status.value,
        "reason": change.reason,
        "changed_at": change.changed_at.isoformat(),
        "updated_at": now.isoformat(),
    }
    doc.setdefault(
        "village", {"code": change.village_code, "km": change.village_code, "latin": change.village_code}
    )
    await _save(tx, existing, doc)


async def need_supported(tx: Transaction, support: NeedSupportedV1, now: datetime) -> None:
    existing = await tx.get("needs", support.need_id)
    if existing is None:
        return  # never saw it submitted: nobody to merge into; the receipt still goes out
    doc = {**existing, "contacts": _merge(existing.get("contacts", []), contact_ids(support.contacts))}
    await _save(tx, existing, {**doc, "updated_at": now.isoformat()})


async def needs_merged(tx: Transaction, merge: NeedsMergedV1, now: datetime) -> None:
    """The merged need's people follow the survivor from now on; its code answers STATUS with
    the survivor's code."""
    merged = await tx.get("needs", merge.merged_id)
    survivor = await tx.get("needs", merge.survivor_id)
    if merged is not None:
        await _save(
            tx, merged, {**merged, "merged_into": merge.survivor_tracking_code, "updated_at": now.isoformat()}
        )
    if survivor is not None and merged is not None:
        contacts = _merge(survivor.get("contacts", []), merged.get("contacts", []))
        # Its messages name the merged codes, so the merged need's people know it is theirs.
        codes = _merge(survivor.get("merged_codes", []), [merge.merged_tracking_code])
        await _save(
            tx,
            survivor,
            {**survivor, "contacts": contacts, "merged_codes": codes, "updated_at": now.isoformat()},
        )


PROJECTIONS: dict[str, tuple[type[BaseModel], Projection]] = {
    NEED_SUBMITTED: (NeedSubmittedV1, need_submitted),
    NEED_STATUS_CHANGED: (NeedStatusChangedV1, need_status_changed),
    NEED_SUPPORTED: (NeedSupportedV1, need_supported),
    NEEDS_MERGED: (NeedsMergedV1, needs_merged),
    **FACTS,
    **MEETING_PROJECTIONS,
}
