"""Meetings in GraphQL: schedule with suggestions, agendas from needs, announce, RSVPs,
attendance, decisions, minutes; the live ``meetingChanged`` feed. Meetings holds the data and
the rules; every resolver passes the caller's identity through and maps refusals to errors."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingState, MeetingType
from contracts.privacy import SUPPRESSED
from gateway.bridge import MEETING_EVENTS
from gateway.clients import ServiceError
from gateway.schema.context import Context
from gateway.schema.errors import from_service, graphql_error
from gateway.schema.ids import KEY_FORMAT, Node, raw_id, to_global
from gateway.schema.live import AFTER_DESCRIPTION, deliveries, live_cursor
from gateway.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor
from services.runtime.identity import Identity

log = logging.getLogger(__name__)

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
CURSOR_KIND = "meeting"
# Integrators' API tokens need this scope to change meetings (people need the page's CSRF token).
WRITE_SCOPE = "write:meetings"
_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_COMMUNE = re.compile(r"^\d{6}$")

strawberry.enum(
    MeetingType, description="The CIP meetings of a commune's year, and the council's monthly one."
)
strawberry.enum(
    MeetingState,
    description="planned -> announced -> rescheduled* -> held -> minutes published, or cancelled.",
)
strawberry.enum(AgendaItemKind, description="What an agenda item is about.")
strawberry.enum(DecisionKind, description="What a council decision is about.")


@strawberry.enum(description="An answer to a meeting invitation, for a group of people.")
class RsvpResponse(StrEnum):
    ATTENDING = "attending"
    MAYBE = "maybe"
    NOT_ATTENDING = "not_attending"


def _pick(words: dict[str, str], lang: str) -> str:
    return words.get(lang) or words.get("km") or next(iter(words.values()), "")


# ---------- output types ----------


@strawberry.type(description="Where a meeting is held: a gazetteer village and a place people know.")
class Venue:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    place: str = strawberry.field(description="The place, e.g. the pagoda hall.")
    names: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The village's name in the caller's language, when known.")
    def village_name(self, info: Info[Context, None], lang: str | None = None) -> str | None:
        return _pick(self.names, lang or info.context.lang) if self.names else None


@strawberry.type(description="A language spoken at the meeting.")
class MeetingLanguage:
    code: str = strawberry.field(description="ISO 639 code, e.g. km for Khmer, jra for Jarai.")
    names: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The language's name in the caller's language.")
    def name(self, info: Info[Context, None], lang: str | None = None) -> str:
        return _pick(self.names, lang or info.context.lang)


@strawberry.type(description="One item of an agenda, with its time box and who leads it.")
class AgendaItem:
    position: int = strawberry.field(description="1 for the first item.")
    kind: AgendaItemKind = strawberry.field(description="A need, a budget item, or something else.")
    title: str = strawberry.field(description="What the item is about.")
    need_id: strawberry.ID | None = strawberry.field(description="For a need: its id.")
    tracking_code: str | None = strawberry.field(description="For a need: the citizen's tracking code.")
    minutes: int = strawberry.field(description="The time box, in minutes.")
    owner: str = strawberry.field(description="Who leads this item.")


HIDDEN = ' Null when fewer than 5 and you are not on the commune\'s council ("<5", contracts/privacy.py).'


def _shown(counts: dict[str, Any]) -> dict[str, Any]:
    """The service's "<5" (an Int field cannot carry it) becomes null."""
    return {k: None if v == SUPPRESSED else v for k, v in counts.items()}


@strawberry.type(description="A published agenda.")
class Agenda:
    items: list[AgendaItem] = strawberry.field(description="In order.")
    total_minutes: int = strawberry.field(description="The sum of the time boxes.")
    published_at: datetime = strawberry.field(description="When it was (last) published (UTC).")


@strawberry.type(description="How many people said they will come, by group.")
class RsvpTotals:
    people: int = strawberry.field(description="Everyone.")
    women: int = strawberry.field(description="Women.")
    disability: int | None = strawberry.field(description="People with disabilities." + HIDDEN)
    idpoor: int | None = strawberry.field(description="Members of IDPoor households." + HIDDEN)
    indigenous: int | None = strawberry.field(description="Indigenous people." + HIDDEN)
    migrant: int | None = strawberry.field(description="People who work away from home." + HIDDEN)
    youth: int = strawberry.field(description="Young people.")
    remote: int = strawberry.field(description="Joining from afar.")


