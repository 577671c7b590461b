"""Reading a budget, a project, and the public transparency view."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from gateway.callers import public_identity
from gateway.schema.budget.projects import Budget, Project
from gateway.schema.budget.riel import call
from gateway.schema.budget.transparency import Transparency
from gateway.schema.context import Context, segment
from gateway.schema.ids import raw_id


@strawberry.type
class BudgetQuery:
    @strawberry.field(description="A commune's budget for a fiscal year (signed-in people of that commune).")
    async def budget(self, info: Info[Context, None], commune_code: str, year: int) -> Budget:
        identity = info.context.require_caller()
        data = await call(info, "GET", f"/budgets/{segment(commune_code)}/{year}", identity)
        return Budget.of(data)

    @strawberry.field(description="A CIP project with its allocations and ledger, or null.")
    async def project(self, info: Info[Context, None], id: strawberry.ID) -> Project | None:
        identity = info.context.require_caller()
        try:
            data = await call(info, "GET", f"/projects/{segment(raw_id('Project', id))}", identity)
        except GraphQLError as error:
            if (error.extensions or {}).get("code") == "budget.not_found":
                return None
            raise
        return Project.of(data)

    @strawberry.field(
        description="Public, no sign-in: a commune's lines with allocated, spent and remaining, the CCWC "
        "line on its own, funded needs with their status, deferred and rejected needs with their reasons."
    )
    async def transparency(self, info: Info[Context, None], commune_code: str, year: int) -> Transparency:
        data = await call(
            info, "GET", f"/transparency/{segment(commune_code)}/{year}", public_identity(commune_code)
        )
        return Transparency.of(data)
