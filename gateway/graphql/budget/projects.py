"""CIP projects and the budget that holds them: its lines, revisions and CIP approvals."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contracts.api import budget as api
from contracts.budget import BudgetLineKind, ProjectStage, ProjectStatus
from gateway.graphql.budget.implementation import ProjectStageRecord, Verification
from gateway.graphql.budget.lines import Allocation, BudgetLine, BudgetTotals, LedgerEntry
from gateway.graphql.budget.riel import Riel
from gateway.graphql.context import Context
from gateway.graphql.ids import Node, raw_id, to_global


@strawberry.type(description="A need a project answers, as budget knows it.")
class ProjectNeed:
    id: strawberry.ID = strawberry.field(description="The need's global id (as the needs API gives it).")
    tracking_code: str | None = strawberry.field(description="The citizen's tracking code.")
    description: str | None = strawberry.field(description="What is needed.")
    village_code: str | None = strawberry.field(description="Gazetteer code of the village (8 digits).")
    rank: int | None = strawberry.field(description="Rank in the latest CIP approval (1 is the highest).")
    project_id: strawberry.ID | None = strawberry.field(description="The live project answering it, if any.")

    @classmethod
    def of(cls, need: api.ProjectNeed) -> ProjectNeed:
        """A project's need, or an approved one (ApprovedNeed: with its rank and live project)."""
        approved = need if isinstance(need, api.ApprovedNeed) else None
        project_id = approved.project_id if approved else None
        return cls(
            id=to_global("Need", need.id),
            tracking_code=need.tracking_code,
            description=need.description,
            village_code=need.village_code,
            rank=approved.rank if approved else None,
            project_id=to_global("Project", project_id) if project_id else None,
        )


@strawberry.type(
    description="A CIP project: one or more needs, an estimated cost, and the money given to it."
)
class Project(Node):
    id: strawberry.ID = strawberry.field(description="Global id (Project:<id>).")
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year.")
    title: str = strawberry.field(description="What is to be built or done.")
    need_ids: list[strawberry.ID] = strawberry.field(description="The needs it answers (global ids).")
    needs: list[ProjectNeed] = strawberry.field(description="Those needs, with their tracking codes.")
    estimated_cost: Riel = strawberry.field(description="Estimated cost (Riel: digits as a string).")
    rank: int | None = strawberry.field(
        description="Its best need's rank in the CIP approval (1 is highest)."
    )
    status: ProjectStatus = strawberry.field(description="Where it stands.")
    status_reason: str | None = strawberry.field(description="Why, when deferred, rejected or at risk.")
    allocated: Riel = strawberry.field(description="Riel allocated to it (Riel).")
    committed: Riel = strawberry.field(description="Riel committed (Riel).")
    paid: Riel = strawberry.field(description="Riel paid (Riel).")
    allocations: list[Allocation] = strawberry.field(description="Its allocations, oldest first.")
    ledger_data: strawberry.Private[list[api.LedgerEntry] | None]
    stage: ProjectStage | None = strawberry.field(
        default=None, description="The latest implementation stage reached (null before procurement)."
    )
    next_stage: ProjectStage | None = strawberry.field(
        default=None, description="The only stage that may be set next (null once handed over)."
    )
    stages: list[ProjectStageRecord] = strawberry.field(
        default_factory=list, description="Implementation stages reached, in order."
    )
    verification: Verification | None = strawberry.field(
        default=None, description="What citizens and community checks said of the works."
    )
    expected_month: str | None = strawberry.field(
        default=None, description="The month (YYYY-MM) the council expects it delivered, if it said."
    )

    @strawberry.field(description="Its ledger entries, oldest first.")
    async def expenditures(self, info: Info[Context, None]) -> list[LedgerEntry]:
        entries = self.ledger_data
        if entries is None:
            info.context.require_caller()
            full = await info.context.clients.budget.project(info.context.caller, raw_id("Project", self.id))
            entries = full.ledger
        return [LedgerEntry.of(e) for e in entries]

    @classmethod
    def of(cls, project: api.Project) -> Project:
        """The ledger comes with GET /projects/{id} (ProjectWithLedger); otherwise it is read
        when asked for."""
        return cls(
            id=to_global("Project", project.id),
            commune_code=project.commune_code,
            year=project.year,
            title=project.title,
            need_ids=[to_global("Need", n) for n in project.need_ids],
            needs=[ProjectNeed.of(n) for n in project.needs],
            estimated_cost=project.estimated_cost,
            rank=project.rank,
            status=project.status,
            status_reason=project.reason,
            allocated=project.allocated,
            committed=project.committed,
            paid=project.paid,
            allocations=[Allocation.of(a) for a in project.allocations],
            ledger_data=project.ledger if isinstance(project, api.ProjectWithLedger) else None,
            stage=project.stage,
            next_stage=project.next_stage,
            stages=[ProjectStageRecord.of(s, project.commune_code) for s in project.stages],
            verification=Verification.of(project.verification),
            expected_month=project.expected_month,
        )


