"""Finding a time: suggested slots, agenda candidates, holiday tables, a commune's busy seasons
and facilitators' availability."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from contracts.api.meetings import scheduling as contract
from contracts.local_time import PHNOM_PENH
from gateway.graphql.context import Context
from gateway.graphql.ids import to_global
from gateway.graphql.meetings.vocabulary import pick


@strawberry.type(description="Why a time is suggested (or not): points and words.")
class SlotReason:
    code: str = strawberry.field(description="Stable code, e.g. weekday_evening, migrants_home.")
    points: int = strawberry.field(description="What it adds to the score (negative: a drawback).")
    texts: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The reason in words, in the caller's language.")
    def text(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.texts, lang or info.context.lang)


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
        description="Years in the window the holiday source does not cover yet."
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
    source: str = strawberry.field(
        default="local", description="official (Cambodia's public holidays) or local (added by an admin)."
    )


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
    day_work_share_percent: int = strawberry.field(
        default=0, description="Share of people who work by day every day (0-100)."
    )


@strawberry.type(description="A weekly time a facilitator can come (Phnom Penh time).")
class AvailabilityWindow:
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM.")


@strawberry.type(
    description="One facilitator's weekly times, without a name: the council plans, it does not track."
)
class FacilitatorAvailability:
    facilitator: str = strawberry.field(description="F1, F2... (stable only within one answer).")
    windows: list[AvailabilityWindow] = strawberry.field(description="When they can come.")


def holiday_table_of(table: contract.HolidayTable) -> HolidayTable:
    return HolidayTable(
        year=table.year,
        holidays=[
            Holiday(
                kind=h.kind,
                start=h.start,
                end=h.end,
                name_en=h.name_en,
                name_km=h.name_km,
                migrants_home=h.migrants_home,
                source=h.source,
            )
            for h in table.holidays
        ],
        updated_at=table.updated_at,
    )


def profile_of(profile: contract.Profile) -> SchedulingProfile:
    return SchedulingProfile(
        commune_code=profile.commune_code,
        migrant_share_percent=profile.migrant_share_percent,
        busy_seasons=[BusySeason(label=s.label, start=s.start, end=s.end) for s in profile.busy_seasons],
        is_default=profile.is_default,
        day_work_share_percent=profile.day_work_share_percent,
    )


def windows_of(windows: list[contract.WindowPublic]) -> list[AvailabilityWindow]:
    return [AvailabilityWindow(weekday=w.weekday, start=w.start, end=w.end) for w in windows]


def slots_of(suggestions: contract.Suggestions) -> SlotSuggestions:
    return SlotSuggestions(
        slots=[
            MeetingSlot(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                score=s.score,
                reasons=[SlotReason(code=r.code, points=r.points, texts=r.text) for r in s.reasons],
            )
            for s in suggestions.slots
        ],
        missing_holiday_years=suggestions.missing_holiday_years,
    )


def candidate_of(candidate: contract.AgendaCandidate) -> AgendaCandidate:
    return AgendaCandidate(
        id=to_global("Need", candidate.id),
        tracking_code=candidate.tracking_code,
        village_code=candidate.village_code,
        description=candidate.description,
        sector=candidate.sector.value if candidate.sector else None,
        status=candidate.status.value,
        submitted_at=candidate.submitted_at,
    )
