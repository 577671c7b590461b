"""Needs in GraphQL: record one (for now); intake holds the data and the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from contracts.needs import Sector
from gateway.clients import ServiceError
from gateway.schema.context import Context
from gateway.schema.errors import from_service

strawberry.enum(Sector, description="The five CIP sectors.")


@strawberry.type(description="A citizen's need, as its commune's council and facilitators see it.")
class Need:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    tracking_code: str = strawberry.field(description="The citizen's key to follow the need, e.g. ABCD-EFG.")
    commune_code: str = strawberry.field(description="Gazetteer code of the commune (6 digits).")
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    description: str = strawberry.field(description="What is needed, in Khmer or English.")
    sector: Sector | None = strawberry.field(description="CIP sector, if chosen.")
    status: str = strawberry.field(description="Where the need is in its lifecycle, e.g. submitted.")
    submitted_at: datetime = strawberry.field(description="When it was recorded (UTC).")

    @classmethod
    def of(cls, data: dict[str, Any]) -> Need:
        return cls(
            id=strawberry.ID(data["id"]),
            tracking_code=data["tracking_code"],
            commune_code=data["commune_code"],
            village_code=data["village_code"],
            description=data["description"],
            sector=Sector(data["sector"]) if data.get("sector") else None,
            status=data["status"],
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
        )


@strawberry.input(description="A need to record.")
class SubmitNeedInput:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    description: str = strawberry.field(description="What is needed (1 to 2,000 characters).")
    idempotency_key: str = strawberry.field(
        description="Made by the client once per need; a repeat returns the first need, never a second."
    )
    sector: Sector | None = strawberry.field(default=None, description="CIP sector.")


@strawberry.type
class NeedsMutation:
    @strawberry.mutation(description="Record a citizen's need. Returns it with its tracking code.")
    async def submit_need(self, info: Info[Context, None], input: SubmitNeedInput) -> Need:
        ctx = info.context
        session = ctx.require_csrf()
        body = {
            "village_code": input.village_code,
            "description": input.description,
            "sector": input.sector.value if input.sector else None,
            "idempotency_key": input.idempotency_key,
        }
        try:
            _, data = await ctx.gateway.services["intake"].request(
                "POST", "/needs", session.account.identity(), lang=ctx.lang, json=body
            )
        except ServiceError as exc:
            raise from_service(exc) from None
        return Need.of(data)


QUERIES: tuple[type, ...] = ()
MUTATIONS: tuple[type, ...] = (NeedsMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
