"""Events of the needs context (published by intake)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

NEED_SUBMITTED = event_type("needs", "NeedSubmitted", 1)

DESCRIPTION_MAX = 2000


class Sector(StrEnum):
    """The five CIP sectors."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    NATURAL_RESOURCES = "natural_resources"
    ADMINISTRATION_SECURITY = "administration_security"
    GENDER = "gender"


class PlaceName(BaseModel):
    """A gazetteer name in Khmer script and in Latin letters."""

    model_config = ConfigDict(extra="forbid")

    km: str
    latin: str


class NeedSubmittedV1(BaseModel):
    """A citizen's need was recorded. Carries no personal data: who raised it stays in intake."""

    model_config = ConfigDict(extra="forbid", title="NeedSubmitted v1")

    need_id: str = Field(description="Intake's id of the need (a UUIDv7)")
    tracking_code: str = Field(
        pattern=r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$",
        description="The citizen's key to follow the need",
    )
    commune_code: str = Field(pattern=r"^\d{6}$")
    village_code: str = Field(pattern=r"^\d{8}$")
    village_name: PlaceName | None = Field(default=None, description="So consumers can say where")
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    sector: Sector | None = None
    collected_by: str = Field(description="Account id of the facilitator who recorded it")
    submitted_at: datetime


SPECS = (EventSpec(NEED_SUBMITTED, NeedSubmittedV1, "intake"),)
