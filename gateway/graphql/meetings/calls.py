"""What resolvers check before they call meetings (ids, codes) and what they build for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.api.meetings.changes import PlaceIn
from contracts.local_time import PHNOM_PENH
from gateway.clients import Caller, ServiceError
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.ids import raw_id
from gateway.graphql.meetings.inputs import VenueInput
from gateway.graphql.meetings.vocabulary import COMMUNE_CODE, MEETING_ID
from services.runtime.identity import Identity


def meeting_raw(ctx: Context, meeting_id: str) -> str:
    """The meeting's id as meetings knows it; a malformed one is refused before any call."""
    raw = raw_id("Meeting", meeting_id)
    if not MEETING_ID.match(raw):
        raise graphql_error("meeting.not_found", ctx.t("No such meeting."), "meetingId")
    return raw


def raw_need(need_id: str | None) -> str | None:
    return raw_id("Need", need_id) if need_id else None


def checked_commune(ctx: Context, code: str) -> str:
    if not COMMUNE_CODE.match(code):
        raise graphql_error("commune.invalid", ctx.t("A commune code has 6 digits."), "communeCode")
    return code


def aware(moment: datetime) -> datetime:
    """Times without an offset are Phnom Penh time (what a person types on a form)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=PHNOM_PENH)


async def venue_body(ctx: Context, identity: Identity, venue: VenueInput) -> PlaceIn:
    """The venue with its village's names, when intake knows the village for this caller."""
    body: dict[str, Any] = {"village_code": venue.village_code, "place": venue.place}
    try:
        villages = await ctx.clients.intake.villages(Caller(identity, ctx.lang))
    except ServiceError:
        return PlaceIn.model_construct(**body)  # names are a convenience; the meeting does not wait
    for village in villages:
        if village.code == venue.village_code:
            body["village_name_km"] = village.name_km
            body["village_name_latin"] = village.name_latin
    return PlaceIn.model_construct(**body)
