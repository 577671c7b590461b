"""Where a council sent a need that is not the commune's to solve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gateway.schema.needs.vocabulary import ReferralTarget


@strawberry.type(description="A need the council referred to the district, a line department or an NGO.")
class Referral:
    target: ReferralTarget = strawberry.field(description="district, line_department or ngo")
    name: str = strawberry.field(
        description="The office, department or organisation, as the council named it."
    )
    reason: str = strawberry.field(description="Why, in the council's words (the citizen is told).")
    at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Referral | None:
        if not data:
            return None
        return cls(
            target=ReferralTarget(data["target"]),
            name=data["name"],
            reason=data["reason"],
            at=datetime.fromisoformat(data["at"]),
        )
