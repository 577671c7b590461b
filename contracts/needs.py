"""Events of the needs context (published by intake)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

NEED_SUBMITTED = event_type("needs", "NeedSubmitted", 1)
NEED_STATUS_CHANGED = event_type("needs", "NeedStatusChanged", 1)
NEED_VALIDATED = event_type("needs", "NeedValidated", 1)
NEED_SUPPORTED = event_type("needs", "NeedSupported", 1)
NEEDS_MERGED = event_type("needs", "NeedsMerged", 1)
PERSON_ERASED = event_type("needs", "PersonErased", 1)
NEED_FEEDBACK_RECORDED = event_type("needs", "NeedFeedbackRecorded", 1)
NEED_REFERRED = event_type("needs", "NeedReferred", 1)

DESCRIPTION_MAX = 2000


class Sector(StrEnum):
    """The five CIP sectors."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    NATURAL_RESOURCES = "natural_resources"
    ADMINISTRATION_SECURITY = "administration_security"
    GENDER = "gender"


# Types of need within each CIP sector, defined once: intake validates against it and the PWA
# labels each type on its forms (gateway/web/needs.py).
NEED_TYPES: dict[Sector, tuple[str, ...]] = {
    Sector.ECONOMIC: ("road", "bridge", "irrigation", "market", "electricity", "agriculture", "other"),
    Sector.SOCIAL: (
        "water",
        "sanitation",
        "school",
        "health_post",
        "early_childhood",
        "personal_health",  # the health of a named person: its text is never public
        "other",
    ),
    Sector.NATURAL_RESOURCES: ("forest", "fisheries", "land", "waste", "climate_resilience", "other"),
    Sector.ADMINISTRATION_SECURITY: ("civil_registration", "safety", "public_service", "other"),
    Sector.GENDER: ("domestic_violence", "child_protection", "women_economic", "childcare", "other"),
}


class PlaceName(BaseModel):
    """A gazetteer name in Khmer script and in Latin letters."""

    model_config = ConfigDict(extra="forbid")

    km: str
    latin: str


class ContactChannel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    EMAIL = "email"
    FACEBOOK = "facebook"
    """Messenger, through a commune's Facebook Page: the address is ``<page id>:<PSID>``."""


class ContactPoint(BaseModel):
    """How to reach a person who raised a need and agreed to be told about it."""

    model_config = ConfigDict(extra="forbid")

    channel: ContactChannel
    address: str = Field(
        min_length=1,
        max_length=200,
        description="Phone number, Telegram chat id, e-mail, or <page id>:<PSID> (Facebook)",
    )
    language: str = Field(default="km", pattern=r"^(km|en)$")


class NeedStatus(StrEnum):
    """A need's lifecycle: every transition is recorded with who, when and why."""

    SUBMITTED = "submitted"
    VALIDATED = "validated"
    PRIORITISED = "prioritised"
    IN_CIP = "in_cip"
    FUNDED = "funded"
    PARTLY_FUNDED = "partly_funded"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    IN_IMPLEMENTATION = "in_implementation"
    COMPLETED = "completed"
    VERIFIED = "verified"
    MERGED = "merged"
    REFERRED = "referred"  # not the commune's competence: sent to the district, a department or an NGO


class ReferralTarget(StrEnum):
    """Where a council sends a need that is not the commune's to solve."""

    DISTRICT = "district"
    LINE_DEPARTMENT = "line_department"
    NGO = "ngo"


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
    need_type: str | None = Field(
        default=None,
        max_length=40,
        description="Type within the sector; a sensitive kind's text is never public (contracts/privacy.py)",
    )
    collected_by: str = Field(description="Account id of the facilitator who recorded it")
    submitted_at: datetime
    contacts: list[ContactPoint] = Field(
        default_factory=list,
        description="People who raised the need and consented to hear about it (receipts, outcomes)",
    )
    groups: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Groups among the people who raised it (women, disability, migrant...), as flags "
        "with no person attached, for aggregates; null when nobody's groups were recorded (unknown, "
        "never 'none')",
    )


class NeedStatusChangedV1(BaseModel):
    """A need moved in its lifecycle. ``reason`` is always present for deferred and rejected."""

    model_config = ConfigDict(extra="forbid", title="NeedStatusChanged v1")

    need_id: str
    tracking_code: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    village_code: str = Field(pattern=r"^\d{8}$")
    previous: NeedStatus
    status: NeedStatus
    reason: str | None = Field(default=None, max_length=2000)
    actor: str = Field(description="Account id, or the service that decided (e.g. budget)")
    changed_at: datetime


