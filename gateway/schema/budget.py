"""Budget in GraphQL: lines, CIP projects, allocations, the ledger, and the public transparency view.

Money is the ``Riel`` scalar: whole riel as a string of digits. GraphQL's ``Int`` is 32-bit
(at most 2,147,483,647) and a commune's yearly budget is often more, so an ``Int`` would
overflow. The budget service holds the rules and the data; these resolvers only translate.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStatus
from gateway.callers import public_identity
from gateway.clients import ServiceError
from gateway.money import usd_of
from gateway.schema.context import Context, segment
from gateway.schema.errors import from_service
from gateway.schema.ids import KEY_FORMAT, Node, raw_id, to_global
from services.runtime.identity import Identity

RIEL_DESCRIPTION = (
    'Whole riel, as a string of decimal digits, e.g. "12500000000" (a leading minus appears only on '
    "reversing ledger entries). A string because GraphQL's Int is 32-bit (at most 2,147,483,647) and "
    "commune budgets exceed it; read it with a big-integer or decimal type. Inputs take the same string "
    "(thousands separators, the ៛ sign and Khmer digits are tolerated) or a JSON integer; a fraction is "
    "refused with the code budget.amount_not_whole, a negative amount with budget.amount_negative."
)


def _serialize_riel(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Riel must be an int, got {type(value).__name__}")
    return str(value)


def _parse_riel(value: object) -> object:
    """Only the shape is checked here; the budget service reads the amount and gives each
    refusal (fraction, negative, too large) its stable code in the caller's language."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphQLError(
            'Riel is whole riel as a string of digits, e.g. "1500000". / '
            'រៀលត្រូវសរសេរជាលេខគត់ ឧទាហរណ៍ "1500000"។',
            extensions={"code": "budget.amount_invalid"},
        )
    return value


if TYPE_CHECKING:
    Riel = int
else:
    # Strawberry prefers StrawberryConfig.scalar_map, which the schema root does not take yet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        Riel = strawberry.scalar(
            NewType("Riel", int),
            name="Riel",
            description=RIEL_DESCRIPTION,
            serialize=_serialize_riel,
            parse_value=_parse_riel,
        )

strawberry.enum(BudgetLineKind, description="A line of a commune's budget (where its money comes from).")
strawberry.enum(ExpenditureStage, description="Committed (money promised) or paid (money out).")
strawberry.enum(
    ProjectStatus, description="Where a CIP project stands, decided by its money and the council."
)


@strawberry.enum(description="What the council decides for a project it cannot fund now.")
class ProjectDecision(Enum):
    DEFER = "defer"
    REJECT = "reject"


async def call(info: Info[Context, None], method: str, path: str, identity: Identity, **kw: Any) -> Any:
    ctx = info.context
    try:
        _, body = await ctx.gateway.services["budget"].request(method, path, identity, lang=ctx.lang, **kw)
    except ServiceError as exc:
        raise from_service(exc) from None
    return body


# ---------- types ----------


@strawberry.type(description="A recorded exchange rate, to show riel amounts in US dollars too.")
class ExchangeRate:
    riel_per_usd: int = strawberry.field(description="Riel for one US dollar.")
    as_of: date = strawberry.field(description="The date of the rate.")

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> ExchangeRate | None:
        return (
            cls(riel_per_usd=data["riel_per_usd"], as_of=date.fromisoformat(data["as_of"])) if data else None
        )


@strawberry.type(
    description="A budget line of a commune's fiscal year (January to December), with its balances."
)
class BudgetLine:
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="The line's amount for the year (Riel: digits as a string).")
    allocated: Riel = strawberry.field(description="Riel allocated to projects (Riel: digits as a string).")
    committed: Riel = strawberry.field(
        description="Riel committed on those allocations (Riel: digits as a string)."
    )
    paid: Riel = strawberry.field(description="Riel paid out (Riel: digits as a string).")
    unallocated: Riel = strawberry.field(description="Riel not yet allocated (Riel: digits as a string).")
    shortfall: Riel = strawberry.field(
        description="Riel of allocations a cut left uncovered, awaiting the council's decisions (Riel)."
    )
    remaining: Riel = strawberry.field(description="Riel not yet paid out: amount minus paid (Riel).")
    exchange_rate: ExchangeRate | None = strawberry.field(description="The recorded rate for a USD display.")

    @strawberry.field(
        description='The amount in US dollars at the recorded rate (display only), e.g. "2195.12".'
    )
    def amount_usd(self) -> str | None:
        rate = self.exchange_rate
        return usd_of(self.amount, {"riel_per_usd": rate.riel_per_usd}) if rate else None

    @classmethod
    def of(cls, data: dict[str, Any]) -> BudgetLine:
        return cls(
            kind=BudgetLineKind(data["kind"]),
            amount=data["amount"],
            allocated=data["allocated"],
            committed=data["committed"],
            paid=data["paid"],
            unallocated=data["unallocated"],
            shortfall=data["shortfall"],
            remaining=data["remaining"],
            exchange_rate=ExchangeRate.of(data.get("exchange_rate")),
        )


