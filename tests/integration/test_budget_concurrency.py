"""Two clerks allocating the last riel at the same moment: exactly one succeeds.

First against the running budget service (real HTTP, real SQLite, real nats-server): both
requests are sent at once, round after round. Then on a real SQLite store whose reads are held
until both clerks have read the same version of the budget, so the losing save certainly meets
the version conflict and the command is decided again on the fresh budget. Years 2040 to 2049.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.budget import ALLOCATION_MADE, BudgetLineKind
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from services.budget import domain, projects
from services.budget import store as repo
from services.budget.model import Act
from services.budget.projects import Approval, NeedRef
from services.budget.rules import BudgetError
from services.runtime.bus import Bus
from services.runtime.identity import Identity, Role
from services.runtime.outbox import OutboxRelay
from services.runtime.service import Runtime
from services.runtime.settings import ServiceSettings
from services.runtime.stores.port import Doc
from services.runtime.stores.sqlite import SqliteStore
from services.runtime.tokens import issue_token
from tests.conftest import GraphQL, wait_for
from tests.integration.test_budget_support import (
    CREATE_PROJECT,
    MALIK,
    SET_LINE,
    approve,
    approved_and_known,
    budget_of,
    data,
    events_for_year,
    submit_needs,
)

ROUNDS = (
    BudgetLineKind.LOCAL_DEVELOPMENT,
    BudgetLineKind.CCWC,
    BudgetLineKind.PARTNER,
    BudgetLineKind.ADMINISTRATION,
    BudgetLineKind.OWN_REVENUE,
)


async def test_two_clerks_allocating_the_last_riel_at_once_one_succeeds(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2040
    needs = await submit_needs(facilitator, ["ផ្លូវបេតុង", "អណ្តូងស្នប់"])
    ids = [str(n["id"]) for n in needs]
    decision = await approve(stack, MALIK, year, [str(n["need_id"]) for n in needs])
    await approved_and_known(council, year, decision, ids)
    projects = [  # the budget service's own ids (GraphQL gives global ones)
        raw_id(
            "Project",
            data(
                await council.execute(
                    CREATE_PROJECT,
                    {
                        "i": {
                            "communeCode": MALIK,
                            "year": year,
                            "title": f"P{i}",
                            "needIds": [n],
                            "estimatedCost": "10",
                        }
                    },
                ),
                "createProject",
            )["id"],
        )
        for i, n in enumerate(ids)
    ]
    secret = stack.secrets["identity"]
    clerks = [
        {
            "authorization": f"Bearer {issue_token(Identity(name, Role.CLERK, (MALIK,)), secret)}",
            "accept-language": "en",
        }
        for name in ("clerk-sokha", "clerk-vanna")
    ]
    async with httpx.AsyncClient(base_url=stack.processes["budget"].url or "", timeout=15) as http:
        for kind in ROUNDS:
            line = {"i": {"communeCode": MALIK, "year": year, "kind": kind.name, "amount": "1000001"}}
            data(await council.execute(SET_LINE, line), "setBudgetLine")
            first = await http.post(
                "/allocations",
                json={
                    "project_id": projects[0],
                    "line": kind.value,
                    "amount": 1_000_000,
                    "decision_id": decision,
                },
                headers=clerks[0],
            )
            assert first.status_code == 201, first.text
            # One riel is left: both clerks ask for it at the same moment.
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/allocations",
                        json={
                            "project_id": project,
                            "line": kind.value,
                            "amount": 1,
                            "decision_id": decision,
                        },
                        headers=clerk,
                    )
                    for project, clerk in zip(projects, clerks, strict=True)
                )
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [201, 409], [a.text for a in answers]
            refused = next(a for a in answers if a.status_code == 409).json()["error"]
            assert refused["code"] == "budget.insufficient_funds"
            assert refused["message"] == "Only 0 riel of this line is not yet allocated."
    budget = await budget_of(council, year)
    for line in budget["lines"]:
        assert (line["amount"], line["allocated"], line["unallocated"]) == ("1000001", "1000001", "0")

    async def all_published() -> list[dict[str, Any]] | None:
        made = await events_for_year(stack, ALLOCATION_MADE, year)
        return made if len(made) >= 2 * len(ROUNDS) else None

    made = await wait_for(all_published)
    assert len(made) == 2 * len(ROUNDS)  # one per success: the refused clerk published nothing


class SameMomentStore(SqliteStore):
    """A real SQLite store that holds the first two reads of a budget until both have happened:
    two clerks have read the same version before either saves."""

    def __init__(self, path: str) -> None:
        super().__init__(path, repo.COLLECTIONS)
        self.budget_reads = 0
        self.hold = False
        self._both = asyncio.Event()

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        doc = await super().get(collection, doc_id)
        if collection == "budgets" and self.hold:
            self.budget_reads += 1
            if self.budget_reads == 2:
                self._both.set()
            if self.budget_reads <= 2:
                await asyncio.wait_for(self._both.wait(), 10)
        return doc


@pytest.fixture
async def held_runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, SameMomentStore]]:
    store = SameMomentStore(str(tmp_path / "budget.db"))
    await store.open()
    bus = Bus("nats://127.0.0.1:9", name="unused")  # never connected: the relay is not started
    settings = ServiceSettings(store_url=f"sqlite:///{tmp_path / 'budget.db'}")
    yield Runtime("budget", settings, store, bus, OutboxRelay(store, bus)), store
    await store.close()


async def test_the_losing_save_meets_a_version_conflict_and_is_decided_again(
    held_runtime: tuple[Runtime, SameMomentStore],
) -> None:
    runtime, store = held_runtime
    year = 2041
    approval = Approval("d1", MALIK, year, {"n1": 1, "n2": 2})
    refs = {n: NeedRef(n, MALIK) for n in ("n1", "n2")}
    sokha = Act(Identity("clerk-sokha", Role.CLERK, (MALIK,)), datetime.now(UTC))
    vanna = Act(Identity("clerk-vanna", Role.CLERK, (MALIK,)), datetime.now(UTC))
    kind = BudgetLineKind.LOCAL_DEVELOPMENT
    await repo.change(runtime, MALIK, year, lambda b: domain.set_line(b, sokha, kind, 1_000))
    for pid, need in (("p1", "n1"), ("p2", "n2")):
        await repo.change(
            runtime,
            MALIK,
            year,
            lambda b, p=pid, n=need: projects.create_project(b, sokha, p, p, [n], 1_000, refs, approval),
        )
    store.hold = True

    async def clerk(act: Act, allocation: str, project: str) -> Any:
        return await repo.change(
            runtime,
            MALIK,
            year,
            lambda b: projects.allocate(b, act, allocation, project, kind, 1_000, approval),
        )

    results = await asyncio.gather(clerk(sokha, "a1", "p1"), clerk(vanna, "a2", "p2"), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], BudgetError)
    assert errors[0].code == "budget.insufficient_funds"
    assert store.budget_reads == 3  # both read version n; the loser read again after its conflict
    budget = await repo.load_budget(store, MALIK, year)
    assert list(budget.allocations) in (["a1"], ["a2"])
    assert budget.allocated(kind) == 1_000
    pending = [json.loads(row.payload) for row in await store.pending_outbox(100)]
    assert [e["type"] for e in pending].count(ALLOCATION_MADE) == 1