class NeedValidatedV1(BaseModel):
    """The council (or village chief) confirmed a need is real and belongs to the commune."""

    model_config = ConfigDict(extra="forbid", title="NeedValidated v1")

    need_id: str
    tracking_code: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    village_code: str = Field(pattern=r"^\d{8}$")
    validated_by: str
    reason: str | None = None
    validated_at: datetime


class NeedSupportedV1(BaseModel):
    """More people have this need too. Counts only; contacts of those who asked to be told."""

    model_config = ConfigDict(extra="forbid", title="NeedSupported v1")

    need_id: str
    tracking_code: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    people_added: int = Field(ge=1)
    people_total: int = Field(ge=1, description="Everyone who raised or supports the need")
    contacts: list[ContactPoint] = Field(default_factory=list)
    supported_at: datetime


class NeedsMergedV1(BaseModel):
    """A duplicate was merged into a surviving need; both tracking codes keep working."""

    model_config = ConfigDict(extra="forbid", title="NeedsMerged v1")

    survivor_id: str
    survivor_tracking_code: str
    merged_id: str
    merged_tracking_code: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    reason: str
    merged_by: str
    merged_at: datetime


Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
CommuneCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class PersonErasedV1(BaseModel):
    """A person asked for their personal data to be erased; every service erases its copies.

    Published once, on the national partition (commune code ``000000``), by intake after it
    erased its own. The event carries no personal data: the person's contact points and name
    travel as keyed digests (HMAC-SHA256 under a key derived from the secret the services
    share, see ``services.runtime.erasure``) that each service compares with digests of what it
    holds. Anonymous counts (people, women, IDPoor...) stay everywhere.
    """

    model_config = ConfigDict(extra="forbid", title="PersonErased v1")

    erasure_id: str = Field(description="Intake's id of the erasure (a UUIDv7)")
    contact_digests: list[Digest] = Field(
        default_factory=list,
        max_length=200,
        description="Digests of the person's contact points: those given, and those found by name",
    )
    name_digests: list[Digest] = Field(
        default_factory=list, max_length=5, description="Digests of the person's name as written"
    )
    need_ids: list[str] = Field(
        default_factory=list, description="Needs the person raised or supports (ids, not personal)"
    )
    commune_codes: list[CommuneCode] = Field(
        default_factory=list, description="Communes where names are matched: those of the needs found"
    )
    requested_by: str = Field(description="Account id of the administrator who carried it out")
    erased_at: datetime


class NeedFeedbackRecordedV1(BaseModel):
    """Someone who raised a completed need said how well it was done. No comment, no person:
    budget counts these per project for the public verification summary."""

    model_config = ConfigDict(extra="forbid", title="NeedFeedbackRecorded v1")

    need_id: str
    answered_for: str = Field(
        max_length=20,
        description="The tracking code the answer came with (a merged need's own): one answer each, "
        "a later answer with the same code replaces the earlier",
    )
    commune_code: str = Field(pattern=r"^\d{6}$")
    satisfied: bool
    rating: int | None = Field(default=None, ge=1, le=5, description="1 (bad) to 5 (very good), if given")
    channel: str = Field(pattern=r"^[a-z_]{2,20}$", description="track_page, sms, telegram or staff")
    recorded_at: datetime


class NeedReferredV1(BaseModel):
    """The council referred a need outside the commune (as at the District Integration Workshop).

    Carries no personal data: who raised it stays in intake. The citizen hears of it through the
    NeedStatusChanged (status ``referred``) published with it.
    """

    model_config = ConfigDict(extra="forbid", title="NeedReferred v1")

    need_id: str
    tracking_code: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    district_code: str = Field(pattern=r"^\d{4}$", description="The district of the commune")
    village_code: str = Field(pattern=r"^\d{8}$")
    sector: Sector | None = None
    need_type: str | None = Field(default=None, max_length=40)
    people: int = Field(ge=0, description="Everyone who raised or supports it")
    target: ReferralTarget
    target_name: str = Field(min_length=1, max_length=200, description="The office, department or NGO")
    reason: str = Field(min_length=1, max_length=2000)
    referred_by: str
    referred_at: datetime


SPECS = (
    EventSpec(NEED_SUBMITTED, NeedSubmittedV1, "intake"),
    EventSpec(NEED_STATUS_CHANGED, NeedStatusChangedV1, "intake"),
    EventSpec(NEED_VALIDATED, NeedValidatedV1, "intake"),
    EventSpec(NEED_SUPPORTED, NeedSupportedV1, "intake"),
    EventSpec(NEEDS_MERGED, NeedsMergedV1, "intake"),
    EventSpec(PERSON_ERASED, PersonErasedV1, "intake"),
    EventSpec(NEED_FEEDBACK_RECORDED, NeedFeedbackRecordedV1, "intake"),
    EventSpec(NEED_REFERRED, NeedReferredV1, "intake"),
)
