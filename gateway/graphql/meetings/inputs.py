"""What callers send to change meetings."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingState, MeetingType
from gateway.graphql.ids import KEY_FORMAT
from gateway.graphql.meetings.vocabulary import RsvpResponse


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
    emergency_reason: str | None = strawberry.field(
        default=None,
        description="Only in an emergency: lets an announced meeting move with less notice than it "
        "was announced with, or into the night. Published and told to everyone.",
    )


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
    day_work_share_percent: int | None = strawberry.field(
        default=None,
        description="Share who work by day every day (0-100): evenings suit them. Null: the default.",
    )


@strawberry.input(description="A weekly time you can come, Phnom Penh time.")
class AvailabilityWindowInput:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM.")


@strawberry.input(description="Someone will come to an announced meeting.")
class MeetingIntentionInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    groups: list[str] = strawberry.field(
        default_factory=list,
        description="Groups the person belongs to, if they say: women, disability, idpoor, indigenous, "
        "migrant, youth, remote.",
    )
    intention_id: str | None = strawberry.field(
        default=None, description="Your own id for this answer: sent again, it counts once."
    )
