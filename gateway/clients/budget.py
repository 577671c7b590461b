"""The gateway's one typed client of the budget service (answers in contracts/api/budget/)."""

from __future__ import annotations

from contracts.api import budget as api
from gateway.clients.errors import segment
from gateway.clients.typed import Caller, TypedClient


class BudgetClient(TypedClient):
    """Every call the gateway makes to budget, each with its request and answer models."""

    async def budget(self, caller: Caller, commune_code: str, year: int) -> api.Budget:
        return await self.call(api.Budget, "GET", f"/budgets/{segment(commune_code)}/{year}", caller)

    async def project(self, caller: Caller, project_id: str) -> api.ProjectWithLedger:
        return await self.call(api.ProjectWithLedger, "GET", _project(project_id), caller)

    async def transparency(self, caller: Caller, commune_code: str, year: int) -> api.Transparency:
        path = f"/transparency/{segment(commune_code)}/{year}"
        return await self.call(api.Transparency, "GET", path, caller)

    async def photo(self, caller: Caller, photo_id: str) -> api.Photo:
        return await self.call(api.Photo, "GET", f"/photos/{segment(photo_id)}", caller)

    async def set_line(self, caller: Caller, body: api.LineIn) -> api.Line:
        return await self.call(api.Line, "POST", "/lines", caller, body=body)

    async def revise_line(self, caller: Caller, body: api.RevisionIn) -> api.RevisedLine:
        return await self.call(api.RevisedLine, "POST", "/revisions", caller, body=body)

    async def create_project(self, caller: Caller, body: api.ProjectIn) -> api.Project:
        return await self.call(api.Project, "POST", "/projects", caller, body=body)

    async def set_expected_month(
        self, caller: Caller, project_id: str, body: api.ExpectedMonthIn
    ) -> api.Project:
        path = f"{_project(project_id)}/expected-month"
        return await self.call(api.Project, "PUT", path, caller, body=body)

    async def decide_project(self, caller: Caller, project_id: str, body: api.DecisionIn) -> api.Project:
        path = f"{_project(project_id)}/decision"
        return await self.call(api.Project, "POST", path, caller, body=body)

    async def set_stage(self, caller: Caller, project_id: str, body: api.StageIn) -> api.Project:
        return await self.call(api.Project, "POST", f"{_project(project_id)}/stages", caller, body=body)

    async def record_check(self, caller: Caller, project_id: str, body: api.CheckIn) -> api.Project:
        return await self.call(api.Project, "POST", f"{_project(project_id)}/checks", caller, body=body)

    async def allocate(self, caller: Caller, body: api.AllocationIn) -> api.AllocationChange:
        return await self.call(api.AllocationChange, "POST", "/allocations", caller, body=body)

    async def release(self, caller: Caller, allocation_id: str, body: api.ReleaseIn) -> api.AllocationChange:
        path = f"/allocations/{segment(allocation_id)}/release"
        return await self.call(api.AllocationChange, "POST", path, caller, body=body)

    async def record_expenditure(self, caller: Caller, body: api.ExpenditureIn) -> api.LedgerEntry:
        return await self.call(api.LedgerEntry, "POST", "/expenditures", caller, body=body)


def _project(project_id: str) -> str:
    return f"/projects/{segment(project_id)}"
