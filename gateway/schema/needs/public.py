"""What anyone with a tracking code may see of a need. No personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gateway.schema.needs.need import StatusChange
from gateway.schema.needs.referral import Referral
from gateway.schema.needs.vocabulary import PRIVATE_TEXT, NeedStatus, Sector


@strawberry.type(description="What anyone with the tracking code may see. No personal data.")
class PublicNeed:
    tracking_code: str = strawberry.field(description="The tracking code.")
    commune_code: str = strawberry.field(description="Gazetteer code of the commune.")
    village_code: str = strawberry.field(description="Gazetteer code of the village.")
    description: str = strawberry.field(
        description="What is needed; for a sensitive kind (child protection, violence, a person's health) "
        "only a note that the text is private (see `private`)."
    )
    sector: Sector | None = strawberry.field(description="CIP sector.")
    status: NeedStatus = strawberry.field(description="Where the need is in its lifecycle.")
    status_reason: str | None = strawberry.field(description="Why it has this status.")
    rank: int | None = strawberry.field(description="Priority rank, once prioritised.")
    year: int | None = strawberry.field(description="CIP year.")
    submitted_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    people: int = strawberry.field(description="How many people raised or support it.")
    history: list[StatusChange] = strawberry.field(description="Its story, step by step.")
    merged_into: PublicNeed | None = strawberry.field(description="The need it was merged into, if any.")
    private: bool = strawberry.field(
        default=False, description="A sensitive kind of need: only its category is public, never its text."
    )
    referral: Referral | None = strawberry.field(
        default=None, description="Where the council referred it, when its status is referred."
    )

    @classmethod
    def of(cls, data: dict[str, Any], survivor: dict[str, Any] | None = None) -> PublicNeed:
        return cls(
            tracking_code=data["tracking_code"],
            commune_code=data["commune_code"],
            village_code=data["village_code"],
            description=data["description"] if data["description"] is not None else PRIVATE_TEXT,
            private=data["description"] is None,
            sector=Sector(data["sector"]) if data.get("sector") else None,
            status=NeedStatus(data["status"]),
            status_reason=data.get("status_reason"),
            rank=data.get("rank"),
            year=data.get("year"),
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
            people=data["people"],
            history=[StatusChange.of(h) for h in data["history"]],
            merged_into=PublicNeed.of(survivor) if survivor else None,
            referral=Referral.of(data.get("referral")),
        )
