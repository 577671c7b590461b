"""Calling the meetings service: ids and codes checked first, refusals mapped to errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.clients import Caller, ServiceError
from gateway.schema.context import Context
from gateway.schema.errors import from_service, graphql_error
from gateway.schema.ids import raw_id
from gateway.schema.meetings.inputs import VenueInput
from gateway.schema.meetings.meeting import Meeting
from gateway.schema.meetings.vocabulary import COMMUNE_CODE, MEETING_ID, PHNOM_PENH, WRITE_SCOPE
from services.runtime.identity import Identity


async def call_meetings(ctx: Context, identity: Identity, method: str, path: str, **kwargs: Any) -> Any:
    try:
        _, data = await ctx.gateway.services["meetings"].request(
            method, path, identity, lang=ctx.lang, **kwargs
        )
    except ServiceError as exc:
        raise from_service(exc) from None
    return data


def meeting_path(ctx: Context, meeting_id: str, tail: str = "") -> str:
    raw = raw_id("Meeting", meeting_id)
    if not MEETING_ID.match(raw):
        raise graphql_error("meeting.not_found", ctx.t("No such meeting."), "meetingId")
    return f"/meetings/{raw}{tail}"


def raw_need(need_id: str | None) -> str | None:
    return raw_id("Need", need_id) if need_id else None


def checked_commune(ctx: Context, code: str) -> str:
    if not COMMUNE_CODE.match(code):
        raise graphql_error("commune.invalid", ctx.t("A commune code has 6 digits."), "communeCode")
    return code


def aware(moment: datetime) -> str:
    """Times without an offset are Phnom Penh time (what a person types on a form)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=PHNOM_PENH)).isoformat()


async def venue_body(ctx: Context, identity: Identity, venue: VenueInput) -> dict[str, Any]:
    """The venue with its village's names, when intake knows the village for this caller."""
    body: dict[str, Any] = {"village_code": venue.village_code, "place": venue.place}
    try:
        villages = await ctx.clients.intake.villages(Caller(identity, ctx.lang))
    except ServiceError:
        return body  # names are a convenience; the meeting does not wait for intake
    for village in villages:
        if village.code == venue.village_code:
            body["village_name_km"] = village.name_km
            body["village_name_latin"] = village.name_latin
    return body


async def change_meeting(
    ctx: Context, meeting_id: str, tail: str, json: Any = None, method: str = "POST"
) -> Meeting:
    identity = ctx.require_write(WRITE_SCOPE)
    data = await call_meetings(ctx, identity, method, meeting_path(ctx, meeting_id, tail), json=json)
    return Meeting.of(data)
