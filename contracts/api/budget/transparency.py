"""GET /transparency/{commune}/{year}: the public view of a commune's budget. No personal data:
no tracking codes, no payees, sensitive needs by their category only."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.api.budget.works import Works
from contracts.budget import BudgetLineKind, ExchangeRate, ProjectStage, ProjectStatus
from contracts.needs import PlaceName, Sector


class PublicLine(BaseModel):
    kind: BudgetLineKind
    amount: int
    allocated: int
    spent: int
    remaining: int
    exchange_rate: ExchangeRate | None = None


class PublicTotals(BaseModel):
    amount: int
    allocated: int
    spent: int
    remaining: int


class PublicNeed(BaseModel):
    """A need and what became of it."""

    tracking_code: None = None
    description: str | None = None
    sector: Sector | None = None
    village_code: str | None = None
    village_name: PlaceName | None = None
    status: ProjectStatus
    reason: str | None = None
    project_title: str
    rank: int | None = None
    allocated: int
    spent: int
    stage: ProjectStage | None = None
    expected_month: str | None = None


class PublicWorks(Works):
    """A project whose works began."""

    project_id: str
    project_title: str


class PublicRevision(BaseModel):
    line: BudgetLineKind
    previous_amount: int
    amount: int
    reason: str
    revised_at: datetime


class Transparency(BaseModel):
    commune_code: str
    year: int
    published: bool
    lines: list[PublicLine]
    ccwc: PublicLine | None = None
    totals: PublicTotals
    funded_needs: list[PublicNeed]
    planned_needs: list[PublicNeed]
    deferred_needs: list[PublicNeed]
    rejected_needs: list[PublicNeed]
    implementation: list[PublicWorks]
    revisions: list[PublicRevision]
