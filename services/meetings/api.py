"""Meetings' HTTP API for meetings themselves, called only by the gateway.

Every change loads the meeting in a store transaction, lets the domain decide, then writes the
meeting, the commune calendars it touches and its events (outbox) in that same transaction. A
refusal raises before anything is written, so nothing changes and nothing is published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from contracts.envelope import Envelope, uuid7
from contracts.meetings import MeetingState, MeetingType
from services.meetings import events
from services.meetings.agenda import ItemDraft, publish_agenda
from services.meetings.attendance import RsvpCommand, record_attendance, rsvp
from services.meetings.bodies import (
    AgendaIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    MeetingCreate,
    MinutesIn,
    RescheduleIn,
    RsvpIn,
)
from services.meetings.decisions import RecordDecision, publish_minutes, record_decision
from services.meetings.domain import Meeting, RescheduleMeeting, ScheduleMeeting
from services.meetings.lifecycle import announce, cancel, reschedule, schedule, updated_calendar
from services.meetings.settings import MeetingsSettings
from services.meetings.store import Calendars, candidates_by_id, meeting_doc, meeting_of
from services.meetings.views import MeetingPage, MeetingPublic, show
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.identity import Identity
from services.runtime.outbox import outbox_row
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import DuplicateKeyError, In, Transaction, VersionConflictError

router = APIRouter(tags=["meetings"])

_ATTEMPTS = 5


def get_settings(runtime: RuntimeDep) -> MeetingsSettings:
    settings = runtime.settings
    assert isinstance(settings, MeetingsSettings)
    return settings


SettingsDep = Annotated[MeetingsSettings, Depends(get_settings)]


def member(caller: CallerDep) -> Identity:
    """The caller of any route but the public ones: the gateway's public visitor is refused,
    whatever communes its token names, so a gateway bug cannot show unannounced meetings."""
    if caller.role == "public":
        raise DomainError("auth.forbidden", "Please sign in.", "សូមចូលប្រើប្រាស់ជាមុនសិន។", status=403)
    return caller


MemberDep = Annotated[Identity, Depends(member)]
CorrelationDep = Annotated[str | None, Header(alias="x-correlation-id")]


class NotFoundError(DomainError):
    def __init__(self) -> None:
        super().__init__("meeting.not_found", "No such meeting.", "រកមិនឃើញកិច្ចប្រជុំនេះទេ។", status=404)


class BusyError(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "meeting.busy",
            "Someone else changed this meeting at the same moment. Please try again.",
            "មានអ្នកផ្សេងកំពុងផ្លាស់ប្តូរកិច្ចប្រជុំនេះក្នុងពេលតែមួយ។ សូមព្យាយាមម្តងទៀត។",
            status=409,
        )


# ---------- the one way a meeting changes ----------

Rule = Callable[[Meeting, Transaction], Awaitable[tuple[Meeting, list[Envelope]]]]


def _homes(meeting: Meeting) -> set[str]:
    """The calendars a meeting sits in: its commune's, and the venue's commune's."""
    return {meeting.commune_code, meeting.venue.village_code[:6]}


async def _write_calendars(calendars: Calendars, before: Meeting | None, after: Meeting) -> None:
    codes = _homes(after) | (_homes(before) if before else set())
    await calendars.load(codes)
    for code in sorted(codes):
        current = await calendars.entries_of(code)
        if code in _homes(after):
            entries = updated_calendar(current, after, after.updated_at)
        else:
            entries = [e for e in current if e.meeting_id != after.id]
        await calendars.save(code, entries)


async def _change(runtime: Runtime, meeting_id: str, caller: Identity, rule: Rule) -> Meeting:
    for _ in range(_ATTEMPTS):
        try:
            async with runtime.unit_of_work() as tx:
                doc = await tx.get("meetings", meeting_id)
                if doc is None or not caller.covers(doc["commune_code"]):
                    raise NotFoundError()
                before = meeting_of(doc)
                after, envelopes = await rule(before, tx)
                if after is before:
                    return after
                stored = meeting_doc(after, idempotency_key=doc.get("idempotency_key"))
                await tx.replace("meetings", stored, expected_version=doc["version"])
                for envelope in envelopes:
                    await tx.add_outbox(outbox_row(envelope))
            return after
        except VersionConflictError:
            continue
    raise BusyError()


def _now() -> datetime:
    return datetime.now(UTC)


# ---------- routes ----------


