"""``node(id)``: fetch anything again by its global id, with the same rules as its own query."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.graphql.budget import Project
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.identity import Account
from gateway.graphql.ids import Node, parse_global
from gateway.graphql.meetings import Meeting
from gateway.graphql.needs import Need


@strawberry.type
class NodeQuery:
    @strawberry.field(description="The object with this global id, if you may see it.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        ctx = info.context
        parsed = parse_global(str(id))
        if parsed is None:
            raise graphql_error("node.id_invalid", ctx.t("This is not a global id."), "id")
        kind, raw = parsed
        if kind == "Need":
            ctx.require_caller()
            return Need.of(await ctx.clients.intake.need(ctx.caller, raw))
        if kind == "Meeting":
            ctx.require_caller()
            return Meeting.of(await ctx.clients.meetings.meeting(ctx.caller, raw))
        if kind == "Project":
            ctx.require_caller()
            return Project.of(await ctx.clients.budget.project(ctx.caller, raw))
        if kind == "Account":
            found = await ctx.gateway.admin.visible_account(ctx.require_session().account, raw)
            return Account.of(found) if found else None
        return None


QUERIES: tuple[type, ...] = (NodeQuery,)
MUTATIONS: tuple[type, ...] = ()
SUBSCRIPTIONS: tuple[type, ...] = ()
