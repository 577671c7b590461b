"""Meetings' HTTP API. For now: the agenda candidates of a commune."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.runtime.errors import DomainError
from services.runtime.identity import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["agenda"])


class AgendaCandidate(BaseModel):
    id: str
    commune_code: str
    village_code: str
    tracking_code: str
    description: str
    sector: str | None
    submitted_at: str


@router.get("/agenda-candidates", response_model=list[AgendaCandidate])
async def agenda_candidates(
    commune: Annotated[str, Query(pattern=r"^\d{6}$")],
    caller: CallerDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[AgendaCandidate]:
    if not caller.covers(commune):
        raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)
    docs = await runtime.store.page("agenda_candidates", {"commune_code": commune}, limit=limit)
    return [AgendaCandidate.model_validate(d) for d in docs]
