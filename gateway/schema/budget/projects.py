"""CIP projects and the budget that holds them: its lines, revisions and CIP approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from contracts.budget import BudgetLineKind, ProjectStage, ProjectStatus
from gateway.schema.budget.implementation import ProjectStageRecord, Verification
from gateway.schema.budget.lines import Allocation, BudgetLine, BudgetTotals, LedgerEntry
from gateway.schema.budget.riel import Riel, call
from gateway.schema.context import Context, segment
from gateway.schema.ids import Node, raw_id, to_global


@strawberry.type(description="A need a project answers, as budget knows it.")
class ProjectNeed:
    id: strawberry.ID = strawberry.field(description="The need's global id (as the needs API gives it).")
    tracking_code: str | None = strawberry.field(description="The citizen's tracking code.")
    description: str | None = strawberry.field(description="What is needed.")
    village_code: str | None = strawberry.field(description="Gazetteer code of the village (8 digits).")
    rank: int | None = strawberry.field(description="Rank in the latest CIP approval (1 is the highest).")
    project_id: strawberry.ID | None = strawberry.field(description="The live project answering it, if any.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> ProjectNeed:
        return cls(
            id=to_global("Need", data["id"]),
            tracking_code=data.get("tracking_code"),
            description=data.get("description"),
            village_code=data.get("village_code"),
            rank=data.get("rank"),
            project_id=to_global("Project", data["project_id"]) if data.get("project_id") else None,
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
    ledger_data: strawberry.Private[list[dict[str, Any]] | None]
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
        data = self.ledger_data
        if data is None:
            identity = info.context.require_caller()
            full = await call(info, "GET", f"/projects/{segment(raw_id('Project', self.id))}", identity)
            data = full["ledger"]
        return [LedgerEntry.of(e) for e in data]

    @classmethod
    def of(cls, data: dict[str, Any]) -> Project:
        return cls(
            id=to_global("Project", data["id"]),
            commune_code=data["commune_code"],
            year=data["year"],
            title=data["title"],
            need_ids=[to_global("Need", n) for n in data["need_ids"]],
            needs=[ProjectNeed.of(n) for n in data["needs"]],
            estimated_cost=data["estimated_cost"],
            rank=data.get("rank"),
            status=ProjectStatus(data["status"]),
            status_reason=data.get("reason"),
            allocated=data["allocated"],
            committed=data["committed"],
            paid=data["paid"],
            allocations=[Allocation.of(a) for a in data["allocations"]],
            ledger_data=data.get("ledger"),
            stage=ProjectStage(data["stage"]) if data.get("stage") else None,
            next_stage=ProjectStage(data["next_stage"]) if data.get("next_stage") else None,
            stages=[ProjectStageRecord.of(s, data["commune_code"]) for s in data.get("stages", [])],
            verification=Verification.of(data["verification"]) if data.get("verification") else None,
            expected_month=data.get("expected_month"),
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
    def of(cls, data: dict[str, Any]) -> BudgetRevision:
        balance = data.get("line_balance")
        return cls(
            id=strawberry.ID(data["id"]),
            line_kind=BudgetLineKind(data["line"]),
            previous_amount=data["previous_amount"],
            amount=data["amount"],
            reason=data["reason"],
            uncovered=data["uncovered"],
            at_risk_project_ids=[to_global("Project", p) for p in data["at_risk_project_ids"]],
            revised_at=datetime.fromisoformat(data["revised_at"]),
            line=BudgetLine.of(balance) if balance else None,
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
    def of(cls, data: dict[str, Any]) -> Budget:
        return cls(
            commune_code=data["commune_code"],
            year=data["year"],
            version=data["version"],
            lines=[BudgetLine.of(line) for line in data["lines"]],
            totals=BudgetTotals.of(data["totals"]),
            projects=[Project.of(p) for p in data["projects"]],
            revisions=[BudgetRevision.of(r) for r in data["revisions"]],
            approvals=[
                CipApproval(
                    id=strawberry.ID(a["id"]),
                    meeting_id=a.get("meeting_id"),
                    decided_at=datetime.fromisoformat(a["decided_at"]),
                    need_count=a["need_count"],
                )
                for a in data["approvals"]
            ],
            approved_needs=[ProjectNeed.of(n) for n in data["approved_needs"]],
        )
