"""Events of the meetings context (published by meetings).

DecisionRecorded is defined first because intake and budget consume it: the prioritised needs
with their ranks (a commune prioritisation meeting) and the approved CIP list (a CIP approval).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

DECISION_RECORDED = event_type("meetings", "DecisionRecorded", 1)


class DecisionKind(StrEnum):
    PRIORITISATION = "prioritisation"
    """Needs ranked at a commune prioritisation meeting: intake marks them prioritised."""
    CIP_APPROVAL = "cip_approval"
    """The approved CIP list: intake marks those needs in CIP for the year."""
    OTHER = "other"


class RankedNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need_id: str
    rank: int = Field(ge=1, description="1 is the highest priority")


class DecisionRecordedV1(BaseModel):
    """A council decision recorded at a meeting."""

    model_config = ConfigDict(extra="forbid", title="DecisionRecorded v1")

    decision_id: str
    meeting_id: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    kind: DecisionKind
    year: int = Field(ge=2000, le=2100, description="The CIP year the decision is for")
    needs: list[RankedNeed] = Field(default_factory=list, description="Needs decided on, with ranks")
    summary: str | None = Field(default=None, max_length=2000)
    decided_by: str = Field(description="Account id of whoever recorded the decision")
    decided_at: datetime


SPECS = (EventSpec(DECISION_RECORDED, DecisionRecordedV1, "meetings"),)
