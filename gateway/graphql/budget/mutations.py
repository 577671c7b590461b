"""Changing a budget: lines, revisions, projects, allocations, decisions, expenditures."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from contracts.api import budget as api
from gateway.graphql.budget.implementation import RecordCommunityCheckInput, SetProjectStageInput
from gateway.graphql.budget.inputs import (
    AllocateInput,
    CreateProjectInput,
    DecideProjectInput,
    RecordExpenditureInput,
    ReleaseAllocationInput,
    ReviseBudgetLineInput,
    SetBudgetLineInput,
    SetProjectExpectedMonthInput,
)
from gateway.graphql.budget.lines import Allocation, BudgetLine, LedgerEntry
from gateway.graphql.budget.projects import BudgetRevision, Project
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id


@strawberry.type
class BudgetMutation:
    @strawberry.mutation(description="Set a budget line for a fiscal year. Commune council only.")
    async def set_budget_line(self, info: Info[Context, None], input: SetBudgetLineInput) -> BudgetLine:
        info.context.require_csrf()
        rate = input.exchange_rate
        body = api.LineIn.model_construct(
            commune_code=input.commune_code,
            year=input.year,
            kind=input.kind,
            amount=input.amount,
            exchange_rate=api.ExchangeRate.model_construct(riel_per_usd=rate.riel_per_usd, as_of=rate.as_of)
            if rate
            else None,
        )
        return BudgetLine.of(await info.context.clients.budget.set_line(info.context.caller, body))

    @strawberry.mutation(
        description="Cut or raise a line with a reason. A cut below what is allocated puts the lowest-ranked "
        "projects at risk; the council then reduces (releaseAllocation) or defers (decideProject) each."
    )
    async def revise_budget_line(
        self, info: Info[Context, None], input: ReviseBudgetLineInput
    ) -> BudgetRevision:
        info.context.require_csrf()
        body = api.RevisionIn.model_construct(
            commune_code=input.commune_code,
            year=input.year,
            kind=input.kind,
            amount=input.amount,
            reason=input.reason,
        )
        return BudgetRevision.of(await info.context.clients.budget.revise_line(info.context.caller, body))

    @strawberry.mutation(description="Create a CIP project linked to one or more needs of the commune.")
    async def create_project(self, info: Info[Context, None], input: CreateProjectInput) -> Project:
        info.context.require_csrf()
        body = api.ProjectIn.model_construct(
            commune_code=input.commune_code,
            year=input.year,
            title=input.title,
            need_ids=[raw_id("Need", str(n)) for n in input.need_ids],
            estimated_cost=input.estimated_cost,
            expected_month=input.expected_month,
        )
        return Project.of(await info.context.clients.budget.create_project(info.context.caller, body))

    @strawberry.mutation(
        description="Set (or clear) the month the council expects a project delivered; the messages "
        "about its needs name it. Commune council only."
    )
    async def set_project_expected_month(
        self, info: Info[Context, None], input: SetProjectExpectedMonthInput
    ) -> Project:
        info.context.require_csrf()
        body = api.ExpectedMonthIn.model_construct(expected_month=input.expected_month)
        project_id = raw_id("Project", str(input.project_id))
        return Project.of(
            await info.context.clients.budget.set_expected_month(info.context.caller, project_id, body)
        )

    @strawberry.mutation(
        description="Allocate riel of a line to a project. Refused with budget.insufficient_funds when the "
        "line has less left: of two clerks allocating the last riel at once, exactly one succeeds."
    )
    async def allocate(self, info: Info[Context, None], input: AllocateInput) -> Allocation:
        info.context.require_csrf()
        body = api.AllocationIn.model_construct(
            project_id=raw_id("Project", str(input.project_id)),
            line=input.line_kind,
            amount=input.amount,
            decision_id=str(input.decision_id),
        )
        return Allocation.of(await info.context.clients.budget.allocate(info.context.caller, body))

    @strawberry.mutation(description="Give unspent riel of an allocation back to its line, with a reason.")
    async def release_allocation(
        self, info: Info[Context, None], input: ReleaseAllocationInput
    ) -> Allocation:
        info.context.require_csrf()
        body = api.ReleaseIn.model_construct(amount=input.amount, reason=input.reason)
        allocation_id = str(input.allocation_id)
        return Allocation.of(
            await info.context.clients.budget.release(info.context.caller, allocation_id, body)
        )

    @strawberry.mutation(
        description="Defer or reject a project with a reason; its needs' people are told why."
    )
    async def decide_project(self, info: Info[Context, None], input: DecideProjectInput) -> Project:
        info.context.require_csrf()
        body = api.DecisionIn.model_construct(decision=input.decision, reason=input.reason)
        project_id = raw_id("Project", str(input.project_id))
        return Project.of(
            await info.context.clients.budget.decide_project(info.context.caller, project_id, body)
        )

    @strawberry.mutation(
        description="Append a committed or paid entry to the ledger, or reverse a posted one. Committing "
        "past an allocation needs overrunReason; paying past what is committed is refused."
    )
    async def record_expenditure(
        self, info: Info[Context, None], input: RecordExpenditureInput
    ) -> LedgerEntry:
        info.context.require_csrf()
        body = api.ExpenditureIn.model_construct(
            idempotency_key=input.idempotency_key,
            allocation_id=str(input.allocation_id) if input.allocation_id else None,
            stage=input.stage,
            amount=input.amount,
            payee=input.payee,
            reference=input.reference,
            spent_on=input.spent_on,
            overrun_reason=input.overrun_reason,
            reverses=str(input.reverses) if input.reverses else None,
            reason=input.reason,
        )
        return LedgerEntry.of(await info.context.clients.budget.record_expenditure(info.context.caller, body))

    @strawberry.mutation(
        description="Record a funded project's next stage (procurement, works started, completed, handed "
        "over, in that order; budget.stage_out_of_order otherwise). Its needs become in implementation when "
        "works start and completed when they are, and their people are told. Commune council only."
    )
    async def set_project_stage(self, info: Info[Context, None], input: SetProjectStageInput) -> Project:
        info.context.require_csrf()
        body = api.StageIn.model_construct(
            stage=input.stage, on=input.on, note=input.note, photo_ref=input.photo_ref, photo=input.photo
        )
        project_id = raw_id("Project", str(input.project_id))
        return Project.of(await info.context.clients.budget.set_stage(info.context.caller, project_id, body))

    @strawberry.mutation(
        description="Record a facilitator-led community check of completed works, answers by group (was it "
        "built, does it work, is it used; 1 to 5). Facilitators and council of the commune."
    )
    async def record_community_check(
        self, info: Info[Context, None], input: RecordCommunityCheckInput
    ) -> Project:
        info.context.require_csrf()
        body = api.CheckIn.model_construct(
            held_on=input.held_on,
            scores=[
                api.ScoreBody.model_construct(
                    group=s.group, participants=s.participants, built=s.built, works=s.works, used=s.used
                )
                for s in input.scores[:20]
            ],
            note=input.note,
        )
        project_id = raw_id("Project", str(input.project_id))
        return Project.of(
            await info.context.clients.budget.record_check(info.context.caller, project_id, body)
        )
