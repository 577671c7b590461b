"""Events of the budget context (published by budget).

ProjectStatusChanged is defined first because intake consumes it: a CIP project's money
decides its needs' fate (funded, partly funded, deferred or rejected, with the reason).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

PROJECT_STATUS_CHANGED = event_type("budget", "ProjectStatusChanged", 1)


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


SPECS = (EventSpec(PROJECT_STATUS_CHANGED, ProjectStatusChangedV1, "budget"),)
