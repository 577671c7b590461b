"""Meetings honours PersonErased: names the council noted at a meeting are personal data.

Attendance is counts (those stay); the names written beside them, and an RSVP labelled with the
person's name, are matched by digest in the communes where the person raised or supports needs.
The runtime runs the steps (services/runtime/erasure_protocol.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.needs import PersonErasedV1
from services.runtime.consumer import ConsumerSpec
from services.runtime.erasure import Digests, Scrubbed
from services.runtime.erasure_protocol import PersonEraser, StreamScrub, erasure_consumer
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


class MeetingsEraser(PersonEraser[list[str]]):
    """Meetings' part: the names in its meetings. It keeps no files and publishes no event that
    names anyone (attendance events carry counts), so it scrubs no stream."""

    consumer = ERASURE_CONSUMER

    def __init__(self, runtime: Runtime) -> None:
        self.store = runtime.store
        self.digests = Digests(runtime.settings.identity_secret.get_secret_value())

    async def find(self, erased: PersonErasedV1) -> list[str]:
        """The ids of the meetings that name the person, in the communes of their needs."""
        names = set(erased.name_digests)
        found: list[str] = []
        for commune in erased.commune_codes if names else ():
            async for doc in self.store.iterate("meetings", {"commune_code": commune}):
                if _without_person(doc, names, self.digests) is not None:
                    found.append(doc["id"])
        return found

    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: list[str]) -> None:
        names = set(erased.name_digests)
        for meeting_id in found:
            # Decide again on the transaction's own read: the meeting may have moved on.
            current = await tx.get("meetings", meeting_id)
            cleaned = _without_person(current, names, self.digests) if current else None
            if current is not None and cleaned is not None:
                await tx.replace("meetings", cleaned, expected_version=current["version"])

    async def remove_files(self, erased: PersonErasedV1, found: list[str]) -> None:
        """Meetings keeps no files."""

    async def streams(self, erased: PersonErasedV1, found: list[str]) -> Sequence[StreamScrub]:
        """No meetings event names a person: nothing to scrub."""
        return ()

    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: list[str], scrubbed: Mapping[str, Scrubbed]
    ) -> None:
        """The inbox mark is the whole record."""


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    return [erasure_consumer(runtime, MeetingsEraser(runtime))]
