"""Changing a budget: lines, revisions, projects, allocations, decisions, expenditures."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.schema.budget.implementation import RecordCommunityCheckInput, SetProjectStageInput
from gateway.schema.budget.inputs import (
    AllocateInput,
    CreateProjectInput,
    DecideProjectInput,
    RecordExpenditureInput,
    ReleaseAllocationInput,
    ReviseBudgetLineInput,
    SetBudgetLineInput,
    SetProjectExpectedMonthInput,
)
from gateway.schema.budget.lines import Allocation, BudgetLine, LedgerEntry
from gateway.schema.budget.projects import BudgetRevision, Project
from gateway.schema.budget.riel import call
from gateway.schema.context import Context, segment
from gateway.schema.ids import raw_id


@strawberry.type
class BudgetMutation:
    @strawberry.mutation(description="Set a budget line for a fiscal year. Commune council only.")
    async def set_budget_line(self, info: Info[Context, None], input: SetBudgetLineInput) -> BudgetLine:
        session = info.context.require_csrf()
        rate = input.exchange_rate
        body = {
            "commune_code": input.commune_code,
            "year": input.year,
            "kind": input.kind.value,
            "amount": input.amount,
            "exchange_rate": {"riel_per_usd": rate.riel_per_usd, "as_of": rate.as_of.isoformat()}
            if rate
            else None,
        }
        return BudgetLine.of(await call(info, "POST", "/lines", session.account.identity(), json=body))

    @strawberry.mutation(
        description="Cut or raise a line with a reason. A cut below what is allocated puts the lowest-ranked "
        "projects at risk; the council then reduces (releaseAllocation) or defers (decideProject) each."
    )
    async def revise_budget_line(
        self, info: Info[Context, None], input: ReviseBudgetLineInput
    ) -> BudgetRevision:
        session = info.context.require_csrf()
        body = {
            "commune_code": input.commune_code,
            "year": input.year,
            "kind": input.kind.value,
            "amount": input.amount,
            "reason": input.reason,
        }
        return BudgetRevision.of(
            await call(info, "POST", "/revisions", session.account.identity(), json=body)
        )

    @strawberry.mutation(description="Create a CIP project linked to one or more needs of the commune.")
    async def create_project(self, info: Info[Context, None], input: CreateProjectInput) -> Project:
        session = info.context.require_csrf()
        body = {
            "commune_code": input.commune_code,
            "year": input.year,
            "title": input.title,
            "need_ids": [raw_id("Need", str(n)) for n in input.need_ids],
            "estimated_cost": input.estimated_cost,
            "expected_month": input.expected_month,
        }
        return Project.of(await call(info, "POST", "/projects", session.account.identity(), json=body))

    @strawberry.mutation(
        description="Set (or clear) the month the council expects a project delivered; the messages "
        "about its needs name it. Commune council only."
    )
    async def set_project_expected_month(
        self, info: Info[Context, None], input: SetProjectExpectedMonthInput
    ) -> Project:
        session = info.context.require_csrf()
        body = {"expected_month": input.expected_month}
        path = f"/projects/{segment(raw_id('Project', str(input.project_id)))}/expected-month"
        return Project.of(await call(info, "PUT", path, session.account.identity(), json=body))

    @strawberry.mutation(
        description="Allocate riel of a line to a project. Refused with budget.insufficient_funds when the "
        "line has less left: of two clerks allocating the last riel at once, exactly one succeeds."
    )
    async def allocate(self, info: Info[Context, None], input: AllocateInput) -> Allocation:
        session = info.context.require_csrf()
        body = {
            "project_id": raw_id("Project", str(input.project_id)),
            "line": input.line_kind.value,
            "amount": input.amount,
            "decision_id": str(input.decision_id),
        }
        return Allocation.of(await call(info, "POST", "/allocations", session.account.identity(), json=body))

    @strawberry.mutation(description="Give unspent riel of an allocation back to its line, with a reason.")
    async def release_allocation(
        self, info: Info[Context, None], input: ReleaseAllocationInput
    ) -> Allocation:
        session = info.context.require_csrf()
        body = {"amount": input.amount, "reason": input.reason}
        path = f"/allocations/{segment(str(input.allocation_id))}/release"
        return Allocation.of(await call(info, "POST", path, session.account.identity(), json=body))

    @strawberry.mutation(
        description="Defer or reject a project with a reason; its needs' people are told why."
    )
    async def decide_project(self, info: Info[Context, None], input: DecideProjectInput) -> Project:
        session = info.context.require_csrf()
        body = {"decision": input.decision.value, "reason": input.reason}
        path = f"/projects/{segment(raw_id('Project', str(input.project_id)))}/decision"
        return Project.of(await call(info, "POST", path, session.account.identity(), json=body))

    @strawberry.mutation(
        description="Append a committed or paid entry to the ledger, or reverse a posted one. Committing "
        "past an allocation needs overrunReason; paying past what is committed is refused."
    )
    async def record_expenditure(
        self, info: Info[Context, None], input: RecordExpenditureInput
    ) -> LedgerEntry:
        session = info.context.require_csrf()
        body = {
            "idempotency_key": input.idempotency_key,
            "allocation_id": str(input.allocation_id) if input.allocation_id else None,
            "stage": input.stage.value if input.stage else None,
            "amount": input.amount,
            "payee": input.payee,
            "reference": input.reference,
            "spent_on": input.spent_on.isoformat() if input.spent_on else None,
            "overrun_reason": input.overrun_reason,
            "reverses": str(input.reverses) if input.reverses else None,
            "reason": input.reason,
        }
        return LedgerEntry.of(
            await call(info, "POST", "/expenditures", session.account.identity(), json=body)
        )

    @strawberry.mutation(
        description="Record a funded project's next stage (procurement, works started, completed, handed "
        "over, in that order; budget.stage_out_of_order otherwise). Its needs become in implementation when "
        "works start and completed when they are, and their people are told. Commune council only."
    )
    async def set_project_stage(self, info: Info[Context, None], input: SetProjectStageInput) -> Project:
        session = info.context.require_csrf()
        body = {
            "stage": input.stage.value,
            "on": input.on.isoformat(),
            "note": input.note,
            "photo_ref": input.photo_ref,
            "photo": input.photo,
        }
        path = f"/projects/{segment(raw_id('Project', str(input.project_id)))}/stages"
        return Project.of(await call(info, "POST", path, session.account.identity(), json=body))

    @strawberry.mutation(
        description="Record a facilitator-led community check of completed works, answers by group (was it "
        "built, does it work, is it used; 1 to 5). Facilitators and council of the commune."
    )
    async def record_community_check(
        self, info: Info[Context, None], input: RecordCommunityCheckInput
    ) -> Project:
        session = info.context.require_csrf()
        body = {
            "held_on": input.held_on.isoformat(),
            "scores": [
                {
                    "group": s.group,
                    "participants": s.participants,
                    "built": s.built,
                    "works": s.works,
                    "used": s.used,
                }
                for s in input.scores[:20]
            ],
            "note": input.note,
        }
        path = f"/projects/{segment(raw_id('Project', str(input.project_id)))}/checks"
        return Project.of(await call(info, "POST", path, session.account.identity(), json=body))
