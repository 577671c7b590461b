"""Meetings as iCalendar, and the public view of announced meetings.

The iCalendar text travels to the gateway inside JSON (``{"filename", "ics"}``), like every
other answer; the gateway serves it as ``text/calendar``. ``/public/...`` routes still need the
gateway's signed token (any role, including the public visitor's) but show only meetings that
were announced, with no personal data: no names, no RSVP groups.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.api.meetings.meeting import CalendarFile, MeetingPage, MeetingPublic
from services.meetings.api import MemberDep
from services.meetings.changes import NotFoundError
from services.meetings.domain import Meeting
from services.meetings.ical import commune_feed, meeting_ics
from services.meetings.store import meeting_of
from services.meetings.views import show
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["calendar"])

FEED_LIMIT = 500
Lang = Annotated[str, Query(pattern=r"^(km|en)$")]


def _commune(code: str) -> str:
    if not (len(code) == 6 and code.isdigit()):
        raise NotFoundError()
    return code


async def _public_meeting(runtime: RuntimeDep, meeting_id: str) -> Meeting:
    doc = await runtime.store.get("meetings", meeting_id)
    if doc is None or not doc.get("was_announced"):
        raise NotFoundError()
    return meeting_of(doc)


async def _public_meetings(runtime: RuntimeDep, commune: str, limit: int) -> list[Meeting]:
    where = {"commune_code": commune, "was_announced": True}
    docs = await runtime.store.page("meetings", where, limit=limit, newest_first=True)
    return [meeting_of(d) for d in docs]


@router.get("/meetings/{meeting_id}/calendar", response_model=CalendarFile)
async def meeting_calendar(
    meeting_id: str, caller: MemberDep, runtime: RuntimeDep, lang: Lang = "km"
) -> CalendarFile:
    """A meeting of the caller's communes as iCalendar, announced or not."""
    doc = await runtime.store.get("meetings", meeting_id)
    if doc is None or not caller.covers(doc["commune_code"]):
        raise NotFoundError()
    return CalendarFile(filename=f"meeting-{meeting_id}.ics", ics=meeting_ics(meeting_of(doc), lang).decode())


@router.get("/public/meetings/{meeting_id}", response_model=MeetingPublic)
async def public_meeting(meeting_id: str, caller: CallerDep, runtime: RuntimeDep) -> MeetingPublic:
    return show(await _public_meeting(runtime, meeting_id), None)


@router.get("/public/meetings/{meeting_id}/calendar", response_model=CalendarFile)
async def public_meeting_calendar(
    meeting_id: str, caller: CallerDep, runtime: RuntimeDep, lang: Lang = "km"
) -> CalendarFile:
    meeting = await _public_meeting(runtime, meeting_id)
    return CalendarFile(filename=f"meeting-{meeting_id}.ics", ics=meeting_ics(meeting, lang).decode())


@router.get("/public/communes/{commune}/calendar", response_model=CalendarFile)
async def public_commune_feed(
    commune: str, caller: CallerDep, runtime: RuntimeDep, lang: Lang = "km"
) -> CalendarFile:
    """The commune's announced meetings (the latest 500); cancelled ones stay, marked CANCELLED."""
    meetings = await _public_meetings(runtime, _commune(commune), FEED_LIMIT)
    return CalendarFile(filename=f"khum-{commune}.ics", ics=commune_feed(meetings, commune, lang).decode())


@router.get("/public/communes/{commune}/meetings", response_model=MeetingPage)
async def public_commune_meetings(
    commune: str, caller: CallerDep, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> MeetingPage:
    """The commune's announced meetings, the most recently scheduled first."""
    meetings = await _public_meetings(runtime, _commune(commune), limit)
    return MeetingPage(items=[show(m, None) for m in meetings], next_after=None, total=len(meetings))
