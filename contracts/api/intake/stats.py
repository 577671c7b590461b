"""A commune's inclusion aggregates: needs and people by village, sector, status and group."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatsCell(BaseModel):
    """Counts for one slice; group counts under 5 read "<5" outside the commune's council."""

    needs: int
    people: int
    groups: dict[str, int | str]
    unknown: dict[str, int | str] = Field(description="People not known to be in each group or not")


class NeedStats(BaseModel):
    """GET /stats."""

    commune_code: str
    year: int | None = None
    privileged: bool = Field(description="Whether the caller sees the small counts")
    total: StatsCell
    by_village: dict[str, StatsCell]
    by_sector: dict[str, StatsCell]
    by_status: dict[str, StatsCell]
