"""What the gateway and intake exchange over HTTP: request and answer models, used on both sides
(intake's routes declare them, so its OpenAPI is generated from them; gateway/clients/intake.py reads
its answers into them). One module per concept; everything is named here too."""

from __future__ import annotations

from contracts.api.intake.drafts import ConfirmIn, DismissIn, Draft
from contracts.api.intake.erasure import ErasureDone
from contracts.api.intake.needs import (
    Feedback,
    FeedbackIn,
    MergeIn,
    NeedBase,
    NeedCreate,
    NeedPage,
    NeedView,
    PublicNeed,
    ReferralNote,
    ReservedCodes,
    ReserveIn,
    StatusStep,
    TrackedNeed,
    ValidateIn,
)
from contracts.api.intake.people import Attributes, AttributesIn, ConsentRecord, PersonIn, PersonRecord
from contracts.api.intake.places import (
    CommunePublic,
    GazetteerPublic,
    PlaceCounts,
    PlacePublic,
    VillagePublic,
)
from contracts.api.intake.populations import (
    CommunePopulations,
    PopulationIn,
    PopulationRow,
    PopulationsIn,
    Share,
)
from contracts.api.intake.referrals import ReferIn, ReferralPage, ReferredNeed, RejectIn
from contracts.api.intake.stats import NeedStats, StatsCell

__all__ = [
    "Attributes",
    "AttributesIn",
    "CommunePopulations",
    "CommunePublic",
    "ConfirmIn",
    "ConsentRecord",
    "DismissIn",
    "Draft",
    "ErasureDone",
    "Feedback",
    "FeedbackIn",
    "GazetteerPublic",
    "MergeIn",
    "NeedBase",
    "NeedCreate",
    "NeedPage",
    "NeedStats",
    "NeedView",
    "PersonIn",
    "PersonRecord",
    "PlaceCounts",
    "PlacePublic",
    "PopulationIn",
    "PopulationRow",
    "PopulationsIn",
    "PublicNeed",
    "ReferIn",
    "ReferralNote",
    "ReferralPage",
    "ReferredNeed",
    "RejectIn",
    "ReserveIn",
    "ReservedCodes",
    "Share",
    "StatsCell",
    "StatusStep",
    "TrackedNeed",
    "ValidateIn",
    "VillagePublic",
]
