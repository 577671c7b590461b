"""The one way a meeting changes: load it in a transaction, let the domain decide (a rule), then
write the meeting, the commune calendars it touches and its events (outbox) in that same
transaction. A refusal raises before anything is written, so nothing changes and nothing is
published; a concurrent edit makes the runtime's unit of work run the change again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from contracts.envelope import Envelope, uuid7
from services.meetings import events
from services.meetings.domain import Meeting, ScheduleMeeting
from services.meetings.lifecycle import schedule, updated_calendar
from services.meetings.store import Calendars, meeting_doc, meeting_of
from services.runtime.application import BusyError, Committer, UnitOfWork, emit
from services.runtime.errors import DomainError
from services.runtime.identity import Identity
from services.runtime.stores import DuplicateKeyError, Transaction

Rule = Callable[[Meeting, Transaction], Awaitable[tuple[Meeting, list[Envelope]]]]


class NotFoundError(DomainError):
    def __init__(self) -> None:
        super().__init__("meeting.not_found", "No such meeting.", "រកមិនឃើញកិច្ចប្រជុំនេះទេ។", status=404)


def meeting_busy() -> BusyError:
    return BusyError(
        "meeting",
        "Someone else changed this meeting at the same moment. Please try again.",
        "មានអ្នកផ្សេងកំពុងផ្លាស់ប្តូរកិច្ចប្រជុំនេះក្នុងពេលតែមួយ។ សូមព្យាយាមម្តងទៀត។",
    )


def unit_of_work(committer: Committer) -> UnitOfWork:
    return UnitOfWork(committer, meeting_busy)


def _homes(meeting: Meeting) -> set[str]:
    """The calendars a meeting sits in: its commune's, and the venue's commune's."""
    return {meeting.commune_code, meeting.venue.village_code[:6]}


async def write_calendars(calendars: Calendars, before: Meeting | None, after: Meeting) -> None:
    codes = _homes(after) | (_homes(before) if before else set())
    await calendars.load(codes)
    for code in sorted(codes):
        current = await calendars.entries_of(code)
        if code in _homes(after):
            entries = updated_calendar(current, after, after.updated_at)
        else:
            entries = [e for e in current if e.meeting_id != after.id]
        await calendars.save(code, entries)


def _look_again(exc: DuplicateKeyError) -> bool:
    """A commune's calendar begun by someone else at the same moment, or a concurrent repeat of
    the same request (answered with the first): look again."""
    return exc.collection == "calendars" or exc.field == "idempotency_key"


async def change_meeting(committer: Committer, meeting_id: str, caller: Identity, rule: Rule) -> Meeting:
    async def change(tx: Transaction) -> Meeting:
        doc = await tx.get("meetings", meeting_id)
        if doc is None or not caller.covers(doc["commune_code"]):
            raise NotFoundError()
        before = meeting_of(doc)
        after, envelopes = await rule(before, tx)
        if after is before:
            return after
        stored = meeting_doc(after, idempotency_key=doc.get("idempotency_key"))
        await tx.replace("meetings", stored, expected_version=doc["version"])
        await emit(tx, envelopes)
        return after

    return await unit_of_work(committer).run(change, again=_look_again)


async def schedule_meeting(
    committer: Committer, command: ScheduleMeeting, caller: Identity, key: str | None, correlation: str | None
) -> tuple[Meeting, bool]:
    """The meeting, and whether this call scheduled it (False: a repeat of the same key)."""

    async def change(tx: Transaction) -> tuple[Meeting, bool]:
        if key is not None:
            existing = await tx.find_one("meetings", {"idempotency_key": key})
            if existing is not None:
                return meeting_of(existing), False
        calendars = Calendars(tx)
        homes = {command.commune_code, command.venue.village_code[:6]}
        busy = await calendars.load(homes)
        meeting = schedule(command, caller, datetime.now(UTC), busy, meeting_id=uuid7())
        await tx.insert("meetings", meeting_doc(meeting, idempotency_key=key))
        await write_calendars(calendars, None, meeting)
        await emit(tx, [events.scheduled(meeting, correlation)])
        return meeting, True

    return await unit_of_work(committer).run(change, again=_look_again)
