"""Events of the budget context (published by budget).

ProjectStatusChanged is defined first because intake consumes it: a CIP project's money
decides its needs' fate (funded, partly funded, deferred or rejected, with the reason).

Money is whole riel as a JSON integer everywhere (never a float). A commune's fiscal year runs
January to December; ``year`` names it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

PROJECT_STATUS_CHANGED = event_type("budget", "ProjectStatusChanged", 1)
BUDGET_LINE_SET = event_type("budget", "BudgetLineSet", 1)
BUDGET_REVISED = event_type("budget", "BudgetRevised", 1)
ALLOCATION_MADE = event_type("budget", "AllocationMade", 1)
ALLOCATION_RELEASED = event_type("budget", "AllocationReleased", 1)
EXPENDITURE_RECORDED = event_type("budget", "ExpenditureRecorded", 1)
PROJECT_STAGE_SET = event_type("budget", "ProjectStageSet", 1)
COMMUNITY_CHECK_RECORDED = event_type("budget", "CommunityCheckRecorded", 1)
PROJECT_EXPECTED_MONTH_SET = event_type("budget", "ProjectExpectedMonthSet", 1)

_COMMUNE = r"^\d{6}$"
_REASON_MAX = 2000
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    FUNDED = "funded"
    PARTLY_FUNDED = "partly_funded"
    AT_RISK = "at_risk"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    IN_IMPLEMENTATION = "in_implementation"
    COMPLETED = "completed"


class ProjectStatusChangedV1(BaseModel):
    """A CIP project's status changed; ``reason`` is required for deferred and rejected."""

    model_config = ConfigDict(extra="forbid", title="ProjectStatusChanged v1")

    project_id: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    need_ids: list[str] = Field(description="The needs this project answers")
    previous: ProjectStatus | None = None
    status: ProjectStatus
    reason: str | None = Field(default=None, max_length=2000)
    changed_by: str
    changed_at: datetime
    title: str | None = Field(
        default=None, max_length=20_000, description="The project's title, so messages can name it"
    )
    expected_month: str | None = Field(
        default=None,
        pattern=_MONTH,
        description="The month (YYYY-MM) the council expects the project delivered, if it said",
    )


class BudgetLineKind(StrEnum):
    """The lines of a commune's budget (Commune/Sangkat Fund and the other sources)."""

    ADMINISTRATION = "administration"
    LOCAL_DEVELOPMENT = "local_development"
    CCWC = "ccwc"
    """The Commune Committee for Women and Children: shown on its own in the public view."""
    OWN_REVENUE = "own_revenue"
    PARTNER = "partner"
    """Funds from development partners (NGOs, donors)."""
    LINE_DEPARTMENT = "line_department"
    """Funds from provincial or district line departments."""
    ADDITIONAL_LOCAL_DEVELOPMENT = "additional_local_development"
    """The additional local-development fund."""


class ExpenditureStage(StrEnum):
    COMMITTED = "committed"
    """Money promised (a contract, an order): counts against the allocation."""
    PAID = "paid"
    """Money paid out; never more than was committed."""


class ProjectDecision(StrEnum):
    """What the council decides for a project it cannot fund now (its allocations go back)."""

    DEFER = "defer"
    REJECT = "reject"


class ExchangeRate(BaseModel):
    """A recorded riel-per-US-dollar rate, for showing a line in USD too. Riel stays the truth."""

    model_config = ConfigDict(extra="forbid")

    riel_per_usd: int = Field(ge=1, le=1_000_000)
    as_of: date


class BudgetLineSetV1(BaseModel):
    """A budget line was set for a commune's fiscal year (its first amount, or a new exchange rate)."""

    model_config = ConfigDict(extra="forbid", title="BudgetLineSet v1")

    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    line: BudgetLineKind
    amount: int = Field(ge=0, description="Whole riel")
    exchange_rate: ExchangeRate | None = None
    set_by: str
    set_at: datetime


class BudgetRevisedV1(BaseModel):
    """A line was cut or raised, always with a reason.

    ``uncovered`` is how many riel of existing allocations the new amount no longer covers;
    the projects holding them are ``at_risk_project_ids`` (lowest ranked first to fall out).
    """

    model_config = ConfigDict(extra="forbid", title="BudgetRevised v1")

    revision_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    line: BudgetLineKind
    previous_amount: int = Field(ge=0)
    amount: int = Field(ge=0)
    reason: str = Field(min_length=1, max_length=_REASON_MAX)
    uncovered: int = Field(ge=0)
    at_risk_project_ids: list[str] = Field(default_factory=list)
    revised_by: str
    revised_at: datetime


class AllocationMadeV1(BaseModel):
    """Money of a line was allocated to a CIP project, as a meeting decision approved."""

    model_config = ConfigDict(extra="forbid", title="AllocationMade v1")

    allocation_id: str
    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    line: BudgetLineKind
    amount: int = Field(ge=1)
    decision_id: str = Field(description="The DecisionRecorded (CIP approval) this allocation carries out")
    made_by: str
    made_at: datetime


