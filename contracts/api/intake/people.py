"""Who raised or supports a need, as the gateway sends them to intake and as intake shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.inclusion import AgeBand, ConsentMethod, MigrantStatus, Severity, Sex, WgAnswer, WgDomain
from contracts.needs import ContactPoint


class AttributesIn(BaseModel):
    """One consenting person's answers; leave out what was not asked (unknown, never "no")."""

    model_config = ConfigDict(extra="forbid")

    sex: Sex | None = None
    age_band: AgeBand | None = None
    disability: Severity | None = Field(default=None, description="Deprecated: use wg")
    idpoor_level: int | None = Field(default=None, description="1 or 2; 0 when not an IDPoor household")
    indigenous_group: str | None = Field(
        default=None, max_length=100, description="A listed people (any spelling), none, or other"
    )
    indigenous_other: str | None = Field(default=None, max_length=100)
    migrant_status: MigrantStatus | None = None
    wg: dict[WgDomain, WgAnswer] | None = Field(default=None, description="Washington Group short set")


class PersonIn(BaseModel):
    """Who raised (or supports) a need. Details other than counts need ``consent``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "group"] = "person"
    name: str | None = Field(default=None, max_length=200)
    attributes: AttributesIn | None = None
    consent: ConsentMethod | None = None
    contact: ContactPoint | None = None
    people: int | None = None
    groups: dict[str, int] | None = None


class Attributes(BaseModel):
    """A person's answers as kept (standardised; only what was answered)."""

    sex: Sex | None = None
    age_band: AgeBand | None = None
    disability: Severity | None = Field(default=None, description="Records from before the WG questions")
    idpoor_level: int | None = None
    indigenous_group: str | None = None
    indigenous_other: str | None = None
    migrant_status: MigrantStatus | None = None
    wg: dict[str, str] | None = None
    wg_any_domain: str | None = Field(default=None, description="A WG answer whose domain was not kept")


class ConsentRecord(BaseModel):
    method: ConsentMethod
    recorded_by: str
    recorded_at: datetime


class Erased(BaseModel):
    """This person's details were erased on request: only the counts are left."""

    erasure_id: str
    at: datetime


class PersonRecord(BaseModel):
    """One raiser or supporter, for the commune's council only."""

    kind: Literal["person", "group"]
    people: int
    groups: dict[str, int] = Field(description="People per group they are known to be in")
    known: dict[str, int] | None = Field(default=None, description="People per group whose answer is known")
    name: str | None = None
    attributes: Attributes | None = None
    consent: ConsentRecord | None = None
    contact: ContactPoint | None = None
    added_by: str | None = Field(default=None, description="Supporters: who recorded them")
    added_at: datetime | None = None
    merged_from: str | None = Field(default=None, description="The merged need this record came from")
    erased: Erased | None = None
