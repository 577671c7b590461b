"""Needs: what the gateway sends to record and change one, and how intake shows it (to the
signed-in caller as they may see it, and to anyone with its tracking code)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from contracts.api.intake.people import PersonIn, PersonRecord
from contracts.budget import ProjectStage
from contracts.needs import NeedStatus, ReferralTarget, Sector

KEY_PATTERN = r"^[A-Za-z0-9_\-:.]+$"


class NeedCreate(BaseModel):
    """POST /needs."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    # The domain gives the friendly error for over-long text; this bound only stops abuse.
    description: str = Field(max_length=20_000)
    sector: Sector | None = None
    need_type: str | None = Field(default=None, max_length=40)
    beneficiaries: int | None = None
    channel: str = Field(default="village_meeting", max_length=40)
    collected_at: datetime | None = None
    raised_by: PersonIn | None = None
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=KEY_PATTERN)
    tracking_code: str | None = Field(
        default=None, max_length=40, description="A code reserved for the caller's phone, given offline"
    )


class ValidateIn(BaseModel):
    """POST /needs/{id}/validate."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class MergeIn(BaseModel):
    """POST /needs/merge."""

    model_config = ConfigDict(extra="forbid")

    survivor_id: str = Field(max_length=64)
    merged_id: str = Field(max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class FeedbackIn(BaseModel):
    """POST /public/need/feedback."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=40)
    satisfied: bool
    rating: StrictInt | None = None  # 1-5; the domain says what is wrong with others
    comment: str | None = Field(default=None, max_length=5000)
    secret: str | None = Field(
        default=None, max_length=20, description="The citizen's feedback code; required from the public"
    )


class ReserveIn(BaseModel):
    """POST /tracking-codes/reserve."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=20)


class ReservedCodes(BaseModel):
    codes: list[str]


class StatusStep(BaseModel):
    """One step in a need's story."""

    model_config = ConfigDict(populate_by_name=True)

    at: datetime
    from_: NeedStatus | None = Field(default=None, alias="from")
    to: NeedStatus
    reason: str | None = None
    source: str | None = Field(default=None, description="intake, council, meetings, budget or citizen")
    actor: str | None = Field(default=None, description="Who decided (only for the council and the recorder)")


class ReferralNote(BaseModel):
    """Where the council referred a need, in the council's words."""

    target: ReferralTarget
    name: str
    reason: str
    at: datetime


class Feedback(BaseModel):
    """A citizen's verdict on the completed need."""

    at: datetime
    satisfied: bool
    rating: int | None = None
    comment: str | None = None
    key: str | None = Field(
        default=None, description="Whose answer it is: a later one with the same key replaces it"
    )
    channel: str | None = None


class NeedBase(BaseModel):
    """What every audience sees of a need."""

    id: str
    tracking_code: str
    commune_code: str
    village_code: str
    description: str | None = Field(description="Null for a sensitive kind of need the caller may not read")
    sector: Sector | None = None
    need_type: str | None = None
    status: NeedStatus
    status_reason: str | None = None
    rank: int | None = None
    year: int | None = None
    submitted_at: datetime
    merged_into: str | None = None
    referral: ReferralNote | None = None
    people: int = Field(description="People who raised or support it")
    history: list[StatusStep]


class PublicNeed(NeedBase):
    """For anyone with the tracking code: no personal data."""

    stage: ProjectStage | None = Field(default=None, description="Where the works of its project stand")
    stage_on: date | None = None
    project_title: str | None = None
    answers: int = Field(default=0, description="Citizens' feedback answers")


class TrackedNeed(BaseModel):
    """GET /public/need: the need, and the need it was merged into."""

    need: PublicNeed
    survivor: PublicNeed | None = None


class NeedView(NeedBase):
    """For signed-in callers: the council of the need's commune sees everyone; others see counts."""

    beneficiaries: int | None = None
    channel: str | None = None
    collected_by: str
    collected_at: datetime | None = None
    groups: dict[str, int | str] = Field(description='People per group; "<5" outside the council')
    groups_unknown: dict[str, int | str] = Field(description="People not known to be in each group or not")
    merged_from: list[str] = []
    feedback: list[Feedback] = []
    personal_data_visible: bool
    raised_by: list[PersonRecord] | None = None
    supporters: list[PersonRecord] | None = None
    feedback_code: str | None = Field(
        default=None, description="Only in the answer that records the need: the citizen's feedback code"
    )


class NeedPage(BaseModel):
    """GET /needs: newest first."""

    items: list[NeedView]
    next_after: str | None = None
    total: int