class AllocationReleasedV1(BaseModel):
    """Part or all of an allocation went back to its line, with the reason."""

    model_config = ConfigDict(extra="forbid", title="AllocationReleased v1")

    allocation_id: str
    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    line: BudgetLineKind
    amount: int = Field(ge=1, description="Riel released")
    remaining: int = Field(ge=0, description="Riel still allocated")
    reason: str = Field(min_length=1, max_length=_REASON_MAX)
    released_by: str
    released_at: datetime


class ExpenditureRecordedV1(BaseModel):
    """An entry was appended to the budget's ledger. Entries are never edited: a correction is a
    reversing entry (``reverses`` names the original, ``amount`` is its negation)."""

    model_config = ConfigDict(extra="forbid", title="ExpenditureRecorded v1")

    entry_id: str
    allocation_id: str
    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    line: BudgetLineKind
    stage: ExpenditureStage
    amount: int = Field(description="Whole riel; negative only on a reversing entry")
    payee: str
    reference: str
    spent_on: date
    reverses: str | None = None
    reason: str | None = Field(default=None, max_length=_REASON_MAX)
    overrun_reason: str | None = Field(
        default=None,
        max_length=_REASON_MAX,
        description="Set when this entry takes spending past the allocation: the explicit overrun record",
    )
    recorded_by: str
    recorded_at: datetime


class ProjectStage(StrEnum):
    """Where a funded project's works stand, in the only order they can happen."""

    PROCUREMENT = "procurement"
    WORKS_STARTED = "works_started"
    COMPLETED = "completed"
    HANDED_OVER = "handed_over"


class ProjectStageSetV1(BaseModel):
    """The council recorded a funded project's next implementation stage.

    Stages come in order (procurement, works started, completed, handed over). The project's
    status follows: works started makes it ``in_implementation``, completed ``completed``; a
    ProjectStatusChanged is published too, so a consumer of statuses alone needs nothing new.
    """

    model_config = ConfigDict(extra="forbid", title="ProjectStageSet v1")

    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=200)
    need_ids: list[str] = Field(description="The needs this project answers")
    previous: ProjectStage | None = None
    stage: ProjectStage
    on: date = Field(description="The day the stage was reached (Asia/Phnom_Penh calendar)")
    note: str | None = Field(default=None, max_length=_REASON_MAX)
    photo_ref: str | None = Field(
        default=None, max_length=200, description="A reference to a photo kept by the commune (not the image)"
    )
    photo_id: str | None = Field(
        default=None,
        description="A photo of the stage kept by budget, without its location metadata (public)",
    )
    set_by: str
    set_at: datetime


class CheckScore(BaseModel):
    """One group's answers at a community check: how many took part and their 1-5 scores."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(pattern=r"^[a-z_]{2,20}$", description="e.g. women, disability, indigenous, migrant")
    participants: int = Field(ge=1, le=10_000)
    built: int = Field(ge=1, le=5, description="Was it built as planned? 1 (no) to 5 (fully)")
    works: int = Field(ge=1, le=5, description="Does it work? 1 (not at all) to 5 (well)")
    used: int = Field(ge=1, le=5, description="Is it used by the people it was for? 1 to 5")


class CommunityCheckRecordedV1(BaseModel):
    """A facilitator-led community check of a project (in the spirit of ISAF scorecards):
    scores by group, never names."""

    model_config = ConfigDict(extra="forbid", title="CommunityCheckRecorded v1")

    check_id: str
    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    need_ids: list[str]
    held_on: date
    scores: list[CheckScore] = Field(min_length=1)
    note: str | None = Field(default=None, max_length=_REASON_MAX)
    recorded_by: str
    recorded_at: datetime


class ProjectExpectedMonthSetV1(BaseModel):
    """The council set (or cleared, with null) the month it expects a project delivered.

    Its own event rather than a ProjectStatusChanged with an unchanged status: consumers of
    statuses (intake tells people of every status change) must not hear a change that is none.
    ProjectStatusChanged carries the month too, so a status message can name it.
    """

    model_config = ConfigDict(extra="forbid", title="ProjectExpectedMonthSet v1")

    project_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=200)
    need_ids: list[str] = Field(description="The needs this project answers")
    previous: str | None = Field(default=None, pattern=_MONTH)
    expected_month: str | None = Field(
        default=None, pattern=_MONTH, description="YYYY-MM, never before the project's year; null: cleared"
    )
    set_by: str
    set_at: datetime


SPECS = (
    EventSpec(PROJECT_STATUS_CHANGED, ProjectStatusChangedV1, "budget"),
    EventSpec(BUDGET_LINE_SET, BudgetLineSetV1, "budget"),
    EventSpec(BUDGET_REVISED, BudgetRevisedV1, "budget"),
    EventSpec(ALLOCATION_MADE, AllocationMadeV1, "budget"),
    EventSpec(ALLOCATION_RELEASED, AllocationReleasedV1, "budget"),
    EventSpec(EXPENDITURE_RECORDED, ExpenditureRecordedV1, "budget"),
    EventSpec(PROJECT_STAGE_SET, ProjectStageSetV1, "budget"),
    EventSpec(COMMUNITY_CHECK_RECORDED, CommunityCheckRecordedV1, "budget"),
    EventSpec(PROJECT_EXPECTED_MONTH_SET, ProjectExpectedMonthSetV1, "budget"),
)
