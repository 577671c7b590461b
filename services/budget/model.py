"""The budget of one commune for one fiscal year, as plain data. Pure: no I/O, no framework.

One aggregate per commune and year holds its lines, CIP projects, allocations and revisions,
so the rule "allocations on a line never exceed it" is checked against one consistent copy and
saved with one version check (optimistic concurrency). Ledger entries live beside it, one
document each, append-only; the aggregate keeps each allocation's running totals of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStage, ProjectStatus
from services.runtime.identity import Identity

# Statuses a council decided on: kept until money is allocated to the project again.
DECIDED = frozenset({ProjectStatus.DEFERRED, ProjectStatus.REJECTED})


@dataclass(frozen=True)
class Act:
    """Who acts, and when: every command carries one."""

    who: Identity
    now: datetime


@dataclass
class Rate:
    riel_per_usd: int
    as_of: date


@dataclass
class Line:
    kind: BudgetLineKind
    amount: int
    rate: Rate | None
    set_by: str
    set_at: datetime


@dataclass
class Project:
    id: str
    title: str
    need_ids: tuple[str, ...]
    estimated_cost: int
    rank: int | None
    status: ProjectStatus
    reason: str | None
    created_by: str
    created_at: datetime
    stages: list[StageRecord] = field(default_factory=list)
    """Implementation stages reached, in order (see :mod:`services.budget.implementation`)."""
    checks: list[CommunityCheck] = field(default_factory=list)
    expected_month: str | None = None
    """``YYYY-MM``: when the council expects it delivered (:mod:`services.budget.months`)."""

    @property
    def stage(self) -> ProjectStage | None:
        return self.stages[-1].stage if self.stages else None


@dataclass
class StageRecord:
    stage: ProjectStage
    on: date
    note: str | None
    photo_ref: str | None
    set_by: str
    set_at: datetime
    photo_id: str | None = None
    """A photo budget keeps (``photos``), its location metadata removed."""


@dataclass
class GroupScore:
    group: str
    participants: int
    built: int
    works: int
    used: int


@dataclass
class CommunityCheck:
    """A facilitator-led check with the community: scores by group, never names."""

    id: str
    held_on: date
    scores: list[GroupScore]
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass
class Allocation:
    id: str
    project_id: str
    line: BudgetLineKind
    amount: int
    """Riel allocated now (after releases)."""
    released: int
    decision_id: str
    committed: int
    """Running sum of the ledger's committed entries on this allocation."""
    paid: int
    """Running sum of the ledger's paid entries on this allocation."""
    overrun: bool
    """An explicit overrun record exists: committed may exceed ``amount``."""
    made_by: str
    made_at: datetime

    @property
    def unspent(self) -> int:
        return max(0, self.amount - self.committed)


@dataclass
class Revision:
    id: str
    line: BudgetLineKind
    previous_amount: int
    amount: int
    reason: str
    uncovered: int
    at_risk: tuple[str, ...]
    revised_by: str
    revised_at: datetime


@dataclass
class LedgerEntry:
    """One line of the append-only ledger. Never changed once posted."""

    id: str
    commune_code: str
    year: int
    allocation_id: str
    project_id: str
    line: BudgetLineKind
    stage: ExpenditureStage
    amount: int
    payee: str
    reference: str
    spent_on: date
    reverses: str | None
    reason: str | None
    overrun_reason: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass
class Budget:
    commune_code: str
    year: int
    lines: dict[BudgetLineKind, Line] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    allocations: dict[str, Allocation] = field(default_factory=dict)
    revisions: list[Revision] = field(default_factory=list)

    @property
    def id(self) -> str:
        return budget_id(self.commune_code, self.year)

    def allocated(self, line: BudgetLineKind) -> int:
        return sum(a.amount for a in self.allocations.values() if a.line == line)

    def committed(self, line: BudgetLineKind) -> int:
        return sum(a.committed for a in self.allocations.values() if a.line == line)

    def paid(self, line: BudgetLineKind) -> int:
        return sum(a.paid for a in self.allocations.values() if a.line == line)

    def available(self, line: BudgetLineKind) -> int:
        """Riel of a line not yet allocated (negative while a cut is waiting for decisions)."""
        return self.lines[line].amount - self.allocated(line)

    def shortfall(self, line: BudgetLineKind) -> int:
        return max(0, -self.available(line)) if line in self.lines else 0

    def allocations_of(self, project_id: str) -> list[Allocation]:
        return [a for a in self.allocations.values() if a.project_id == project_id]

    def project_allocated(self, project_id: str) -> int:
        return sum(a.amount for a in self.allocations_of(project_id))

    def project_committed(self, project_id: str) -> int:
        return sum(a.committed for a in self.allocations_of(project_id))

    def project_paid(self, project_id: str) -> int:
        return sum(a.paid for a in self.allocations_of(project_id))

    def latest_revision(self, line: BudgetLineKind) -> Revision | None:
        return next((r for r in reversed(self.revisions) if r.line == line), None)


def budget_id(commune_code: str, year: int) -> str:
    return f"{commune_code}:{year}"


@dataclass(frozen=True)
class Emitted:
    """An event a command produced, to go into the outbox with the state it describes."""

    event_type: str
    payload: BaseModel
    subject: str


@dataclass
class Outcome:
    """What a command did: the new budget, its events, new ledger entries and id references."""

    budget: Budget
    result: Any = None
    events: list[Emitted] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    """(entity id, kind) pairs, so a project or allocation id finds its budget."""
    changed: bool = True
