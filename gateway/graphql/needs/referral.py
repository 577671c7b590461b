"""Where a council sent a need that is not the commune's to solve."""

from __future__ import annotations

from datetime import datetime

import strawberry

from contracts.api.intake import ReferralNote
from gateway.graphql.needs.vocabulary import ReferralTarget


@strawberry.type(description="A need the council referred to the district, a line department or an NGO.")
class Referral:
    target: ReferralTarget = strawberry.field(description="district, line_department or ngo")
    name: str = strawberry.field(
        description="The office, department or organisation, as the council named it."
    )
    reason: str = strawberry.field(description="Why, in the council's words (the citizen is told).")
    at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def of(cls, note: ReferralNote | None) -> Referral | None:
        if note is None:
            return None
        return cls(target=note.target, name=note.name, reason=note.reason, at=note.at)
