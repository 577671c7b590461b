"""The gateway's one typed client of the meetings service (answers in contracts/api/meetings/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel

from contracts.api.meetings.changes import (
    AgendaIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    IntentionIn,
    MeetingCreate,
    MinutesIn,
    RescheduleIn,
    RsvpIn,
)
from contracts.api.meetings.meeting import CalendarFile, MeetingPage, MeetingPublic
from contracts.api.meetings.scheduling import (
    AgendaCandidate,
    AvailabilityIn,
    AvailabilityPublic,
    FacilitatorWindows,
    HolidayTable,
    HolidayTableIn,
    Profile,
    ProfileIn,
    Suggestions,
)
from contracts.meetings import MeetingState, MeetingType
from gateway.clients.errors import segment
from gateway.clients.typed import Caller, TypedClient


def _meeting(meeting_id: str, tail: str = "") -> str:
    return f"/meetings/{segment(meeting_id)}{tail}"


def _commune(commune: str, tail: str) -> str:
    return f"/communes/{segment(commune)}/{tail}"


class MeetingsClient(TypedClient):
    """Every call the gateway makes to meetings, each with its request and answer models."""

    # ---------- meetings of the caller's communes ----------

    async def meetings(
        self,
        caller: Caller,
        *,
        commune: str | None = None,
        states: Sequence[MeetingState | str] = (),
        type: MeetingType | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> MeetingPage:
        """The most recently scheduled first; ``after`` is the last id of the page before."""
        params = {
            "commune": commune,
            "state": [str(s) for s in states] or None,
            "type": type.value if type else None,
            "after": after,
            "limit": limit,
        }
        return await self.call(MeetingPage, "GET", "/meetings", caller, params=params)

    async def meeting(self, caller: Caller, meeting_id: str) -> MeetingPublic:
        return await self.call(MeetingPublic, "GET", _meeting(meeting_id), caller)

    async def schedule_meeting(self, caller: Caller, body: MeetingCreate) -> MeetingPublic:
        return await self.call(MeetingPublic, "POST", "/meetings", caller, body=body)

    async def publish_agenda(self, caller: Caller, meeting_id: str, body: AgendaIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/agenda", body)

    async def announce(self, caller: Caller, meeting_id: str) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/announce", None)

    async def reschedule(self, caller: Caller, meeting_id: str, body: RescheduleIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/reschedule", body)

    async def cancel(self, caller: Caller, meeting_id: str, body: CancelIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/cancel", body)

    async def rsvp(self, caller: Caller, meeting_id: str, body: RsvpIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/rsvps", body)

    async def record_attendance(self, caller: Caller, meeting_id: str, body: AttendanceIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/attendance", body, method="PUT")

    async def record_decision(self, caller: Caller, meeting_id: str, body: DecisionIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/decisions", body)

    async def publish_minutes(self, caller: Caller, meeting_id: str, body: MinutesIn) -> MeetingPublic:
        return await self._change(caller, meeting_id, "/minutes", body)

    async def _change(
        self, caller: Caller, meeting_id: str, tail: str, body: BaseModel | None, method: str = "POST"
    ) -> MeetingPublic:
        """Every change to a meeting answers the meeting as it is now."""
        return await self.call(MeetingPublic, method, _meeting(meeting_id, tail), caller, body=body)

    async def meeting_calendar(self, caller: Caller, meeting_id: str, lang: str) -> CalendarFile:
        path = _meeting(meeting_id, "/calendar")
        return await self.call(CalendarFile, "GET", path, caller, params={"lang": lang})

    # ---------- announced meetings, for anyone ----------

    async def public_meeting(self, caller: Caller, meeting_id: str) -> MeetingPublic:
        return await self.call(MeetingPublic, "GET", "/public" + _meeting(meeting_id), caller)

    async def record_intention(self, caller: Caller, meeting_id: str, body: IntentionIn) -> MeetingPublic:
        """ "I will come": the public visitor for themselves, a facilitator for a person they met."""
        path = "/public" + _meeting(meeting_id, "/intentions")
        return await self.call(MeetingPublic, "POST", path, caller, body=body)

    async def public_meeting_calendar(self, caller: Caller, meeting_id: str, lang: str) -> CalendarFile:
        path = "/public" + _meeting(meeting_id, "/calendar")
        return await self.call(CalendarFile, "GET", path, caller, params={"lang": lang})

    async def public_commune_calendar(self, caller: Caller, commune: str, lang: str) -> CalendarFile:
        path = "/public" + _commune(commune, "calendar")
        return await self.call(CalendarFile, "GET", path, caller, params={"lang": lang})

    async def public_commune_meetings(self, caller: Caller, commune: str, limit: int) -> MeetingPage:
        path = "/public" + _commune(commune, "meetings")
        return await self.call(MeetingPage, "GET", path, caller, params={"limit": limit})

    # ---------- finding a time ----------

    async def suggest_slots(
        self,
        caller: Caller,
        commune: str,
        first_day: date,
        last_day: date,
        duration_minutes: int,
        *,
        village: str | None = None,
        place: str | None = None,
        limit: int | None = None,
    ) -> Suggestions:
        params = {
            "commune": commune,
            "from": first_day.isoformat(),
            "to": last_day.isoformat(),
            "duration": duration_minutes,
            "village": village,
            "place": place,
            "limit": limit,
        }
        return await self.call(Suggestions, "GET", "/slots", caller, params=params)

    async def agenda_candidates(self, caller: Caller, commune: str, limit: int) -> list[AgendaCandidate]:
        params = {"commune": commune, "limit": limit}
        return await self.call(list[AgendaCandidate], "GET", "/agenda-candidates", caller, params=params)

    async def holidays(self, caller: Caller, year: int) -> HolidayTable:
        return await self.call(HolidayTable, "GET", f"/holidays/{int(year)}", caller)

    async def set_holidays(self, caller: Caller, year: int, body: HolidayTableIn) -> HolidayTable:
        return await self.call(HolidayTable, "PUT", f"/holidays/{int(year)}", caller, body=body)

    async def scheduling_profile(self, caller: Caller, commune: str) -> Profile:
        return await self.call(Profile, "GET", _commune(commune, "scheduling"), caller)

    async def set_scheduling_profile(self, caller: Caller, commune: str, body: ProfileIn) -> Profile:
        return await self.call(Profile, "PUT", _commune(commune, "scheduling"), caller, body=body)

    async def my_availability(self, caller: Caller, commune: str) -> AvailabilityPublic:
        return await self.call(AvailabilityPublic, "GET", _commune(commune, "availability"), caller)

    async def set_my_availability(
        self, caller: Caller, commune: str, body: AvailabilityIn
    ) -> AvailabilityPublic:
        path = _commune(commune, "availability")
        return await self.call(AvailabilityPublic, "PUT", path, caller, body=body)

    async def facilitators_availability(self, caller: Caller, commune: str) -> list[FacilitatorWindows]:
        path = _commune(commune, "facilitators-availability")
        return await self.call(list[FacilitatorWindows], "GET", path, caller)
