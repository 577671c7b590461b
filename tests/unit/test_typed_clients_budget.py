"""The budget contract holds on both sides: what budget's own views answer is exactly what
contracts/api/budget/ describes (no field lost to a route's response_model, none invented), and
every endpoint the gateway's BudgetClient calls is a route that declares one of those models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from contracts.api import budget as api
from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStage
from gateway.clients import Caller
from gateway.clients.budget import BudgetClient
from services.budget import checks, domain, implementation, ledger, projects
from services.budget.app import BudgetSettings, create_app
from services.budget.checks import ScoreIn
from services.budget.model import Act, Budget, LedgerEntry, Rate
from services.budget.projects import Approval, NeedRef
from services.budget.views import (
    allocation_view,
    budget_view,
    entry_view,
    line_view,
    project_view,
    revision_view,
    transparency_view,
)
from services.runtime.identity import Identity, Role

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
CHIEF = Act(Identity("chief-1", Role.COMMUNE_CHIEF, ("160101",)), NOW)
LOCAL = BudgetLineKind.LOCAL_DEVELOPMENT
APPROVAL = Approval("d1", "160101", 2026, {"n1": 1, "n2": 2, "n3": 3})
NEEDS = {
    "n1": {
        "id": "n1",
        "tracking_code": "AAAA-BB1",
        "commune_code": "160101",
        "village_code": "16010101",
        "village_name": {"km": "កាតែ", "latin": "Kate"},
        "description": "A well",
        "sector": "social",
        "need_type": "water_supply",
        "feedback": [{"key": "k1", "satisfied": True, "rating": 4}],
    },
    "n2": {"id": "n2", "commune_code": "160101", "description": "A road"},
}
APPROVALS = [
    {
        "id": "d1",
        "meeting_id": "m1",
        "decided_at": "2026-01-20T03:00:00+00:00",
        "needs": [{"need_id": "n1", "rank": 1}, {"need_id": "n3", "rank": 3}],
    }
]


def _budget() -> tuple[Budget, list[LedgerEntry]]:
    """Every shape budget answers: a rate, a cut, money spent and reversed, stages with a photo,
    a community check with a small sensitive group, and a deferred project; with its ledger."""
    refs = {n: NeedRef(n, "160101") for n in ("n1", "n2", "n3")}
    budget = domain.set_line(Budget("160101", 2026), CHIEF, LOCAL, 9_000_000_000).budget
    budget = domain.set_line(
        budget, CHIEF, BudgetLineKind.CCWC, 500_000, Rate(4_100, date(2026, 1, 5))
    ).budget
    budget = projects.create_project(budget, CHIEF, "p1", "អណ្តូងទឹក", ["n1"], 3_000_000, refs, APPROVAL).budget
    budget = projects.create_project(budget, CHIEF, "p2", "A road", ["n2"], 5_000_000, refs, APPROVAL).budget
    budget = projects.allocate(budget, CHIEF, "a1", "p1", LOCAL, 3_000_000, APPROVAL).budget
    budget = projects.decide_project(budget, CHIEF, "p2", projects.ProjectDecision.DEFER, "Next year").budget
    paid = ledger.NewEntry("a1", ExpenditureStage.COMMITTED, 1_000_000, "ABC Co.", "C-1", date(2026, 2, 1))
    spent = ledger.record_expenditure(budget, CHIEF, "e1", paid)
    reversal = ledger.reverse_entry(spent.budget, CHIEF, "e2", spent.result, False, "Wrong contract")
    budget = reversal.budget
    budget = domain.revise_line(budget, CHIEF, "r1", LOCAL, 8_000_000_000, "A transfer cut").budget
    stages = [(ProjectStage.PROCUREMENT, date(2026, 3, 1)), (ProjectStage.WORKS_STARTED, date(2026, 4, 1))]
    stages.append((ProjectStage.COMPLETED, date(2026, 5, 20)))
    for stage, on in stages:
        budget = implementation.set_stage(budget, CHIEF, "p1", stage, on, "Note", "IMG_1", "ph1").budget
    scores = [ScoreIn("all", 20, 4, 5, 4), ScoreIn("disability", 3, 2, 3, 2)]
    budget = checks.record_check(budget, CHIEF, "c1", "p1", date(2026, 5, 25), scores, "Good").budget
    return budget, [spent.result, reversal.result]


def _shape(value: Any) -> Any:
    """Which keys, at every depth: what a response_model would keep or drop."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return None