@strawberry.type(description="A cut or raise of a line, with its reason and who it put at risk.")
class BudgetRevision:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    line_kind: BudgetLineKind = strawberry.field(description="The line revised.")
    previous_amount: Riel = strawberry.field(description="Before (Riel).")
    amount: Riel = strawberry.field(description="After (Riel).")
    reason: str = strawberry.field(description="Why, e.g. a national transfer cut.")
    uncovered: Riel = strawberry.field(
        description="Riel of allocations the new amount no longer covers (Riel)."
    )
    at_risk_project_ids: list[strawberry.ID] = strawberry.field(
        description="Projects put at risk: the council must reduce or defer each, with a reason."
    )
    revised_at: datetime = strawberry.field(description="When (UTC).")
    line: BudgetLine | None = strawberry.field(
        description="The line after the revision (on mutation results)."
    )

    @classmethod
    def of(cls, revision: api.Revision) -> BudgetRevision:
        """``line`` is set when the answer is the change itself (RevisedLine)."""
        return cls(
            id=strawberry.ID(revision.id),
            line_kind=revision.line,
            previous_amount=revision.previous_amount,
            amount=revision.amount,
            reason=revision.reason,
            uncovered=revision.uncovered,
            at_risk_project_ids=[to_global("Project", p) for p in revision.at_risk_project_ids],
            revised_at=revision.revised_at,
            line=BudgetLine.of(revision.line_balance) if isinstance(revision, api.RevisedLine) else None,
        )


@strawberry.type(description="A CIP approval decision recorded at a meeting, as budget learned it.")
class CipApproval:
    id: strawberry.ID = strawberry.field(description="The decision id (cite it when allocating).")
    meeting_id: str | None = strawberry.field(description="The meeting it was taken at.")
    decided_at: datetime = strawberry.field(description="When (UTC).")
    need_count: int = strawberry.field(description="How many needs it approved.")


@strawberry.type(description="A commune's budget for one fiscal year, as its council manages it.")
class Budget:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year (January to December).")
    version: int = strawberry.field(description="Changes with every saved change (0: nothing saved yet).")
    lines: list[BudgetLine] = strawberry.field(description="The lines set so far, in the standard order.")
    totals: BudgetTotals = strawberry.field(description="All lines together.")
    projects: list[Project] = strawberry.field(description="CIP projects, by rank.")
    revisions: list[BudgetRevision] = strawberry.field(description="Cuts and raises, oldest first.")
    approvals: list[CipApproval] = strawberry.field(description="CIP approvals for the year, latest first.")
    approved_needs: list[ProjectNeed] = strawberry.field(description="The latest approval's needs, by rank.")

    @classmethod
    def of(cls, budget: api.Budget) -> Budget:
        return cls(
            commune_code=budget.commune_code,
            year=budget.year,
            version=budget.version,
            lines=[BudgetLine.of(line) for line in budget.lines],
            totals=BudgetTotals.of(budget.totals),
            projects=[Project.of(p) for p in budget.projects],
            revisions=[BudgetRevision.of(r) for r in budget.revisions],
            approvals=[
                CipApproval(
                    id=strawberry.ID(a.id),
                    meeting_id=a.meeting_id,
                    decided_at=a.decided_at,
                    need_count=a.need_count,
                )
                for a in budget.approvals
            ],
            approved_needs=[ProjectNeed.of(n) for n in budget.approved_needs],
        )