@strawberry.type(description="One answer, given for a group (e.g. a savings group) by a facilitator.")
class RsvpGroup:
    label: str = strawberry.field(description="The group's name, as the facilitator wrote it.")
    response: RsvpResponse = strawberry.field(description="The answer.")
    people: int = strawberry.field(description="How many people.")
    answered_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="Who said they will come.")
class RsvpSummary:
    attending: RsvpTotals = strawberry.field(description="People coming, by group.")
    maybe_people: int = strawberry.field(description="People who may come.")
    not_attending_people: int = strawberry.field(description="People who cannot come.")
    answers: int = strawberry.field(description="How many answers were given.")
    groups: list[RsvpGroup] = strawberry.field(description="Each answer (not shown to the public).")


@strawberry.type(description="Who came, as counts. Every group is part of the total.")
class Attendance:
    total: int = strawberry.field(description="Everyone present, in person and remote.")
    in_person: int = strawberry.field(description="Present in the room.")
    remote: int = strawberry.field(description="Taking part from afar.")
    women: int = strawberry.field(description="Women.")
    men: int = strawberry.field(description="Men.")
    disability: int | None = strawberry.field(description="People with disabilities." + HIDDEN)
    idpoor: int | None = strawberry.field(description="Members of IDPoor households." + HIDDEN)
    indigenous: int | None = strawberry.field(description="Indigenous people." + HIDDEN)
    migrant: int | None = strawberry.field(description="People who work away from home." + HIDDEN)
    youth: int = strawberry.field(description="Young people.")
    council_present: int = strawberry.field(description="Council members present.")
    council_total: int = strawberry.field(description="Council members in all.")
    quorum_met: bool = strawberry.field(description="More than half of the council was present.")
    recorded_at: datetime = strawberry.field(description="When the counts were recorded (UTC).")
    names: list[str] = strawberry.field(description="Names noted, for the commune's council only.")


@strawberry.type(description="A need with its rank in a decision.")
class RankedNeed:
    need_id: strawberry.ID = strawberry.field(description="The need's id.")
    rank: int = strawberry.field(description="1 is the highest priority.")


@strawberry.type(description="A council decision recorded at a meeting.")
class Decision:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    kind: DecisionKind = strawberry.field(description="Prioritisation, CIP approval, or other.")
    year: int = strawberry.field(description="The CIP year it is for.")
    needs: list[RankedNeed] = strawberry.field(description="The needs decided on, by rank.")
    summary: str | None = strawberry.field(description="What was decided, in words.")
    decided_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="A step in a meeting's life.")
class MeetingTransition:
    at: datetime = strawberry.field(description="When (UTC).")
    from_state: MeetingState | None = strawberry.field(description="The state before (null at first).")
    to_state: MeetingState = strawberry.field(description="The state after.")
    reason: str | None = strawberry.field(description="Why (always given for cancelling).")