@strawberry.type(description="Totals over all lines of a budget (Riel: digits as strings).")
class BudgetTotals:
    amount: Riel = strawberry.field(description="All lines together.")
    allocated: Riel = strawberry.field(description="Allocated to projects.")
    committed: Riel = strawberry.field(description="Committed.")
    paid: Riel = strawberry.field(description="Paid out.")
    unallocated: Riel = strawberry.field(description="Not yet allocated.")
    remaining: Riel = strawberry.field(description="Not yet paid out.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> BudgetTotals:
        return cls(
            **{k: data[k] for k in ("amount", "allocated", "committed", "paid", "unallocated", "remaining")}
        )


@strawberry.type(description="Money of a line allocated to a project, as a meeting decision approved.")
class Allocation:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    project_id: strawberry.ID = strawberry.field(description="The project funded.")
    line_kind: BudgetLineKind = strawberry.field(description="The line the money comes from.")
    amount: Riel = strawberry.field(
        description="Riel allocated now, after releases (Riel: digits as a string)."
    )
    released: Riel = strawberry.field(description="Riel given back to the line so far (Riel).")
    committed: Riel = strawberry.field(description="Riel committed on this allocation (Riel).")
    paid: Riel = strawberry.field(description="Riel paid on this allocation (Riel).")
    unspent: Riel = strawberry.field(
        description="Riel allocated and not committed: what can be released (Riel)."
    )
    overrun: bool = strawberry.field(description="Whether an explicit overrun was recorded on it.")
    decision_id: strawberry.ID = strawberry.field(description="The CIP approval decision it carries out.")
    made_at: datetime = strawberry.field(description="When it was made (UTC).")
    project_status: ProjectStatus | None = strawberry.field(
        description="The project's status after this change (set on mutation results)."
    )

    @classmethod
    def of(cls, data: dict[str, Any]) -> Allocation:
        status = data.get("project_status")
        return cls(
            id=strawberry.ID(data["id"]),
            project_id=to_global("Project", data["project_id"]),
            line_kind=BudgetLineKind(data["line"]),
            amount=data["amount"],
            released=data["released"],
            committed=data["committed"],
            paid=data["paid"],
            unspent=data["unspent"],
            overrun=data["overrun"],
            decision_id=strawberry.ID(data["decision_id"]),
            made_at=datetime.fromisoformat(data["made_at"]),
            project_status=ProjectStatus(status) if status else None,
        )


@strawberry.type(
    description="An entry of the append-only expenditure ledger. Never edited: corrected by reversal."
)
class LedgerEntry:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    allocation_id: strawberry.ID = strawberry.field(description="The allocation spent from.")
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    line_kind: BudgetLineKind = strawberry.field(description="The line.")
    stage: ExpenditureStage = strawberry.field(description="Committed or paid.")
    amount: Riel = strawberry.field(
        description="Riel; negative only on a reversing entry (Riel: digits as a string)."
    )
    payee: str = strawberry.field(description="Who is paid.")
    reference: str = strawberry.field(description="Contract, order or receipt number.")
    spent_on: date = strawberry.field(
        description="The date of the commitment or payment (in the fiscal year)."
    )
    reverses: strawberry.ID | None = strawberry.field(
        description="The entry this one reverses, if a correction."
    )
    reason: str | None = strawberry.field(description="Why a reversal was made.")
    overrun_reason: str | None = strawberry.field(
        description="Set when this entry took spending past the allocation: the explicit overrun record."
    )
    recorded_at: datetime = strawberry.field(description="When it was recorded (UTC).")

    @classmethod
    def of(cls, data: dict[str, Any]) -> LedgerEntry:
        return cls(
            id=strawberry.ID(data["id"]),
            allocation_id=strawberry.ID(data["allocation_id"]),
            project_id=to_global("Project", data["project_id"]),
            line_kind=BudgetLineKind(data["line"]),
            stage=ExpenditureStage(data["stage"]),
            amount=data["amount"],
            payee=data["payee"],
            reference=data["reference"],
            spent_on=date.fromisoformat(data["spent_on"]),
            reverses=strawberry.ID(data["reverses"]) if data.get("reverses") else None,
            reason=data.get("reason"),
            overrun_reason=data.get("overrun_reason"),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )


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


# ---------- the public view ----------


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
        return usd_of(self.amount, {"riel_per_usd": rate.riel_per_usd}) if rate else None

    @classmethod
    def of(cls, data: dict[str, Any]) -> TransparencyLine:
        return cls(
            kind=BudgetLineKind(data["kind"]),
            amount=data["amount"],
            allocated=data["allocated"],
            spent=data["spent"],
            remaining=data["remaining"],
            exchange_rate=ExchangeRate.of(data.get("exchange_rate")),
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
    names: strawberry.Private[dict[str, str] | None]
    sector: str | None = strawberry.field(default=None, description="CIP sector (its category).")

    @strawberry.field(
        description="The village's name in the caller's language (Khmer unless English is chosen)."
    )
    def village_name(self, info: Info[Context, None]) -> str | None:
        if not self.names:
            return None
        return self.names.get("latin" if info.context.lang == "en" else "km")

    @classmethod
    def of(cls, data: dict[str, Any]) -> TransparencyNeed:
        return cls(
            tracking_code=None,
            description=data.get("description"),
            sector=data.get("sector"),
            village_code=data.get("village_code"),
            status=ProjectStatus(data["status"]),
            reason=data.get("reason"),
            project_title=data["project_title"],
            allocated=data["allocated"],
            spent=data["spent"],
            names=data.get("village_name"),
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

    @classmethod
    def of(cls, data: dict[str, Any]) -> Transparency:
        totals = data["totals"]
        return cls(
            commune_code=data["commune_code"],
            year=data["year"],
            published=data["published"],
            lines=[TransparencyLine.of(line) for line in data["lines"]],
            ccwc=TransparencyLine.of(data["ccwc"]) if data.get("ccwc") else None,
            totals=TransparencyTotals(
                amount=totals["amount"],
                allocated=totals["allocated"],
                spent=totals["spent"],
                remaining=totals["remaining"],
            ),
            funded_needs=[TransparencyNeed.of(n) for n in data["funded_needs"]],
            planned_needs=[TransparencyNeed.of(n) for n in data["planned_needs"]],
            deferred_needs=[TransparencyNeed.of(n) for n in data["deferred_needs"]],
            rejected_needs=[TransparencyNeed.of(n) for n in data["rejected_needs"]],
            revisions=[
                TransparencyRevision(
                    line_kind=BudgetLineKind(r["line"]),
                    previous_amount=r["previous_amount"],
                    amount=r["amount"],
                    reason=r["reason"],
                    revised_at=datetime.fromisoformat(r["revised_at"]),
                )
                for r in data["revisions"]
            ],
        )


# ---------- inputs ----------


@strawberry.input(description="A recorded exchange rate.")
class ExchangeRateInput:
    riel_per_usd: int = strawberry.field(description="Riel for one US dollar (1 to 1,000,000).")
    as_of: date = strawberry.field(description="The date of the rate.")


@strawberry.input(description="Set a line's amount for a fiscal year (once; later changes are revisions).")
class SetBudgetLineInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year (2000 to 2100).")
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="Whole riel, zero or more (Riel: digits as a string).")
    exchange_rate: ExchangeRateInput | None = strawberry.field(
        default=None, description="A rate to show the line in USD too (riel stays the truth)."
    )


@strawberry.input(description="Cut or raise a line. The reason is required: the people affected are told it.")
class ReviseBudgetLineInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year.")
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="The new amount in whole riel (Riel: digits as a string).")
    reason: str | None = strawberry.field(
        default=None, description="Required (refused with budget.reason_required when missing or blank)."
    )


@strawberry.input(description="A CIP project answering one or more of the commune's needs.")
class CreateProjectInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year.")
    title: str = strawberry.field(description="What is to be built or done (1 to 200 characters).")
    need_ids: list[strawberry.ID] = strawberry.field(
        description="The needs it answers (at least one): global ids from the needs API, or plain ids."
    )
    estimated_cost: Riel = strawberry.field(
        description="Estimated cost in whole riel (Riel: digits as a string)."
    )


@strawberry.input(
    description="Allocate riel of a line to a project, citing the CIP approval that decided it."
)
class AllocateInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    line_kind: BudgetLineKind = strawberry.field(description="The line the money comes from.")
    amount: Riel = strawberry.field(description="Whole riel, more than zero (Riel: digits as a string).")
    decision_id: strawberry.ID = strawberry.field(description="The CIP approval decision (DecisionRecorded).")


@strawberry.input(
    description="Give unspent riel of an allocation back to its line: how a project is reduced."
)
class ReleaseAllocationInput:
    allocation_id: strawberry.ID = strawberry.field(description="The allocation.")
    reason: str | None = strawberry.field(default=None, description="Required: why.")
    amount: Riel | None = strawberry.field(
        default=None, description="Riel to release; all unspent riel if absent."
    )


@strawberry.input(description="Defer or reject a project; its allocations go back to their lines.")
class DecideProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    decision: ProjectDecision = strawberry.field(description="Defer (maybe another year) or reject.")
    reason: str | None = strawberry.field(
        default=None, description="Required: the people who raised its needs are told it."
    )


@strawberry.input(
    description="Append to the ledger: either a new entry (allocationId, stage, amount, payee, reference, "
    "spentOn) or a reversal of a posted entry (reverses, reason). Posted entries are never edited."
)
class RecordExpenditureInput:
    idempotency_key: str = strawberry.field(
        description="Made by the client once per entry: a retry returns the same entry; the same key with "
        "different content is refused with budget.entry_immutable. " + KEY_FORMAT
    )
    allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The allocation spent from."
    )
    stage: ExpenditureStage | None = strawberry.field(default=None, description="Committed or paid.")
    amount: Riel | None = strawberry.field(default=None, description="Whole riel, more than zero (Riel).")
    payee: str | None = strawberry.field(default=None, description="Who is paid.")
    reference: str | None = strawberry.field(default=None, description="Contract, order or receipt number.")
    spent_on: date | None = strawberry.field(default=None, description="The date, within the fiscal year.")
    overrun_reason: str | None = strawberry.field(
        default=None,
        description="To commit past the allocation: the reason, recorded as an explicit overrun.",
    )
    reverses: strawberry.ID | None = strawberry.field(
        default=None, description="The posted entry to reverse."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why the entry is reversed (required then)."
    )


