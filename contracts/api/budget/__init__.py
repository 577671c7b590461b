"""What the gateway and budget exchange over HTTP: request and answer models, used on both sides
(budget's routes declare them, so its OpenAPI is generated from them; gateway/clients/budget.py reads
its answers into them). One module per concept: ``lines`` (lines, revisions), ``money``
(allocations, the ledger), ``projects`` (projects, the council's view of a year), ``works``
(stages, community checks, photos) and ``transparency`` (the public view)."""

from __future__ import annotations

from contracts.api.budget.lines import Line, LineIn, RevisedLine, Revision, RevisionIn, Totals
from contracts.api.budget.money import (
    Allocation,
    AllocationChange,
    AllocationIn,
    ExpenditureIn,
    LedgerEntry,
    ReleaseIn,
)
from contracts.api.budget.projects import (
    Approval,
    ApprovedNeed,
    Budget,
    DecisionIn,
    ExpectedMonthIn,
    Project,
    ProjectIn,
    ProjectNeed,
    ProjectWithLedger,
)
from contracts.api.budget.transparency import (
    PublicLine,
    PublicNeed,
    PublicRevision,
    PublicTotals,
    PublicWorks,
    Transparency,
)
from contracts.api.budget.works import (
    CheckAverages,
    CheckIn,
    CommunityCheck,
    GroupScore,
    Photo,
    ScoreBody,
    StageIn,
    StageRecord,
    Verification,
    Works,
)
from contracts.budget import ExchangeRate

__all__ = [
    "Allocation",
    "AllocationChange",
    "AllocationIn",
    "Approval",
    "ApprovedNeed",
    "Budget",
    "CheckAverages",
    "CheckIn",
    "CommunityCheck",
    "DecisionIn",
    "ExchangeRate",
    "ExpectedMonthIn",
    "ExpenditureIn",
    "GroupScore",
    "LedgerEntry",
    "Line",
    "LineIn",
    "Photo",
    "Project",
    "ProjectIn",
    "ProjectNeed",
    "ProjectWithLedger",
    "PublicLine",
    "PublicNeed",
    "PublicRevision",
    "PublicTotals",
    "PublicWorks",
    "ReleaseIn",
    "RevisedLine",
    "Revision",
    "RevisionIn",
    "ScoreBody",
    "StageIn",
    "StageRecord",
    "Totals",
    "Transparency",
    "Verification",
    "Works",
]
