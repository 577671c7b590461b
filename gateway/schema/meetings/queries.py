"""Reading meetings, slot suggestions, holiday tables and scheduling profiles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.clients import ServiceError
from gateway.schema.context import Context
from gateway.schema.errors import from_service
from gateway.schema.ids import raw_id, to_global
from gateway.schema.meetings.calls import call_meetings, checked_commune
from gateway.schema.meetings.inputs import MeetingFilter, VenueInput
from gateway.schema.meetings.meeting import Meeting, MeetingConnection, MeetingEdge
from gateway.schema.meetings.scheduling import (
    AgendaCandidate,
    AvailabilityWindow,
    FacilitatorAvailability,
    HolidayTable,
    MeetingSlot,
    SchedulingProfile,
    SlotReason,
    SlotSuggestions,
    holiday_table_of,
    profile_of,
)
from gateway.schema.meetings.vocabulary import CURSOR_KIND, MEETING_ID
from gateway.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor


@strawberry.type
class MeetingsQuery:
    @strawberry.field(description="One meeting of your communes, or null.")
    async def meeting(self, info: Info[Context, None], id: strawberry.ID) -> Meeting | None:
        ctx = info.context
        identity = ctx.require_caller()
        raw = raw_id("Meeting", id)
        if not MEETING_ID.match(raw):
            return None
        try:
            _, data = await ctx.gateway.services["meetings"].request(
                "GET", f"/meetings/{raw}", identity, lang=ctx.lang
            )
        except ServiceError as exc:
            if exc.code == "meeting.not_found":
                return None
            raise from_service(exc) from None
        return Meeting.of(data)

    @strawberry.field(description="Meetings of your communes, the most recently scheduled first.")
    async def meetings(
        self,
        info: Info[Context, None],
        filter: MeetingFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> MeetingConnection:
        ctx = info.context
        identity = ctx.require_caller()
        params: dict[str, Any] = {"limit": check_first(first, ctx.lang)}
        after_id = decode_cursor(CURSOR_KIND, after, ctx.lang)
        if after_id:
            params["after"] = after_id
        if filter is not None:
            if filter.commune_code is not None:
                params["commune"] = checked_commune(ctx, filter.commune_code)
            if filter.states:
                params["state"] = [s.value for s in filter.states]
            if filter.type is not None:
                params["type"] = filter.type.value
        page = await call_meetings(ctx, identity, "GET", "/meetings", params=params)
        edges = [
            MeetingEdge(cursor=encode_cursor(CURSOR_KIND, item["id"]), node=Meeting.of(item))
            for item in page["items"]
        ]
        return MeetingConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page["next_after"] is not None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page["total"],
        )

    @strawberry.field(description="The best times for a meeting in a window of days, each with its reasons.")
    async def suggest_meeting_slots(
        self,
        info: Info[Context, None],
        commune_code: str,
        from_date: date,
        to_date: date,
        duration_minutes: int,
        venue: VenueInput | None = None,
        first: int = 5,
    ) -> SlotSuggestions:
        ctx = info.context
        identity = ctx.require_caller()
        params: dict[str, Any] = {
            "commune": checked_commune(ctx, commune_code),
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "duration": duration_minutes,
            "limit": first,
        }
        if venue is not None:
            params["village"] = venue.village_code
            params["place"] = venue.place
        data = await call_meetings(ctx, identity, "GET", "/slots", params=params)
        return SlotSuggestions(
            slots=[
                MeetingSlot(
                    starts_at=datetime.fromisoformat(s["starts_at"]),
                    ends_at=datetime.fromisoformat(s["ends_at"]),
                    score=s["score"],
                    reasons=[
                        SlotReason(code=r["code"], points=r["points"], texts=r["text"]) for r in s["reasons"]
                    ],
                )
                for s in data["slots"]
            ],
            missing_holiday_years=data["missing_holiday_years"],
        )

    @strawberry.field(description="The commune's needs that can go on an agenda, newest first.")
    async def agenda_candidates(
        self, info: Info[Context, None], commune_code: str, first: int = 100
    ) -> list[AgendaCandidate]:
        ctx = info.context
        identity = ctx.require_caller()
        params = {"commune": checked_commune(ctx, commune_code), "limit": check_first(first, ctx.lang)}
        data = await call_meetings(ctx, identity, "GET", "/agenda-candidates", params=params)
        return [
            AgendaCandidate(
                id=to_global("Need", c["id"]),
                tracking_code=c["tracking_code"],
                village_code=c["village_code"],
                description=c["description"],
                sector=c.get("sector"),
                status=c.get("status") or "submitted",
                submitted_at=datetime.fromisoformat(c["submitted_at"]),
            )
            for c in data
        ]

    @strawberry.field(description="A year's public holidays, as slot suggestions use them.")
    async def holiday_table(self, info: Info[Context, None], year: int) -> HolidayTable:
        ctx = info.context
        identity = ctx.require_caller()
        return holiday_table_of(await call_meetings(ctx, identity, "GET", f"/holidays/{int(year)}"))

    @strawberry.field(description="When a commune's people can come: migrants' share and busy seasons.")
    async def commune_scheduling_profile(
        self, info: Info[Context, None], commune_code: str
    ) -> SchedulingProfile:
        ctx = info.context
        identity = ctx.require_caller()
        return profile_of(
            await call_meetings(
                ctx, identity, "GET", f"/communes/{checked_commune(ctx, commune_code)}/scheduling"
            )
        )

    @strawberry.field(description="The times you said you can come to meetings in a commune.")
    async def my_availability(self, info: Info[Context, None], commune_code: str) -> list[AvailabilityWindow]:
        ctx = info.context
        identity = ctx.require_caller()
        data = await call_meetings(
            ctx, identity, "GET", f"/communes/{checked_commune(ctx, commune_code)}/availability"
        )
        return [AvailabilityWindow(**w) for w in data["windows"]]

    @strawberry.field(
        description="Every facilitator's weekly times in a commune, unnamed (F1, F2...): for its council."
    )
    async def facilitators_availability(
        self, info: Info[Context, None], commune_code: str
    ) -> list[FacilitatorAvailability]:
        ctx = info.context
        identity = ctx.require_caller()
        data = await call_meetings(
            ctx,
            identity,
            "GET",
            f"/communes/{checked_commune(ctx, commune_code)}/facilitators-availability",
        )
        return [
            FacilitatorAvailability(
                facilitator=f["facilitator"], windows=[AvailabilityWindow(**w) for w in f["windows"]]
            )
            for f in data
        ]