# ---------- operations ----------


@strawberry.type
class BudgetQuery:
    @strawberry.field(description="A commune's budget for a fiscal year (signed-in people of that commune).")
    async def budget(self, info: Info[Context, None], commune_code: str, year: int) -> Budget:
        identity = info.context.require_caller()
        data = await call(info, "GET", f"/budgets/{segment(commune_code)}/{year}", identity)
        return Budget.of(data)

    @strawberry.field(description="A CIP project with its allocations and ledger, or null.")
    async def project(self, info: Info[Context, None], id: strawberry.ID) -> Project | None:
        identity = info.context.require_caller()
        try:
            data = await call(info, "GET", f"/projects/{segment(raw_id('Project', id))}", identity)
        except GraphQLError as error:
            if (error.extensions or {}).get("code") == "budget.not_found":
                return None
            raise
        return Project.of(data)

    @strawberry.field(
        description="Public, no sign-in: a commune's lines with allocated, spent and remaining, the CCWC "
        "line on its own, funded needs with their status, deferred and rejected needs with their reasons."
    )
    async def transparency(self, info: Info[Context, None], commune_code: str, year: int) -> Transparency:
        data = await call(
            info, "GET", f"/transparency/{segment(commune_code)}/{year}", public_identity(commune_code)
        )
        return Transparency.of(data)


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
        }
        return Project.of(await call(info, "POST", "/projects", session.account.identity(), json=body))

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


QUERIES: tuple[type, ...] = (BudgetQuery,)
MUTATIONS: tuple[type, ...] = (BudgetMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
