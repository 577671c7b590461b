"""Meetings honours PersonErased: names the council noted at a meeting are personal data.

Attendance is counts (those stay); the names written beside them, and an RSVP labelled with the
person's name, are matched by digest in the communes where the person raised or supports needs.
"""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from contracts.needs import PERSON_ERASED, PersonErasedV1
from contracts.subjects import all_communes
from services.meetings.changes import unit_of_work
from services.runtime.application import inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.erasure import Digests
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

ERASURE_CONSUMER = "meetings-erasures"
ERASED_LABEL = "—"


def _without_person(doc: dict[str, Any], names: set[str], digests: Digests) -> dict[str, Any] | None:
    """The meeting with the person's name gone, or None if it never had it."""
    changed = False
    attendance = doc.get("attendance")
    if attendance and attendance.get("names"):
        kept = [n for n in attendance["names"] if digests.name(n) not in names]
        if len(kept) != len(attendance["names"]):
            attendance = {**attendance, "names": kept}
            changed = True
    rsvps = []
    for rsvp in doc.get("rsvps") or []:
        if digests.name(rsvp.get("label") or "") in names:
            rsvp = {**rsvp, "label": ERASED_LABEL}
            changed = True
        rsvps.append(rsvp)
    if not changed:
        return None
    return {**doc, "attendance": attendance, "rsvps": rsvps}


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    digests = Digests(runtime.settings.identity_secret.get_secret_value())

    @inbox_handler(unit_of_work(runtime), ERASURE_CONSUMER, PersonErasedV1)
    async def scrub_meetings(tx: Transaction, envelope: Envelope, erased: PersonErasedV1) -> None:
        names = set(erased.name_digests)
        if not names:
            return
        for commune in erased.commune_codes:
            async for doc in runtime.store.iterate("meetings", {"commune_code": commune}):
                if _without_person(doc, names, digests) is None:
                    continue
                # Decide again on the transaction's own read: the meeting may have moved on.
                current = await tx.get("meetings", doc["id"])
                cleaned = _without_person(current, names, digests) if current else None
                if current is not None and cleaned is not None:
                    await tx.replace("meetings", cleaned, expected_version=current["version"])

    async def on_person_erased(raw: bytes) -> None:
        await scrub_meetings(raw)
        await runtime.store.forget_deleted()

    return [ConsumerSpec(ERASURE_CONSUMER, "KHUM_NEEDS", (all_communes(PERSON_ERASED),), on_person_erased)]
