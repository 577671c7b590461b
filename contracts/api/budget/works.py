"""After the money: a project's implementation stages, the community's checks of its works, what
citizens said of them, and a stage's photo."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from contracts.budget import ProjectStage

Note = Annotated[str | None, Field(default=None, max_length=20_000)]
# A number, or what a form sent instead: budget refuses anything but a whole number in range
# with a message naming the group and the answer.
Answer = StrictInt | Annotated[str, Field(max_length=10)]
# A small count of a sensitive group, hidden from callers outside the council
# (contracts.privacy.SUPPRESSED).
Count = int | Literal["<5"]


class StageIn(BaseModel):
    """POST /projects/{id}/stages: a funded project's next stage."""

    model_config = ConfigDict(extra="forbid")

    stage: ProjectStage
    on: date
    note: Note = None
    photo_ref: Annotated[str | None, Field(max_length=20_000)] = None
    photo: Annotated[str | None, Field(max_length=600_000)] = None
    """The photo's bytes in base64 (JPEG or PNG, at most 400 KB): stored without its metadata."""


class ScoreBody(BaseModel):
    """One group's answers at a community check, as sent."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(max_length=40)
    participants: Answer
    built: Answer
    works: Answer
    used: Answer


class CheckIn(BaseModel):
    """POST /projects/{id}/checks: a community check of completed works, by group."""

    model_config = ConfigDict(extra="forbid")

    held_on: date
    scores: list[ScoreBody] = Field(default_factory=list, max_length=20)
    note: Note = None


class StageRecord(BaseModel):
    """A stage a project reached."""

    stage: ProjectStage
    on: date
    note: str | None = None
    photo_ref: str | None = None
    photo_id: str | None = Field(default=None, description="The stage's photo kept by budget (public)")
    set_at: datetime


class GroupScore(BaseModel):
    """One group's answers; null scores where a small sensitive group is hidden."""

    group: str
    participants: Count
    built: int | None = None
    works: int | None = None
    used: int | None = None


class CommunityCheck(BaseModel):
    id: str
    held_on: date
    participants: int = Field(description="The largest group: groups overlap")
    scores: list[GroupScore]
    note: str | None = None


class CheckAverages(BaseModel):
    """The latest check's scores, weighted by participants (null before any check)."""

    built: float | None = None
    works: float | None = None
    used: float | None = None


class Verification(BaseModel):
    """What citizens and the community said of a project's works."""

    citizen_answers: int
    citizen_satisfied: int
    citizen_rating: float | None = None
    checks: list[CommunityCheck]
    latest_check: CheckAverages


class Works(BaseModel):
    """A project's implementation: the stage reached, the next one, and its verification."""

    stage: ProjectStage | None = None
    next_stage: ProjectStage | None = None
    stages: list[StageRecord]
    verification: Verification


class Photo(BaseModel):
    """GET /photos/{id} (public): a stage's photo, its metadata already removed."""

    content_type: str
    data: str = Field(description="The image's bytes in base64")
    project_id: str
