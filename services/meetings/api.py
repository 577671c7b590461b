"""Meetings' HTTP API for meetings themselves, called only by the gateway.

Each route parses, builds the domain rule, and hands it to ``changes.py``: the one way a meeting
changes (load, decide, save with its calendars and events, again after a concurrent edit).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from contracts.api.meetings.changes import (
    AgendaIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    MeetingCreate,
    MinutesIn,
    PlaceIn,
    RescheduleIn,
    RsvpIn,
)
from contracts.api.meetings.meeting import MeetingPage, MeetingPublic
from contracts.envelope import Envelope, uuid7
from contracts.meetings import MeetingState, MeetingType
from services.meetings import changes, events
from services.meetings.agenda import ItemDraft, publish_agenda
from services.meetings.attendance import RsvpCommand, record_attendance, rsvp
from services.meetings.changes import NotFoundError
from services.meetings.decisions import RecordDecision, publish_minutes, record_decision
from services.meetings.domain import Meeting, Place, RescheduleMeeting, ScheduleMeeting
from services.meetings.lifecycle import announce, cancel, reschedule
from services.meetings.settings import MeetingsSettings
from services.meetings.store import Calendars, candidates_by_id, meeting_of
from services.meetings.views import show
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep
from services.runtime.stores import In, Transaction

router = APIRouter(tags=["meetings"])


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


def _now() -> datetime:
    return datetime.now(UTC)


def place_of(body: PlaceIn) -> Place:
    """The venue the gateway sent, as the domain checks it."""
    return Place(**body.model_dump())


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
        venue=place_of(body.venue),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        title=body.title,
        languages=tuple(body.languages),
        interpreter_arranged=body.interpreter_arranged,
        accessibility_notes=body.accessibility_notes,
        remote_link=body.remote_link,
    )
    meeting, created = await changes.schedule_meeting(runtime, command, caller, key, correlation_id)
    if not created:
        response.status_code = 200
    return show(meeting, caller)


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

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


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

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/reschedule", response_model=MeetingPublic)
async def reschedule_meeting(
    meeting_id: str,
    body: RescheduleIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """An announced meeting keeps its notice rules unless ``emergency_reason`` is given."""
    command = RescheduleMeeting(
        body.starts_at,
        body.ends_at,
        place_of(body.venue) if body.venue else None,
        body.reason,
        body.emergency_reason,
    )

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        calendars = Calendars(tx)
        venue_home = (command.venue or meeting.venue).village_code[:6]
        busy = await calendars.load({meeting.commune_code, venue_home})
        after = reschedule(meeting, command, caller, _now(), busy, settings.agenda_notice_days)
        await changes.write_calendars(calendars, meeting, after)
        return after, [events.rescheduled(meeting, after, correlation_id)]

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic)
async def cancel_meeting(
    meeting_id: str,
    body: CancelIn,
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    notice = settings.agenda_notice_days

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        after = cancel(meeting, body.reason, caller, _now(), notice, body.emergency_reason)
        await changes.write_calendars(Calendars(tx), meeting, after)
        return after, [events.cancelled(after, correlation_id)]

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


@router.post("/meetings/{meeting_id}/rsvps", response_model=MeetingPublic)
async def rsvp_meeting(
    meeting_id: str, body: RsvpIn, caller: MemberDep, runtime: RuntimeDep
) -> MeetingPublic:
    """Answer for a group of people (a facilitator for citizens); the same label again replaces it."""
    command = RsvpCommand(body.response, body.counts, body.label)

    async def rule(meeting: Meeting, tx: Transaction) -> tuple[Meeting, list[Envelope]]:
        return rsvp(meeting, command, caller, _now()), []

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


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

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


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

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)


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

    return show(await changes.change_meeting(runtime, meeting_id, caller, rule), caller)
