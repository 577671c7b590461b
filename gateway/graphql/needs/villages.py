"""Villages of the national gazetteer, loaded in batches and cached (they change rarely)."""

from __future__ import annotations

import strawberry
from strawberry.dataloader import DataLoader

from contracts.api.intake import VillagePublic
from gateway.cache import TimedCache
from gateway.graphql.context import Context


@strawberry.type(description="A village of the national gazetteer.")
class Village:
    code: str = strawberry.field(description="Gazetteer code (8 digits).")
    name_km: str = strawberry.field(description="Name in Khmer script.")
    name_latin: str = strawberry.field(description="Name in Latin letters.")
    commune_code: str = strawberry.field(description="Its commune (6 digits).")
    commune_name_km: str = strawberry.field(description="The commune's name in Khmer script.")
    commune_name_latin: str = strawberry.field(description="The commune's name in Latin letters.")

    @classmethod
    def of(cls, village: VillagePublic) -> Village:
        return cls(
            code=village.code,
            name_km=village.name_km,
            name_latin=village.name_latin,
            commune_code=village.commune_code,
            commune_name_km=village.commune_name_km,
            commune_name_latin=village.commune_name_latin,
        )


# Gazetteer names are national reference data that intake loads at start and never edits:
# kept here an hour, a page of needs costs one call to intake rather than two.
_VILLAGES: TimedCache[Village] = TimedCache(ttl=3600.0, size=20_000)


def village_loader(ctx: Context) -> DataLoader[str, Village | None]:
    """One call to intake for the villages a page of needs mentions that are not known yet."""

    async def load(codes: list[str]) -> list[Village | None]:
        missing = [code for code in dict.fromkeys(codes) if _VILLAGES.get(code) is None]
        if missing:
            generation = _VILLAGES.generation
            for v in await ctx.clients.intake.villages_by_code(ctx.caller, missing):
                _VILLAGES.put(v.code, Village.of(v), generation)
        return [_VILLAGES.get(code) for code in codes]

    return ctx.loader("villages", load)
