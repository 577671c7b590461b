"""Villages' populations over HTTP: the council records its commune's figures (all villages of a
file at once, or none), and anyone covering the commune reads them with the commune's shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from contracts.api.intake import CommunePopulations, PopulationsIn
from services.intake.commands import unit_of_work
from services.intake.denominators import VillagePopulation, check_population, shares
from services.intake.domain import require_council
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Collection, Transaction

POPULATIONS = Collection("populations", indexes=("commune_code",))

router = APIRouter(tags=["populations"])
CommunePath = Annotated[str, Path(pattern=r"^\d{6}$")]


@router.put("/communes/{commune}/populations", response_model=CommunePopulations)
async def record_populations(
    commune: CommunePath, body: PopulationsIn, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """The council records its villages' figures; one wrong row and nothing is stored."""
    require_council(caller, commune)
    now = datetime.now(UTC).isoformat()
    # The gazetteer's villages, retired ones included (old figures may name them).
    villages = {doc["id"] async for doc in runtime.store.iterate("villages", {"commune_code": commune})}

    async def change(tx: Transaction) -> int:
        for i, row in enumerate(body.rows):
            checked = check_population(VillagePopulation(**row.model_dump()), f"rows.{i}", villages)
            doc = {
                "id": checked.village_code,
                "commune_code": commune,
                **row.model_dump(),
                "updated_by": caller.user_id,
                "updated_at": now,
            }
            existing = await tx.get("populations", checked.village_code)
            if existing is None:
                await tx.insert("populations", doc)
            else:
                await tx.replace("populations", doc, expected_version=existing["version"])
        return len(body.rows)

    saved = await unit_of_work(runtime).run(change)
    return await _read(runtime, commune) | {"saved": saved}


@router.get("/communes/{commune}/populations", response_model=CommunePopulations)
async def read_populations(commune: CommunePath, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    if caller.is_public or not caller.covers(commune):
        raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)
    return await _read(runtime, commune)


async def _read(runtime: Runtime, commune: str) -> dict[str, Any]:
    rows = [
        {k: v for k, v in doc.items() if k not in ("version", "id", "updated_by")}
        async for doc in runtime.store.iterate("populations", {"commune_code": commune})
    ]
    return {"commune_code": commune, "rows": rows, "shares": shares(rows)}