@router.post("/meetings", status_code=201, response_model=MeetingPublic)
async def schedule_meeting(
    body: MeetingCreate,
    caller: MemberDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """Put a meeting on the commune's calendar (planned). Refused if it clashes."""
    key = f"{caller.user_id}:{body.idempotency_key}" if body.idempotency_key else None
    command = ScheduleMeeting(
        commune_code=body.commune_code,
        type=body.type,
        venue=body.venue.place_(),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        title=body.title,
        languages=tuple(body.languages),
        interpreter_arranged=body.interpreter_arranged,
        accessibility_notes=body.accessibility_notes,
        remote_link=body.remote_link,
    )
    for _ in range(_ATTEMPTS):
        if key is not None:
            existing = await runtime.store.find_one("meetings", {"idempotency_key": key})
            if existing is not None:
                response.status_code = 200
                return show(meeting_of(existing), caller)
        try:
            async with runtime.unit_of_work() as tx:
                calendars = Calendars(tx)
                homes = {command.commune_code, command.venue.village_code[:6]}
                busy = await calendars.load(homes)
                meeting = schedule(command, caller, _now(), busy, meeting_id=uuid7())
                await tx.insert("meetings", meeting_doc(meeting, idempotency_key=key))
                await _write_calendars(calendars, None, meeting)
                await tx.add_outbox(outbox_row(events.scheduled(meeting, correlation_id)))
            return show(meeting, caller)
        except (VersionConflictError, DuplicateKeyError):
            continue  # a concurrent change to the calendar, or a concurrent repeat: look again
    raise BusyError()


@router.get("/meetings", response_model=MeetingPage)
async def list_meetings(
    caller: MemberDep,
    runtime: RuntimeDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    state: Annotated[list[MeetingState] | None, Query()] = None,
    type: Annotated[MeetingType | None, Query()] = None,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> MeetingPage:
    """Meetings in the caller's communes, the most recently scheduled first."""
    where: dict[str, Any]
    if commune is not None:
        if not caller.covers(commune):
            raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)
        where = {"commune_code": commune}
    elif "*" in caller.communes:
        where = {}
    else:
        where = {"commune_code": In(tuple(c for c in caller.communes if len(c) == 6))}
    if state:
        where["state"] = In(tuple(s.value for s in state))
    if type is not None:
        where["type"] = type.value
    docs = await runtime.store.page("meetings", where, after=after, limit=limit, newest_first=True)
    items = [show(meeting_of(d), caller) for d in docs]
    total = await runtime.store.count("meetings", where)
    return MeetingPage(items=items, next_after=items[-1].id if len(items) == limit else None, total=total)


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
async def get_meeting(meeting_id: str, caller: MemberDep, runtime: RuntimeDep) -> MeetingPublic:
    doc = await runtime.store.get("meetings", meeting_id)
    if doc is None or not caller.covers(doc["commune_code"]):
        raise NotFoundError()
    return show(meeting_of(doc), caller)


@router.post("/meetings/{meeting_id}/agenda", response_model=MeetingPublic)
async def publish_meeting_agenda(
    meeting_id: str,
    body: AgendaIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """Publish (or replace) the agenda: items in order, each with its time box and owner."""
    drafts = [ItemDraft(i.kind, i.minutes, i.owner, i.title, i.need_id) for i in body.items]
    candidates = await candidates_by_id(runtime.store, (d.need_id or "" for d in drafts))

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = publish_agenda(meeting, drafts, candidates, caller, _now(), settings.agenda_notice_days)
        return after, [events.agenda_published(after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/announce", response_model=MeetingPublic)
async def announce_meeting(
    meeting_id: str,
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = announce(meeting, caller, _now(), settings.agenda_notice_days)
        return after, [events.announced(after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/reschedule", response_model=MeetingPublic)
async def reschedule_meeting(
    meeting_id: str,
    body: RescheduleIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    command = RescheduleMeeting(
        body.starts_at, body.ends_at, body.venue.place_() if body.venue else None, body.reason
    )

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        calendars = Calendars(tx)
        venue_home = (command.venue or meeting.venue).village_code[:6]
        busy = await calendars.load({meeting.commune_code, venue_home})
        after = reschedule(meeting, command, caller, _now(), busy)
        await _write_calendars(calendars, meeting, after)
        return after, [events.rescheduled(meeting, after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic)
async def cancel_meeting(
    meeting_id: str,
    body: CancelIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = cancel(meeting, body.reason, caller, _now())
        await _write_calendars(Calendars(tx), meeting, after)
        return after, [events.cancelled(after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/rsvps", response_model=MeetingPublic)
async def rsvp_meeting(
    meeting_id: str, body: RsvpIn, caller: MemberDep, runtime: RuntimeDep
) -> MeetingPublic:
    """Answer for a group of people (a facilitator for citizens); the same label again replaces it."""
    command = RsvpCommand(body.response, body.counts, body.label)

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        return rsvp(meeting, command, caller, _now()), []

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.put("/meetings/{meeting_id}/attendance", response_model=MeetingPublic)
async def record_meeting_attendance(
    meeting_id: str,
    body: AttendanceIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """Counts taken at the meeting (they replace earlier counts); the meeting is then held."""
    opens = timedelta(minutes=settings.attendance_opens_minutes)

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = record_attendance(meeting, body.counts, body.names, caller, _now(), opens)
        return after, [events.attendance_recorded(after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/decisions", response_model=MeetingPublic)
async def record_meeting_decision(
    meeting_id: str,
    body: DecisionIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """Record a decision; a prioritisation publishes DecisionRecorded with the ranked needs."""
    command = RecordDecision(
        kind=body.kind,
        year=body.year,
        needs=[(n.need_id, n.rank) for n in body.needs],
        summary=body.summary,
        idempotency_key=body.idempotency_key,
    )

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after, decision, new = record_decision(meeting, command, caller, _now(), decision_id=uuid7())
        if not new:
            return meeting, []
        return after, [events.decision_recorded(after, decision, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/minutes", response_model=MeetingPublic)
async def publish_meeting_minutes(
    meeting_id: str,
    body: MinutesIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = publish_minutes(meeting, body.minutes, caller, _now())
        return after, [events.minutes_published(after, correlation_id)]

    return show(await _change(runtime, meeting_id, caller, rule), caller)
