"""Villages' populations: the denominators a council records for its commune."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PopulationIn(BaseModel):
    """One village's figures for a year (aggregates, never about a person)."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    year: int
    women: int
    men: int
    households: int
    idpoor_households: int
    indigenous_percent: int


class PopulationsIn(BaseModel):
    """PUT /communes/{commune}/populations: all rows are stored, or none."""

    model_config = ConfigDict(extra="forbid")

    rows: list[PopulationIn] = Field(min_length=1, max_length=500)


class PopulationRow(BaseModel):
    commune_code: str
    village_code: str
    year: int
    women: int
    men: int
    households: int
    idpoor_households: int
    indigenous_percent: int
    updated_at: datetime


class Share(BaseModel):
    """A group's part of the commune's population: part of the whole."""

    part: int
    of: int


class CommunePopulations(BaseModel):
    """GET (and PUT) /communes/{commune}/populations."""

    commune_code: str
    rows: list[PopulationRow]
    shares: dict[str, Share] = Field(
        description="women (of people), idpoor (households), indigenous (of people)"
    )
    saved: int | None = Field(default=None, description="PUT only: how many rows were stored")
