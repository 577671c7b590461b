"""Villages' populations: the denominators that let "who is missing" say by how much."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway.schema.context import Context, segment


@strawberry.input(description="One village's figures for a year (aggregates, never about a person).")
class VillagePopulationInput:
    village_code: str
    year: int
    women: int
    men: int
    households: int
    idpoor_households: int
    indigenous_percent: int = strawberry.field(description="Share of indigenous people, 0 to 100.")


@strawberry.type(
    description="One village's population by sex, its households, IDPoor households, indigenous share."
)
class VillagePopulation:
    village_code: str
    year: int
    women: int
    men: int
    households: int
    idpoor_households: int
    indigenous_percent: int


@strawberry.type(description="A group's part of the commune's population: part of the whole.")
class PopulationShare:
    group: str = strawberry.field(
        description="women (of people), idpoor (households), indigenous (of people)"
    )
    part: int
    of: int


@strawberry.type(description="A commune's villages' populations and each group's share.")
class CommunePopulation:
    commune_code: str
    villages: list[VillagePopulation]
    shares: list[PopulationShare]

    @classmethod
    def of(cls, data: dict[str, Any]) -> CommunePopulation:
        keys = (
            "village_code",
            "year",
            "women",
            "men",
            "households",
            "idpoor_households",
            "indigenous_percent",
        )
        return cls(
            commune_code=data["commune_code"],
            villages=[VillagePopulation(**{k: row[k] for k in keys}) for row in data["rows"]],
            shares=[PopulationShare(group=g, part=s["part"], of=s["of"]) for g, s in data["shares"].items()],
        )


@strawberry.type
class PopulationQuery:
    @strawberry.field(
        description="The villages' populations of a commune you cover, with each group's share."
    )
    async def village_populations(self, info: Info[Context, None], commune_code: str) -> CommunePopulation:
        info.context.require_caller()
        path = f"/communes/{segment(commune_code[:6])}/populations"
        return CommunePopulation.of(await info.context.call("intake", "GET", path))


@strawberry.type
class PopulationMutation:
    @strawberry.mutation(
        description="Council: record villages' populations (all rows or none; a wrong row is refused at "
        "rows.<n>.<field>)."
    )
    async def record_village_populations(
        self, info: Info[Context, None], commune_code: str, rows: list[VillagePopulationInput]
    ) -> CommunePopulation:
        info.context.require_write("write:needs")
        body = {"rows": [strawberry.asdict(r) for r in rows]}
        path = f"/communes/{segment(commune_code[:6])}/populations"
        return CommunePopulation.of(await info.context.call("intake", "PUT", path, json=body))
