"""Oversight above the commune: a place's figures, its child places side by side, as CSV too.

For district, province and national admins, NGO partners (the communes they support) and
integrators' tokens. Everything is an aggregate read from the oversight service's read model;
counts of people in a sensitive group under 5 read "<5" (contracts/privacy.py), for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry
from strawberry.types import Info

from contracts.api.oversight import OversightFigures as Figures
from contracts.api.oversight import Shown
from contracts.needs import NeedStatus
from gateway.graphql.budget.riel import Riel
from gateway.graphql.context import Context
from gateway.oversight import csv_of, load_view


@strawberry.enum(description="The level of the places compared side by side.")
class PlaceLevel(Enum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


@strawberry.type(description="A count by key (a status, a sector, a meeting type).")
class KeyCount:
    key: str
    count: int


@strawberry.type(description='A count of people or needs of one group: a whole number, or "<5" when hidden.')
class HiddenCount:
    key: str = strawberry.field(
        description="women, youth, elderly, disability, idpoor, indigenous, migrant..."
    )
    count: str = strawberry.field(
        description='A whole number as text, or "<5" (small counts of sensitive groups).'
    )


@strawberry.type(description="Needs recorded in the year, by status, sector and group.")
class OversightNeeds:
    total: int
    by_status: list[KeyCount]
    by_sector: list[KeyCount] = strawberry.field(description="Sectors; unknown when none was given.")
    by_group: list[HiddenCount] = strawberry.field(description="Needs raised by someone of each group.")
    group_unknown: int = strawberry.field(
        description="Needs whose raisers' groups were never recorded (not 'none')."
    )


@strawberry.type(
    description="Meetings of the year: announced, held (with enough notice or not), cancelled, who came."
)
class OversightMeetings:
    announced: int
    held: int
    held_with_notice: int = strawberry.field(description="Held, and announced at least 7 days before.")
    cancelled: int
    isaf_held: int = strawberry.field(description="ISAF interface meetings held (the community check).")
    attendance: list[HiddenCount] = strawberry.field(
        description="People who came, summed over held meetings, by group."
    )


@strawberry.type(description="Budget execution in whole riel.")
class OversightBudget:
    available: Riel = strawberry.field(description="The year's budget lines, as last set or revised.")
    allocated: Riel = strawberry.field(description="Allocated to CIP projects (after releases).")
    committed: Riel = strawberry.field(description="Committed on the ledger (contracts, orders).")
    spent: Riel = strawberry.field(description="Paid out on the ledger.")
    execution_percent: int | None = strawberry.field(
        description="Spent as a whole percent of allocated; null with nothing allocated."
    )


@strawberry.type(
    description="Community checks of finished projects and citizens' answers on completed needs: "
    "scores 1 (bad) to 5 (good), averaged over the people who gave them."
)
class OversightChecks:
    held: int = strawberry.field(description="Community checks recorded.")
    participants: int
    participants_by_group: list[HiddenCount]
    built: float | None = strawberry.field(description="Was it built as planned? Null with no check.")
    works: float | None = strawberry.field(description="Does it work?")
    used: float | None = strawberry.field(description="Is it used by the people it was for?")
    answers: int = strawberry.field(description="Citizens' answers on completed needs.")
    satisfied: int
    rating: float | None = strawberry.field(description="Their average rating, of those who gave one.")


@strawberry.type(description="A place's figures for one year.")
class OversightFigures:
    needs: OversightNeeds
    meetings: OversightMeetings
    budget: OversightBudget
    referrals_received: int = strawberry.field(
        description="Needs referred on at triage (to the district, a line department or an NGO)."
    )
    citizens_verified: int = strawberry.field(
        description="Completed needs that citizens checked (the community check)."
    )
    community_checks: OversightChecks


@strawberry.type(description="One place in a comparison.")
class OversightRow:
    code: str = strawberry.field(
        description="Gazetteer code: 2 digits a province, 4 a district, 6 a commune."
    )
    name: str
    level: str = strawberry.field(description="province, district or commune")
    figures: OversightFigures


@strawberry.type(
    description="A place's figures and its child places side by side (provinces nationally, a "
    "province's districts, a district's communes; an NGO partner's communes)."
)
class OversightView:
    unit: str | None = strawberry.field(
        description="The place compared; null: the whole country, or a caller's several places."
    )
    name: str | None
    level: str = strawberry.field(description="national, province, district or commune")
    year: int
    total: OversightFigures
    rows: list[OversightRow]
    csv: str = strawberry.field(
        description="The comparison as CSV (UTF-8 with BOM): a line per place and a TOTAL line."
    )


def _pairs(values: Mapping[NeedStatus, int] | Mapping[str, int]) -> list[KeyCount]:
    return [KeyCount(key=str(k), count=v) for k, v in values.items()]


def _hidden(values: Mapping[str, Shown]) -> list[HiddenCount]:
    return [HiddenCount(key=k, count=str(v)) for k, v in values.items()]


def figures(data: Figures) -> OversightFigures:
    needs, meetings, budget, checks = data.needs, data.meetings, data.budget, data.community_check
    return OversightFigures(
        needs=OversightNeeds(
            total=needs.total,
            by_status=_pairs(needs.by_status),
            by_sector=_pairs(needs.by_sector),
            by_group=_hidden(needs.by_group),
            group_unknown=needs.group_unknown,
        ),
        meetings=OversightMeetings(
            announced=meetings.announced,
            held=meetings.held,
            held_with_notice=meetings.held_with_notice,
            cancelled=meetings.cancelled,
            isaf_held=meetings.isaf_held,
            attendance=_hidden(meetings.attendance),
        ),
        budget=OversightBudget(
            available=budget.available,
            allocated=budget.allocated,
            committed=budget.committed,
            spent=budget.spent,
            execution_percent=budget.execution_percent,
        ),
        referrals_received=data.referrals_received,
        citizens_verified=checks.verified,
        community_checks=OversightChecks(
            held=checks.checks,
            participants=checks.participants,
            participants_by_group=_hidden(checks.participants_by_group),
            built=checks.built,
            works=checks.works,
            used=checks.used,
            answers=checks.answers,
            satisfied=checks.satisfied,
            rating=checks.rating,
        ),
    )


@strawberry.type
class OversightQuery:
    @strawberry.field(
        description="Oversight figures of a place for a year (district, province and national admins, "
        "NGO partners for the communes they support, integrators). No place: your own places. "
        'Aggregates only, built from events; small counts of sensitive groups read "<5". '
        "rows: the level compared below the place (default one level down: a province's districts)."
    )
    async def oversight(
        self,
        info: Info[Context, None],
        unit: str | None = None,
        year: int | None = None,
        rows: PlaceLevel | None = strawberry.UNSET,
    ) -> OversightView:
        ctx = info.context
        identity = ctx.require_caller()
        level = rows.value if isinstance(rows, PlaceLevel) else None
        view = await load_view(ctx.gateway, identity, ctx.lang, unit, year, level)
        return OversightView(
            unit=view.unit,
            name=view.name,
            level=view.level,
            year=view.year,
            total=figures(view.total),
            rows=[
                OversightRow(code=r.code, name=r.name, level=r.level, figures=figures(r.figures))
                for r in view.rows
            ],
            csv=csv_of(view),
        )


QUERIES: tuple[type, ...] = (OversightQuery,)
MUTATIONS: tuple[type, ...] = ()
SUBSCRIPTIONS: tuple[type, ...] = ()
