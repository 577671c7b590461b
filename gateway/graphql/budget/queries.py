"""Reading a budget, a project, and the public transparency view."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.clients import Caller, ServiceError
from gateway.graphql.budget.projects import Budget, Project
from gateway.graphql.budget.transparency import Transparency
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.identity.callers import public_identity


@strawberry.type
class BudgetQuery:
    @strawberry.field(description="A commune's budget for a fiscal year (signed-in people of that commune).")
    async def budget(self, info: Info[Context, None], commune_code: str, year: int) -> Budget:
        info.context.require_caller()
        return Budget.of(await info.context.clients.budget.budget(info.context.caller, commune_code, year))

    @strawberry.field(description="A CIP project with its allocations and ledger, or null.")
    async def project(self, info: Info[Context, None], id: strawberry.ID) -> Project | None:
        info.context.require_caller()
        try:
            found = await info.context.clients.budget.project(info.context.caller, raw_id("Project", id))
        except ServiceError as error:
            if error.code == "budget.not_found":
                return None
            raise
        return Project.of(found)

    @strawberry.field(
        description="Public, no sign-in: a commune's lines with allocated, spent and remaining, the CCWC "
        "line on its own, funded needs with their status, deferred and rejected needs with their reasons."
    )
    async def transparency(self, info: Info[Context, None], commune_code: str, year: int) -> Transparency:
        caller = Caller(public_identity(commune_code), info.context.lang)
        return Transparency.of(await info.context.clients.budget.transparency(caller, commune_code, year))
