"""CIP projects and the council's view of a commune's year: creating a project, deciding on it,
its expected month, and what budget answers about them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.api.budget.lines import Amount, Commune, Line, Reason, Revision, Totals, Year
from contracts.api.budget.money import Allocation, LedgerEntry
from contracts.api.budget.works import Works
from contracts.budget import ProjectDecision, ProjectStatus
from contracts.needs import PlaceName, Sector

Month = Annotated[str | None, Field(max_length=100)]


class ProjectIn(BaseModel):
    """POST /projects: a CIP project answering needs of the commune."""

    model_config = ConfigDict(extra="forbid")

    commune_code: Commune
    year: Year
    title: Annotated[str | None, Field(max_length=20_000)] = None
    need_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=200)
    estimated_cost: Amount
    expected_month: Month = None


class DecisionIn(BaseModel):
    """POST /projects/{id}/decision: defer or reject, with the reason its needs' people are told."""

    model_config = ConfigDict(extra="forbid")

    decision: ProjectDecision
    reason: Reason = None


class ExpectedMonthIn(BaseModel):
    """PUT /projects/{id}/expected-month."""

    model_config = ConfigDict(extra="forbid")

    expected_month: Month = None
    """``YYYY-MM`` (Khmer digits too); empty or null clears it."""


class ProjectNeed(BaseModel):
    """A need as budget learned it from intake (nulls for a need it has not heard of)."""

    id: str
    tracking_code: str | None = None
    description: str | None = None
    village_code: str | None = None
    village_name: PlaceName | None = None
    sector: Sector | None = None


class ApprovedNeed(ProjectNeed):
    """A need of the latest CIP approval, with its rank and the live project answering it."""

    rank: int
    project_id: str | None = None


class Project(Works):
    """A CIP project with its money and its works (answer of every project command)."""

    id: str
    commune_code: str
    year: int
    title: str
    need_ids: list[str]
    needs: list[ProjectNeed]
    estimated_cost: int
    rank: int | None = None
    status: ProjectStatus
    reason: str | None = Field(default=None, description="Why, when deferred, rejected or at risk")
    allocated: int
    committed: int
    paid: int
    allocations: list[Allocation]
    created_at: datetime
    expected_month: str | None = Field(default=None, description="YYYY-MM")


class ProjectWithLedger(Project):
    """GET /projects/{id}: the project and its ledger entries, oldest first."""

    ledger: list[LedgerEntry]


class Approval(BaseModel):
    """A CIP approval decision, as budget learned it from meetings."""

    id: str
    meeting_id: str | None = None
    decided_at: datetime
    need_count: int


class Budget(BaseModel):
    """GET /budgets/{commune}/{year}: the council's view of a commune's year."""

    commune_code: str
    year: int
    version: int = Field(description="Changes with every saved change (0: nothing saved yet)")
    lines: list[Line]
    totals: Totals
    projects: list[Project]
    revisions: list[Revision]
    approvals: list[Approval] = Field(description="Latest first")
    approved_needs: list[ApprovedNeed] = Field(description="The latest approval's needs, by rank")
