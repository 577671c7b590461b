"""The public view of a commune's budget, open to everyone without signing in."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contracts.api import budget as api
from contracts.budget import BudgetLineKind, ProjectStage, ProjectStatus
from contracts.needs import PlaceName
from gateway.graphql.budget.implementation import ProjectStageRecord, TransparencyProject, Verification
from gateway.graphql.budget.lines import ExchangeRate
from gateway.graphql.budget.riel import Riel
from gateway.graphql.context import Context
from gateway.graphql.ids import to_global
from gateway.money import usd_of


@strawberry.type(description="A line in the public view (Riel: digits as strings).")
class TransparencyLine:
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="The line's amount.")
    allocated: Riel = strawberry.field(description="Allocated to projects.")
    spent: Riel = strawberry.field(description="Paid out.")
    remaining: Riel = strawberry.field(description="Not yet paid out.")
    exchange_rate: ExchangeRate | None = strawberry.field(description="The recorded rate, for a USD display.")

    @strawberry.field(description="The amount in US dollars at the recorded rate (display only).")
    def amount_usd(self) -> str | None:
        rate = self.exchange_rate
        return usd_of(self.amount, rate.riel_per_usd) if rate else None

    @classmethod
    def of(cls, line: api.PublicLine) -> TransparencyLine:
        return cls(
            kind=line.kind,
            amount=line.amount,
            allocated=line.allocated,
            spent=line.spent,
            remaining=line.remaining,
            exchange_rate=ExchangeRate.of(line.exchange_rate),
        )


@strawberry.type(description="Public totals over all lines (Riel: digits as strings).")
class TransparencyTotals:
    amount: Riel = strawberry.field(description="All lines together.")
    allocated: Riel = strawberry.field(description="Allocated to projects.")
    spent: Riel = strawberry.field(description="Paid out.")
    remaining: Riel = strawberry.field(description="Not yet paid out.")


@strawberry.type(description="A need in the public view: what became of it and why. No personal data.")
class TransparencyNeed:
    tracking_code: str | None = strawberry.field(
        description="Always null: a tracking code lets its holder act for the citizen; it is not published."
    )
    description: str | None = strawberry.field(
        description="What is needed; null for sensitive kinds (child protection, violence, health)."
    )
    village_code: str | None = strawberry.field(description="Gazetteer code of the village.")
    status: ProjectStatus = strawberry.field(description="Its project's status.")
    reason: str | None = strawberry.field(description="Why, for deferred, rejected and at-risk needs.")
    project_title: str = strawberry.field(description="The project answering it.")
    allocated: Riel = strawberry.field(description="Riel allocated to that project.")
    spent: Riel = strawberry.field(description="Riel paid out on that project.")
    names: strawberry.Private[PlaceName | None]
    sector: str | None = strawberry.field(default=None, description="CIP sector (its category).")
    stage: ProjectStage | None = strawberry.field(
        default=None, description="Its project's latest implementation stage, if works began."
    )
    expected_month: str | None = strawberry.field(
        default=None, description="The month (YYYY-MM) its project is expected delivered, if said."
    )

    @strawberry.field(
        description="The village's name in the caller's language (Khmer unless English is chosen)."
    )
    def village_name(self, info: Info[Context, None]) -> str | None:
        if not self.names:
            return None
        return self.names.latin if info.context.lang == "en" else self.names.km

    @classmethod
    def of(cls, need: api.PublicNeed) -> TransparencyNeed:
        return cls(
            tracking_code=None,
            description=need.description,
            sector=need.sector.value if need.sector else None,
            village_code=need.village_code,
            status=need.status,
            reason=need.reason,
            project_title=need.project_title,
            allocated=need.allocated,
            spent=need.spent,
            names=need.village_name,
            stage=need.stage,
            expected_month=need.expected_month,
        )


@strawberry.type(description="A cut or raise of a line, in the public view.")
class TransparencyRevision:
    line_kind: BudgetLineKind = strawberry.field(description="The line.")
    previous_amount: Riel = strawberry.field(description="Before (Riel).")
    amount: Riel = strawberry.field(description="After (Riel).")
    reason: str = strawberry.field(description="Why.")
    revised_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="A commune's budget for a year, open to everyone without signing in.")
class Transparency:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year (January to December).")
    published: bool = strawberry.field(description="Whether any line is set for the year yet.")
    lines: list[TransparencyLine] = strawberry.field(
        description="Every line: amount, allocated, spent, remaining."
    )
    ccwc: TransparencyLine | None = strawberry.field(
        description="The Commune Committee for Women and Children's line, on its own."
    )
    totals: TransparencyTotals = strawberry.field(description="All lines together.")
    funded_needs: list[TransparencyNeed] = strawberry.field(
        description="Needs in funded, partly funded or at-risk projects, with their status."
    )
    planned_needs: list[TransparencyNeed] = strawberry.field(description="Needs in projects not funded yet.")
    deferred_needs: list[TransparencyNeed] = strawberry.field(description="Deferred needs, with the reason.")
    rejected_needs: list[TransparencyNeed] = strawberry.field(description="Rejected needs, with the reason.")
    revisions: list[TransparencyRevision] = strawberry.field(
        description="Cuts and raises, with their reasons."
    )
    implementation: list[TransparencyProject] = strawberry.field(
        default_factory=list,
        description="Projects whose works began: their stages, and what citizens and community checks said.",
    )

    @classmethod
    def of(cls, data: api.Transparency) -> Transparency:
        totals = data.totals
        return cls(
            commune_code=data.commune_code,
            year=data.year,
            published=data.published,
            lines=[TransparencyLine.of(line) for line in data.lines],
            ccwc=TransparencyLine.of(data.ccwc) if data.ccwc else None,
            totals=TransparencyTotals(
                amount=totals.amount,
                allocated=totals.allocated,
                spent=totals.spent,
                remaining=totals.remaining,
            ),
            funded_needs=[TransparencyNeed.of(n) for n in data.funded_needs],
            planned_needs=[TransparencyNeed.of(n) for n in data.planned_needs],
            deferred_needs=[TransparencyNeed.of(n) for n in data.deferred_needs],
            rejected_needs=[TransparencyNeed.of(n) for n in data.rejected_needs],
            implementation=[
                TransparencyProject(
                    project_id=to_global("Project", p.project_id),
                    title=p.project_title,
                    stage=p.stage,
                    stages=[ProjectStageRecord.of(s, data.commune_code) for s in p.stages],
                    verification=Verification.of(p.verification),
                )
                for p in data.implementation
            ],
            revisions=[
                TransparencyRevision(
                    line_kind=r.line,
                    previous_amount=r.previous_amount,
                    amount=r.amount,
                    reason=r.reason,
                    revised_at=r.revised_at,
                )
                for r in data.revisions
            ],
        )
