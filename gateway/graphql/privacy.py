"""Erasing a person's personal data on their request (national administrators only).

See gateway/erasure.py (shared with the admin page) and docs/security.md.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.clients import ServiceError
from gateway.erasure import erase_person
from gateway.graphql.context import Context
from gateway.graphql.errors import from_service


@strawberry.input(description="One of the person's contact points.")
class ErasureContactInput:
    channel: str = strawberry.field(description="sms, telegram or email")
    address: str = strawberry.field(description="Phone number (any usual form), Telegram chat id or e-mail")


@strawberry.input(
    description="Who to erase: their contact points (found everywhere), and/or their name as "
    "written on the needs whose tracking codes they give."
)
class ErasePersonInput:
    contacts: list[ErasureContactInput] = strawberry.field(default_factory=list)
    name: str | None = None
    tracking_codes: list[str] = strawberry.field(default_factory=list)


@strawberry.type(
    description="An erasure carried out. Intake's part is done; the other services finish theirs "
    "within seconds. Anonymous counts stay."
)
class Erasure:
    id: strawberry.ID
    people: int = strawberry.field(description="Raiser and supporter entries that lost their personal data")
    needs: int = strawberry.field(description="Needs those entries belong to")
    drafts: int = strawberry.field(description="Message drafts the person sent, deleted")


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="National administrators: erase one person's personal data (names, individual "
        "attributes, contact points, their messages) in every service. It cannot be undone."
    )
    async def erase_person(self, info: Info[Context, None], input: ErasePersonInput) -> Erasure:
        ctx = info.context
        actor = ctx.require_csrf().account  # people only: no API token may erase
        body = {
            "contacts": [{"channel": c.channel, "address": c.address} for c in input.contacts],
            "name": input.name,
            "tracking_codes": input.tracking_codes,
        }
        try:
            done = await erase_person(ctx.gateway, actor, body, ctx.lang)
        except ServiceError as exc:
            raise from_service(exc) from None
        return Erasure(id=done["id"], people=done["people"], needs=done["needs"], drafts=done["drafts"])


QUERIES: tuple[type, ...] = ()
MUTATIONS: tuple[type, ...] = (PrivacyMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
