"""Villages' populations: the denominators that let "who is missing" say by how much."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from contracts.api.intake import CommunePopulations, PopulationIn, PopulationsIn
from gateway.graphql.context import Context


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
    def of(cls, found: CommunePopulations) -> CommunePopulation:
        return cls(
            commune_code=found.commune_code,
            villages=[
                VillagePopulation(
                    village_code=row.village_code,
                    year=row.year,
                    women=row.women,
                    men=row.men,
                    households=row.households,
                    idpoor_households=row.idpoor_households,
                    indigenous_percent=row.indigenous_percent,
                )
                for row in found.rows
            ],
            shares=[PopulationShare(group=g, part=s.part, of=s.of) for g, s in found.shares.items()],
        )


@strawberry.type
class PopulationQuery:
    @strawberry.field(
        description="The villages' populations of a commune you cover, with each group's share."
    )
    async def village_populations(self, info: Info[Context, None], commune_code: str) -> CommunePopulation:
        info.context.require_caller()
        found = await info.context.clients.intake.populations(info.context.caller, commune_code[:6])
        return CommunePopulation.of(found)


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
        rows_in = [
            PopulationIn.model_construct(
                village_code=r.village_code,
                year=r.year,
                women=r.women,
                men=r.men,
                households=r.households,
                idpoor_households=r.idpoor_households,
                indigenous_percent=r.indigenous_percent,
            )
            for r in rows
        ]
        body = PopulationsIn.model_construct(rows=rows_in)
        intake = info.context.clients.intake
        found = await intake.record_populations(info.context.caller, commune_code[:6], body)
        return CommunePopulation.of(found)