def _described(model: type[BaseModel], view: dict[str, Any]) -> dict[str, Any]:
    """The view read into the model and written again, as the route answers it; it must keep
    every key the view has, and add none."""
    answered: dict[str, Any] = json.loads(model.model_validate(view).model_dump_json())
    assert _shape(answered) == _shape(view)
    return answered


def _answers() -> dict[type[BaseModel], dict[str, Any]]:
    """What each answer model's routes answer, built by budget's own views."""
    budget, entries = _budget()
    project = budget.projects["p1"]
    allocation = budget.allocations["a1"]
    return {
        api.Line: line_view(budget, budget.lines[LOCAL]),
        api.RevisedLine: {**revision_view(budget, 0), "line_balance": line_view(budget, budget.lines[LOCAL])},
        api.Project: project_view(budget, project, NEEDS),
        api.ProjectWithLedger: {
            **project_view(budget, project, NEEDS, council=True),
            "ledger": [entry_view(e) for e in entries],
        },
        api.LedgerEntry: entry_view(entries[-1]),
        api.AllocationChange: {**allocation_view(allocation), "project_status": project.status.value},
        api.Budget: budget_view(budget, 7, NEEDS, APPROVALS),
        api.Transparency: transparency_view(budget, NEEDS),
        api.Photo: {"content_type": "image/jpeg", "data": "/9j/", "project_id": "p1"},
    }


@pytest.mark.parametrize("model", list(_answers()), ids=lambda m: m.__name__)
def test_every_answer_of_budget_is_described_whole_by_its_contract(model: type[BaseModel]) -> None:
    _described(model, _answers()[model])


def test_the_public_view_keeps_small_groups_hidden_and_riel_beyond_32_bits() -> None:
    public = api.Transparency.model_validate(transparency_view(_budget()[0], NEEDS))
    [works] = public.implementation
    [check] = works.verification.checks
    hidden = next(s for s in check.scores if s.group == "disability")
    assert hidden.participants == "<5" and hidden.built is None
    assert public.lines[0].amount == 8_000_000_000
    assert [n.tracking_code for n in public.funded_needs] == [None]


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """The app's API routes, also inside the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


class _Recorder:
    """Stands in for the transport: answers each call with what its route's model describes,
    built by budget's own views, and remembers the routes called."""

    def __init__(self) -> None:
        self.routes = list(_api_routes(create_app(BudgetSettings()).routes))
        self.answers = _answers()
        self.called: list[APIRoute] = []

    async def exchange(self, method: str, path: str, identity: Identity, **_: Any) -> tuple[int, bytes]:
        [route] = [r for r in self.routes if method in r.methods and r.path_regex.match(path)]
        self.called.append(route)
        model = route.response_model
        return 200, json.dumps(self.answers[model]).encode()

    async def close(self) -> None:
        return None


async def _call_every_method(client: BudgetClient) -> int:
    who = Caller(CHIEF.who, "en")
    construct = api.ProjectIn.model_construct
    calls = [
        client.budget(who, "160101", 2026),
        client.project(who, "p1"),
        client.transparency(who, "160101", 2026),
        client.photo(who, "ph1"),
        client.set_line(who, api.LineIn.model_construct(kind=LOCAL)),
        client.revise_line(who, api.RevisionIn.model_construct(reason="cut")),
        client.create_project(who, construct(title="A well")),
        client.set_expected_month(who, "p1", api.ExpectedMonthIn.model_construct(expected_month=None)),
        client.decide_project(who, "p1", api.DecisionIn.model_construct(reason="later")),
        client.set_stage(who, "p1", api.StageIn.model_construct(note="n")),
        client.record_check(who, "p1", api.CheckIn.model_construct(note="n")),
        client.allocate(who, api.AllocationIn.model_construct(amount="1")),
        client.release(who, "a1", api.ReleaseIn.model_construct(reason="r")),
        client.record_expenditure(who, api.ExpenditureIn.model_construct(idempotency_key="k" * 8)),
    ]
    for call in calls:
        assert isinstance(await call, BaseModel)
    return len(calls)


def test_every_route_the_gateway_calls_declares_its_answer_from_the_contract() -> None:
    recorder = _Recorder()
    client = BudgetClient(recorder)  # type: ignore[arg-type]
    count = asyncio.run(_call_every_method(client))
    methods = [m for m in vars(BudgetClient) if not m.startswith("_")]
    assert count == len(methods)  # a new method is called here too
    for route in recorder.called:
        assert route.response_model.__module__.startswith("contracts.api.budget."), route.path
