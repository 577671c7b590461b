"""What the gateway and oversight exchange over HTTP: request and answer models, used on both sides
(oversight's routes declare them, so its OpenAPI is generated from them; gateway/clients/oversight.py reads
its answers into them).

Counts of people in a sensitive group read "<5" when small (contracts/privacy.py): such a count is
a :data:`Shown`, a whole number or that mark.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from contracts.needs import NeedStatus

Shown = int | Literal["<5"]
"""A count of people of a group as readers outside the commune's council see it."""

RowLevel = Literal["province", "district", "commune"]


class OversightNeeds(BaseModel):
    total: int
    by_status: dict[NeedStatus, int]
    by_sector: dict[str, int] = Field(description="Per CIP sector, and unknown when none was given")
    by_group: dict[str, Shown] = Field(description="Needs raised by someone of each group")
    group_unknown: int = Field(description="Needs whose raisers' groups were never recorded")


class OversightMeetings(BaseModel):
    announced: int
    held: int
    held_with_notice: int = Field(description="Held, and announced at least 7 days before")
    cancelled: int
    isaf_held: int = Field(description="ISAF interface meetings held")
    attendance: dict[str, Shown] = Field(
        description="People who came to held meetings: in all, remotely, by group"
    )


class OversightBudget(BaseModel):
    """In whole riel."""

    available: int
    allocated: int
    committed: int
    spent: int
    execution_percent: int | None = Field(description="Spent as a whole percent of allocated; null with none")


class OversightChecks(BaseModel):
    """Community checks of finished projects (scores 1 to 5, averaged) and citizens' answers."""

    verified: int = Field(description="Completed needs that citizens checked")
    isaf_meetings_held: int
    checks: int
    participants: int
    participants_by_group: dict[str, Shown]
    built: float | None = None
    works: float | None = None
    used: float | None = None
    answers: int
    satisfied: int
    rating: float | None = None


class OversightFigures(BaseModel):
    """A place's figures for one year."""

    needs: OversightNeeds
    meetings: OversightMeetings
    budget: OversightBudget
    referrals_received: int
    community_check: OversightChecks


class OversightRow(OversightFigures):
    """One place in a comparison."""

    code: str = Field(description="Gazetteer code: 2 digits a province, 4 a district, 6 a commune")


class OversightView(BaseModel):
    """GET /views: a place's figures and its child places side by side."""

    unit: str | None = Field(description="The place compared; null: the country, or the caller's places")
    year: int
    total: OversightFigures
    rows: list[OversightRow]
