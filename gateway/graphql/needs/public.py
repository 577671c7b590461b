"""What anyone with a tracking code may see of a need. No personal data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from contracts.api.intake import PublicNeed as PublicNeedView
from gateway.graphql.needs.need import StatusChange
from gateway.graphql.needs.referral import Referral
from gateway.graphql.needs.vocabulary import PRIVATE_TEXT, NeedStatus, Sector


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
    def of(cls, need: PublicNeedView, survivor: PublicNeedView | None = None) -> PublicNeed:
        return cls(
            tracking_code=need.tracking_code,
            commune_code=need.commune_code,
            village_code=need.village_code,
            description=need.description if need.description is not None else PRIVATE_TEXT,
            private=need.description is None,
            sector=need.sector,
            status=need.status,
            status_reason=need.status_reason,
            rank=need.rank,
            year=need.year,
            submitted_at=need.submitted_at,
            people=need.people,
            history=[StatusChange.of(h) for h in need.history],
            merged_into=PublicNeed.of(survivor) if survivor else None,
            referral=Referral.of(need.referral),
        )