@strawberry.type(description="A CIP meeting. Times are UTC; `startsAtLocal` is Phnom Penh time.")
class Meeting(Node):
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    type: MeetingType = strawberry.field(description="What kind of meeting.")
    title: str | None = strawberry.field(description="A title, if given.")
    state: MeetingState = strawberry.field(description="Where the meeting is in its life.")
    venue: Venue = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="Start (UTC).")
    ends_at: datetime = strawberry.field(description="End (UTC).")
    duration_minutes: int = strawberry.field(description="How long, in minutes.")
    languages: list[MeetingLanguage] = strawberry.field(description="Languages spoken, Khmer first.")
    interpreter_arranged: bool = strawberry.field(description="An interpreter is arranged.")
    accessibility_notes: str | None = strawberry.field(description="Access for people with disabilities.")
    remote_link: str | None = strawberry.field(description="Telegram group, Facebook Live or video call.")
    sequence: int = strawberry.field(description="iCalendar SEQUENCE: raised on every reschedule.")
    was_announced: bool = strawberry.field(description="The meeting was made public.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    ics_uid: str = strawberry.field(description="iCalendar UID, stable for the meeting's life.")
    agenda: Agenda | None = strawberry.field(description="The published agenda, if any.")
    rsvps: RsvpSummary = strawberry.field(description="Who said they will come.")
    attendance: Attendance | None = strawberry.field(description="Who came, once recorded.")
    decisions: list[Decision] = strawberry.field(description="Decisions recorded at the meeting.")
    minutes: str | None = strawberry.field(description="The published minutes.")
    history: list[MeetingTransition] = strawberry.field(description="Every step, oldest first.")
    created_at: datetime = strawberry.field(description="When it was scheduled (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    labels: strawberry.Private[dict[str, dict[str, str]]]
    raw: strawberry.Private[str]

    @strawberry.field(description="The start in Phnom Penh time (UTC+7).")
    def starts_at_local(self) -> datetime:
        return self.starts_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The end in Phnom Penh time (UTC+7).")
    def ends_at_local(self) -> datetime:
        return self.ends_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The kind of meeting, in words.")
    def type_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return _pick(self.labels["type"], lang or info.context.lang)

    @strawberry.field(description="The state, in words.")
    def state_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return _pick(self.labels["state"], lang or info.context.lang)

    @strawberry.field(description="Where to download the meeting as an iCalendar file (path on this site).")
    def calendar_url(self) -> str:
        return f"/meetings/{self.raw}.ics"

    @classmethod
    def of(cls, data: dict[str, Any]) -> Meeting:
        venue = data["venue"]
        agenda = data.get("agenda")
        attendance = data.get("attendance")
        rsvps = data["rsvps"]
        return cls(
            id=to_global("Meeting", data["id"]),
            raw=data["id"],
            commune_code=data["commune_code"],
            type=MeetingType(data["type"]),
            title=data.get("title"),
            state=MeetingState(data["state"]),
            venue=Venue(
                village_code=venue["village_code"],
                place=venue["place"],
                names={"km": venue["village_name_km"], "en": venue["village_name_latin"]}
                if venue.get("village_name_km") and venue.get("village_name_latin")
                else {},
            ),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            duration_minutes=data["duration_minutes"],
            languages=[MeetingLanguage(code=lang["code"], names=lang["name"]) for lang in data["languages"]],
            interpreter_arranged=data["interpreter_arranged"],
            accessibility_notes=data.get("accessibility_notes"),
            remote_link=data.get("remote_link"),
            sequence=data["sequence"],
            was_announced=data["was_announced"],
            cancel_reason=data.get("cancel_reason"),
            ics_uid=data["ics_uid"],
            agenda=Agenda(
                items=[
                    AgendaItem(
                        position=i["position"],
                        kind=AgendaItemKind(i["kind"]),
                        title=i["title"],
                        need_id=to_global("Need", i["need_id"]) if i.get("need_id") else None,
                        tracking_code=i.get("tracking_code"),
                        minutes=i["minutes"],
                        owner=i["owner"],
                    )
                    for i in agenda["items"]
                ],
                total_minutes=agenda["total_minutes"],
                published_at=datetime.fromisoformat(agenda["published_at"]),
            )
            if agenda
            else None,
            rsvps=RsvpSummary(
                attending=RsvpTotals(**_shown(rsvps["attending"])),
                maybe_people=rsvps["maybe_people"],
                not_attending_people=rsvps["not_attending_people"],
                answers=rsvps["answers"],
                groups=[
                    RsvpGroup(
                        label=g["label"],
                        response=RsvpResponse(g["response"]),
                        people=g["people"],
                        answered_at=datetime.fromisoformat(g["at"]),
                    )
                    for g in rsvps["groups"]
                ],
            ),
            attendance=Attendance(
                **_shown(attendance["counts"]),
                quorum_met=attendance["quorum_met"],
                recorded_at=datetime.fromisoformat(attendance["recorded_at"]),
                names=attendance["names"],
            )
            if attendance
            else None,
            decisions=[
                Decision(
                    id=strawberry.ID(d["id"]),
                    kind=DecisionKind(d["kind"]),
                    year=d["year"],
                    needs=[
                        RankedNeed(need_id=to_global("Need", n["need_id"]), rank=n["rank"])
                        for n in d["needs"]
                    ],
                    summary=d.get("summary"),
                    decided_at=datetime.fromisoformat(d["decided_at"]),
                )
                for d in data["decisions"]
            ],
            minutes=data.get("minutes"),
            history=[
                MeetingTransition(
                    at=datetime.fromisoformat(t["at"]),
                    from_state=MeetingState(t["from_state"]) if t.get("from_state") else None,
                    to_state=MeetingState(t["to_state"]),
                    reason=t.get("reason"),
                )
                for t in data["history"]
            ],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            labels={"type": data["type_label"], "state": data["state_label"]},
        )


@strawberry.type(description="One meeting in a page.")
class MeetingEdge:
    cursor: str
    node: Meeting


@strawberry.type(description="A page of meetings, the most recently scheduled first.")
class MeetingConnection:
    edges: list[MeetingEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many meetings match in all.")


@strawberry.type(description="Why a time is suggested (or not): points and words.")
class SlotReason:
    code: str = strawberry.field(description="Stable code, e.g. weekday_evening, migrants_home.")
    points: int = strawberry.field(description="What it adds to the score (negative: a drawback).")
    texts: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The reason in words, in the caller's language.")
    def text(self, info: Info[Context, None], lang: str | None = None) -> str:
        return _pick(self.texts, lang or info.context.lang)


@strawberry.type(description="A suggested time for a meeting.")
class MeetingSlot:
    starts_at: datetime = strawberry.field(description="Start (UTC).")
    ends_at: datetime = strawberry.field(description="End (UTC).")
    score: int = strawberry.field(description="Higher is better.")
    reasons: list[SlotReason] = strawberry.field(description="Why, in words.")

    @strawberry.field(description="The start in Phnom Penh time.")
    def starts_at_local(self) -> datetime:
        return self.starts_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The end in Phnom Penh time.")
    def ends_at_local(self) -> datetime:
        return self.ends_at.astimezone(PHNOM_PENH)


@strawberry.type(description="Suggested times, best first; none of them clashes.")
class SlotSuggestions:
    slots: list[MeetingSlot] = strawberry.field(description="At most one a day, best first.")
    missing_holiday_years: list[int] = strawberry.field(
        description="Years in the window without a holiday table: ask an admin to enter it."
    )


@strawberry.type(description="A commune's need that can go on an agenda (learned from intake's events).")
class AgendaCandidate:
    id: strawberry.ID = strawberry.field(description="The need's id.")
    tracking_code: str = strawberry.field(description="The citizen's tracking code.")
    village_code: str = strawberry.field(description="Gazetteer code of the village.")
    description: str = strawberry.field(description="What is needed.")
    sector: str | None = strawberry.field(description="CIP sector, if chosen.")
    status: str = strawberry.field(description="Where the need is in its lifecycle, e.g. validated.")
    submitted_at: datetime = strawberry.field(description="When it was recorded (UTC).")


@strawberry.type(description="A public holiday in a year's table.")
class Holiday:
    kind: str = strawberry.field(description="khmer_new_year, pchum_ben, water_festival or other.")
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")
    name_en: str = strawberry.field(description="Name in English.")
    name_km: str = strawberry.field(description="Name in Khmer.")
    migrants_home: bool = strawberry.field(description="Migrants come home for it.")


@strawberry.type(description="A year's public holidays (lunar dates move every year).")
class HolidayTable:
    year: int = strawberry.field(description="The year.")
    holidays: list[Holiday] = strawberry.field(description="Its holidays, by date.")
    updated_at: datetime | None = strawberry.field(description="Last change (UTC); null if never set.")


@strawberry.type(description="A yearly busy time in a commune, e.g. the rice harvest.")
class BusySeason:
    label: str = strawberry.field(description="What it is.")
    start: str = strawberry.field(description="First day, MM-DD.")
    end: str = strawberry.field(description="Last day, MM-DD (may be in the next year).")


@strawberry.type(description="What the commune's council said about when its people can come.")
class SchedulingProfile:
    commune_code: str = strawberry.field(description="The commune.")
    migrant_share_percent: int = strawberry.field(description="Share of people who work away (0-100).")
    busy_seasons: list[BusySeason] = strawberry.field(description="Times to avoid.")
    is_default: bool = strawberry.field(description="Nobody has described the commune yet.")


@strawberry.type(description="A weekly time a facilitator can come (Phnom Penh time).")
class AvailabilityWindow:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM.")


@strawberry.type(description="Something happened to a meeting of the commune.")
class MeetingChange:
    event: str = strawberry.field(description="What happened, e.g. MeetingAnnounced.")
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    commune_code: str = strawberry.field(description="The commune.")
    occurred_at: datetime = strawberry.field(description="When (UTC).")
    cursor: str = strawberry.field(description="Pass as `after` when subscribing again to resume here.")
    caller: strawberry.Private[Identity]

    @strawberry.field(description="The meeting as it is now.")
    async def meeting(self, info: Info[Context, None]) -> Meeting | None:
        ctx = info.context
        try:
            _, data = await ctx.gateway.services["meetings"].request(
                "GET",
                f"/meetings/{quote(raw_id('Meeting', self.meeting_id), safe='')}",
                self.caller,
                lang=ctx.lang,
            )
        except ServiceError:
            return None
        return Meeting.of(data)


# ---------- inputs ----------


@strawberry.input(description="Where a meeting is held.")
class VenueInput:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    place: str = strawberry.field(description="The place, e.g. the pagoda hall (1 to 200 characters).")


@strawberry.input(description="A meeting to put on the commune's calendar.")
class ScheduleMeetingInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    type: MeetingType = strawberry.field(description="What kind of meeting.")
    venue: VenueInput = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="Start; without an offset it is Phnom Penh time.")
    ends_at: datetime = strawberry.field(description="End; without an offset it is Phnom Penh time.")
    title: str | None = strawberry.field(default=None, description="A title.")
    languages: list[str] = strawberry.field(
        default_factory=lambda: ["km"], description="ISO 639 codes; Khmer is always included."
    )
    interpreter_arranged: bool = strawberry.field(default=False, description="An interpreter is arranged.")
    accessibility_notes: str | None = strawberry.field(default=None, description="Access notes.")
    remote_link: str | None = strawberry.field(default=None, description="https:// link to join from afar.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Made by the client once per meeting: a repeat returns the first meeting. " + KEY_FORMAT,
    )


@strawberry.input(description="One agenda item, in the order given.")
class AgendaItemInput:
    kind: AgendaItemKind = strawberry.field(description="A need, a budget item, or something else.")
    minutes: int = strawberry.field(description="The time box (1 to 240).")
    owner: str = strawberry.field(description="Who leads it.")
    title: str | None = strawberry.field(default=None, description="Required unless it is a need.")
    need_id: strawberry.ID | None = strawberry.field(default=None, description="For a need: its id.")


@strawberry.input(description="A new time (and maybe place) for a meeting.")
class RescheduleMeetingInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    starts_at: datetime = strawberry.field(description="New start; without an offset, Phnom Penh time.")
    ends_at: datetime = strawberry.field(description="New end; without an offset, Phnom Penh time.")
    venue: VenueInput | None = strawberry.field(default=None, description="A new place, if it moves.")
    reason: str | None = strawberry.field(default=None, description="Why; required once announced.")


@strawberry.input(description="An answer for a group of people.")
class RsvpInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    response: RsvpResponse = strawberry.field(description="The answer.")
    people: int = strawberry.field(description="How many people.")
    label: str | None = strawberry.field(default=None, description="The group; the same label replaces.")
    women: int = strawberry.field(default=0, description="Of them, women.")
    disability: int = strawberry.field(default=0, description="Of them, people with disabilities.")
    idpoor: int = strawberry.field(default=0, description="Of them, members of IDPoor households.")
    indigenous: int = strawberry.field(default=0, description="Of them, indigenous people.")
    migrant: int = strawberry.field(default=0, description="Of them, people who work away.")
    youth: int = strawberry.field(default=0, description="Of them, young people.")
    remote: int = strawberry.field(default=0, description="Of them, joining from afar.")


@strawberry.input(description="Counts taken at the meeting.")
class AttendanceInput:
    total: int = strawberry.field(description="Everyone present (in person + remote).")
    in_person: int = strawberry.field(description="In the room.")
    remote: int = strawberry.field(description="From afar.")
    women: int = strawberry.field(description="Women.")
    men: int = strawberry.field(description="Men.")
    disability: int = strawberry.field(description="People with disabilities.")
    idpoor: int = strawberry.field(description="Members of IDPoor households.")
    indigenous: int = strawberry.field(description="Indigenous people.")
    migrant: int = strawberry.field(description="People who work away from home.")
    youth: int = strawberry.field(description="Young people.")
    council_present: int = strawberry.field(description="Council members present.")
    council_total: int = strawberry.field(description="Council members in all.")
    names: list[str] | None = strawberry.field(default=None, description="Names (optional, council only).")


@strawberry.input(description="A need and its rank.")
class RankedNeedInput:
    need_id: strawberry.ID = strawberry.field(description="The need (it must be on the agenda).")
    rank: int = strawberry.field(description="1 is the highest priority.")


@strawberry.input(description="A decision taken at a held meeting.")
class RecordDecisionInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    kind: DecisionKind = strawberry.field(description="Prioritisation, CIP approval or other.")
    year: int = strawberry.field(description="The CIP year it is for.")
    needs: list[RankedNeedInput] = strawberry.field(default_factory=list, description="Ranks 1..n.")
    summary: str | None = strawberry.field(default=None, description="What was decided, in words.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat records nothing new. " + KEY_FORMAT
    )


@strawberry.input(description="Which meetings to list.")
class MeetingFilter:
    commune_code: str | None = strawberry.field(default=None, description="One commune (else all of yours).")
    states: list[MeetingState] | None = strawberry.field(default=None, description="Only these states.")
    type: MeetingType | None = strawberry.field(default=None, description="Only this kind.")


@strawberry.input(description="A public holiday.")
class HolidayInput:
    kind: str = strawberry.field(description="khmer_new_year, pchum_ben, water_festival or other.")
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")
    name_en: str | None = strawberry.field(default=None, description="Required for other.")
    name_km: str | None = strawberry.field(default=None, description="Required for other.")
    migrants_home: bool | None = strawberry.field(default=None, description="Default: yes, except other.")


@strawberry.input(description="A yearly busy time, e.g. the rice harvest.")
class BusySeasonInput:
    label: str = strawberry.field(description="What it is.")
    start: str = strawberry.field(description="First day, MM-DD.")
    end: str = strawberry.field(description="Last day, MM-DD.")


@strawberry.input(description="When a commune's people can come.")
class SchedulingProfileInput:
    migrant_share_percent: int = strawberry.field(description="Share of people who work away (0-100).")
    busy_seasons: list[BusySeasonInput] = strawberry.field(
        default_factory=list, description="Times to avoid."
    )


@strawberry.input(description="A weekly time you can come, Phnom Penh time.")
class AvailabilityWindowInput:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM.")


# ---------- calling meetings ----------


async def _call(ctx: Context, identity: Identity, method: str, path: str, **kwargs: Any) -> Any:
    try:
        _, data = await ctx.gateway.services["meetings"].request(
            method, path, identity, lang=ctx.lang, **kwargs
        )
    except ServiceError as exc:
        raise from_service(exc) from None
    return data


def _meeting_path(ctx: Context, meeting_id: str, tail: str = "") -> str:
    raw = raw_id("Meeting", meeting_id)
    if not _ID.match(raw):
        raise graphql_error("meeting.not_found", ctx.t("No such meeting."), "meetingId")
    return f"/meetings/{raw}{tail}"


def _need(need_id: str | None) -> str | None:
    return raw_id("Need", need_id) if need_id else None


def _commune(ctx: Context, code: str) -> str:
    if not _COMMUNE.match(code):
        raise graphql_error("commune.invalid", ctx.t("A commune code has 6 digits."), "communeCode")
    return code


def _aware(moment: datetime) -> str:
    """Times without an offset are Phnom Penh time (what a person types on a form)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=PHNOM_PENH)).isoformat()


async def _venue(ctx: Context, identity: Identity, venue: VenueInput) -> dict[str, Any]:
    """The venue with its village's names, when intake knows the village for this caller."""
    body: dict[str, Any] = {"village_code": venue.village_code, "place": venue.place}
    try:
        _, villages = await ctx.gateway.services["intake"].request(
            "GET", "/villages", identity, lang=ctx.lang
        )
    except ServiceError:
        return body  # names are a convenience; the meeting does not wait for intake
    for village in villages:
        if village.get("code") == venue.village_code:
            body["village_name_km"] = village.get("name_km")
            body["village_name_latin"] = village.get("name_latin")
    return body


async def _change(
    ctx: Context, meeting_id: str, tail: str, json: Any = None, method: str = "POST"
) -> Meeting:
    identity = ctx.require_write(WRITE_SCOPE)
    data = await _call(ctx, identity, method, _meeting_path(ctx, meeting_id, tail), json=json)
    return Meeting.of(data)


@strawberry.type
class MeetingsQuery:
    @strawberry.field(description="One meeting of your communes, or null.")
    async def meeting(self, info: Info[Context, None], id: strawberry.ID) -> Meeting | None:
        ctx = info.context
        identity = ctx.require_caller()
        raw = raw_id("Meeting", id)
        if not _ID.match(raw):
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
                params["commune"] = _commune(ctx, filter.commune_code)
            if filter.states:
                params["state"] = [s.value for s in filter.states]
            if filter.type is not None:
                params["type"] = filter.type.value
        page = await _call(ctx, identity, "GET", "/meetings", params=params)
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
            "commune": _commune(ctx, commune_code),
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "duration": duration_minutes,
            "limit": first,
        }
        if venue is not None:
            params["village"] = venue.village_code
            params["place"] = venue.place
        data = await _call(ctx, identity, "GET", "/slots", params=params)
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
        params = {"commune": _commune(ctx, commune_code), "limit": check_first(first, ctx.lang)}
        data = await _call(ctx, identity, "GET", "/agenda-candidates", params=params)
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
        return _holidays(await _call(ctx, identity, "GET", f"/holidays/{int(year)}"))

    @strawberry.field(description="When a commune's people can come: migrants' share and busy seasons.")
    async def commune_scheduling_profile(
        self, info: Info[Context, None], commune_code: str
    ) -> SchedulingProfile:
        ctx = info.context
        identity = ctx.require_caller()
        return _profile(
            await _call(ctx, identity, "GET", f"/communes/{_commune(ctx, commune_code)}/scheduling")
        )

    @strawberry.field(description="The times you said you can come to meetings in a commune.")
    async def my_availability(self, info: Info[Context, None], commune_code: str) -> list[AvailabilityWindow]:
        ctx = info.context
        identity = ctx.require_caller()
        data = await _call(ctx, identity, "GET", f"/communes/{_commune(ctx, commune_code)}/availability")
        return [AvailabilityWindow(**w) for w in data["windows"]]


def _holidays(data: dict[str, Any]) -> HolidayTable:
    return HolidayTable(
        year=data["year"],
        holidays=[
            Holiday(
                kind=h["kind"],
                start=date.fromisoformat(h["start"]),
                end=date.fromisoformat(h["end"]),
                name_en=h["name_en"],
                name_km=h["name_km"],
                migrants_home=h["migrants_home"],
            )
            for h in data["holidays"]
        ],
        updated_at=datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
    )


def _profile(data: dict[str, Any]) -> SchedulingProfile:
    return SchedulingProfile(
        commune_code=data["commune_code"],
        migrant_share_percent=data["migrant_share_percent"],
        busy_seasons=[BusySeason(**s) for s in data["busy_seasons"]],
        is_default=data["is_default"],
    )


@strawberry.type
class MeetingsMutation:
    @strawberry.mutation(
        description="Put a meeting on the commune's calendar (planned). Refused if it clashes."
    )
    async def schedule_meeting(self, info: Info[Context, None], input: ScheduleMeetingInput) -> Meeting:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = {
            "commune_code": _commune(ctx, input.commune_code),
            "type": input.type.value,
            "venue": await _venue(ctx, identity, input.venue),
            "starts_at": _aware(input.starts_at),
            "ends_at": _aware(input.ends_at),
            "title": input.title,
            "languages": input.languages,
            "interpreter_arranged": input.interpreter_arranged,
            "accessibility_notes": input.accessibility_notes,
            "remote_link": input.remote_link,
            "idempotency_key": input.idempotency_key,
        }
        return Meeting.of(await _call(ctx, identity, "POST", "/meetings", json=body))

    @strawberry.mutation(
        description="Publish (or replace) the agenda: items in order with time boxes and owners."
    )
    async def publish_agenda(
        self, info: Info[Context, None], meeting_id: strawberry.ID, items: list[AgendaItemInput]
    ) -> Meeting:
        body = {
            "items": [
                {
                    "kind": i.kind.value,
                    "minutes": i.minutes,
                    "owner": i.owner,
                    "title": i.title,
                    "need_id": _need(i.need_id),
                }
                for i in items
            ]
        }
        return await _change(info.context, meeting_id, "/agenda", body)

    @strawberry.mutation(description="Make the meeting public. Needs its agenda published in time.")
    async def announce_meeting(self, info: Info[Context, None], meeting_id: strawberry.ID) -> Meeting:
        return await _change(info.context, meeting_id, "/announce")

    @strawberry.mutation(description="Move a meeting; its iCalendar SEQUENCE goes up. Not once it was held.")
    async def reschedule_meeting(self, info: Info[Context, None], input: RescheduleMeetingInput) -> Meeting:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = {
            "starts_at": _aware(input.starts_at),
            "ends_at": _aware(input.ends_at),
            "venue": await _venue(ctx, identity, input.venue) if input.venue else None,
            "reason": input.reason,
        }
        return await _change(ctx, input.meeting_id, "/reschedule", body)

    @strawberry.mutation(description="Cancel a meeting, with the reason people will be told.")
    async def cancel_meeting(
        self, info: Info[Context, None], meeting_id: strawberry.ID, reason: str
    ) -> Meeting:
        return await _change(info.context, meeting_id, "/cancel", {"reason": reason})

    @strawberry.mutation(
        description="Answer for a group of people; the same label again replaces the answer."
    )
    async def rsvp(self, info: Info[Context, None], input: RsvpInput) -> Meeting:
        counts = {
            name: getattr(input, name)
            for name in (
                "people",
                "women",
                "disability",
                "idpoor",
                "indigenous",
                "migrant",
                "youth",
                "remote",
            )
        }
        body = {"response": input.response.value, "counts": counts, "label": input.label}
        return await _change(info.context, input.meeting_id, "/rsvps", body)

    @strawberry.mutation(description="Record the counts taken at the meeting; the meeting is then held.")
    async def record_attendance(
        self, info: Info[Context, None], meeting_id: strawberry.ID, attendance: AttendanceInput
    ) -> Meeting:
        counts = {
            name: getattr(attendance, name)
            for name in (
                "total",
                "in_person",
                "remote",
                "women",
                "men",
                "disability",
                "idpoor",
                "indigenous",
                "migrant",
                "youth",
                "council_present",
                "council_total",
            )
        }
        body = {"counts": counts, "names": attendance.names}
        return await _change(info.context, meeting_id, "/attendance", body, method="PUT")

    @strawberry.mutation(description="Record a decision; a prioritisation tells intake the needs' ranks.")
    async def record_decision(self, info: Info[Context, None], input: RecordDecisionInput) -> Meeting:
        body = {
            "kind": input.kind.value,
            "year": input.year,
            "needs": [{"need_id": raw_id("Need", n.need_id), "rank": n.rank} for n in input.needs],
            "summary": input.summary,
            "idempotency_key": input.idempotency_key,
        }
        return await _change(info.context, input.meeting_id, "/decisions", body)

    @strawberry.mutation(description="Publish the minutes of a held meeting; its record is then closed.")
    async def publish_minutes(
        self, info: Info[Context, None], meeting_id: strawberry.ID, minutes: str
    ) -> Meeting:
        return await _change(info.context, meeting_id, "/minutes", {"minutes": minutes})

    @strawberry.mutation(description="Replace a year's holiday table (admins).")
    async def set_holiday_table(
        self, info: Info[Context, None], year: int, holidays: list[HolidayInput]
    ) -> HolidayTable:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = {
            "holidays": [
                {
                    "kind": h.kind,
                    "start": h.start.isoformat(),
                    "end": h.end.isoformat(),
                    "name_en": h.name_en,
                    "name_km": h.name_km,
                    "migrants_home": h.migrants_home,
                }
                for h in holidays
            ]
        }
        return _holidays(await _call(ctx, identity, "PUT", f"/holidays/{int(year)}", json=body))

    @strawberry.mutation(description="Say when the commune's people can come (its council).")
    async def set_commune_scheduling_profile(
        self, info: Info[Context, None], commune_code: str, input: SchedulingProfileInput
    ) -> SchedulingProfile:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = {
            "migrant_share_percent": input.migrant_share_percent,
            "busy_seasons": [{"label": s.label, "start": s.start, "end": s.end} for s in input.busy_seasons],
        }
        path = f"/communes/{_commune(ctx, commune_code)}/scheduling"
        return _profile(await _call(ctx, identity, "PUT", path, json=body))

    @strawberry.mutation(description="Say when you can come to meetings in a commune (facilitators).")
    async def set_my_availability(
        self, info: Info[Context, None], commune_code: str, windows: list[AvailabilityWindowInput]
    ) -> list[AvailabilityWindow]:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = {"windows": [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in windows]}
        path = f"/communes/{_commune(ctx, commune_code)}/availability"
        data = await _call(ctx, identity, "PUT", path, json=body)
        return [AvailabilityWindow(**w) for w in data["windows"]]


# ---------- live changes ----------


@strawberry.type
class MeetingsSubscription:
    @strawberry.subscription(description="Every change to the meetings of a commune of yours, as it happens.")
    async def meeting_changed(
        self,
        info: Info[Context, None],
        commune_code: str,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> AsyncGenerator[MeetingChange, None]:
        ctx = info.context
        identity = ctx.require_caller()
        code = _commune(ctx, commune_code)
        if not identity.covers(code):
            raise graphql_error(
                "auth.forbidden", ctx.t("You may not see this commune's meetings."), "communeCode"
            )
        async for delivery in deliveries(info, MEETING_EVENTS, [code], after):
            envelope = delivery.envelope
            yield MeetingChange(
                event=envelope.type.split(".")[2],
                meeting_id=to_global("Meeting", envelope.subject or ""),
                commune_code=envelope.communecode,
                occurred_at=envelope.time,
                cursor=live_cursor(MEETING_EVENTS, delivery),
                caller=identity,
            )


QUERIES: tuple[type, ...] = (MeetingsQuery,)
MUTATIONS: tuple[type, ...] = (MeetingsMutation,)
SUBSCRIPTIONS: tuple[type, ...] = (MeetingsSubscription,)
