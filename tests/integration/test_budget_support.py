"""Helpers the budget tests share (no tests here): needs, CIP approvals, events on the real bus.

Each budget test works in a year of its own (the stack is shared by the whole session), so
their budgets never meet. The CIP approval is published as meetings publishes it: a
DecisionRecorded event on KHUM_MEETINGS, through the real nats-server.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DeliverPolicy

from contracts.envelope import new_event, uuid7
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1, RankedNeed
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for

MALIK = "160101"
BUDGET_QUERY = """query($c: String!, $y: Int!) { budget(communeCode: $c, year: $y) {
  version
  lines { kind amount allocated committed paid unallocated shortfall remaining }
  totals { amount allocated paid }
  projects { id title status statusReason rank allocated needIds allocations { id amount lineKind } }
  approvals { id needCount }
  approvedNeeds { id trackingCode rank projectId }
} }"""
SET_LINE = (
    "mutation($i: SetBudgetLineInput!) { setBudgetLine(input: $i) { kind amount allocated unallocated } }"
)
REVISE = (
    "mutation($i: ReviseBudgetLineInput!) { reviseBudgetLine(input: $i) "
    "{ id amount previousAmount uncovered atRiskProjectIds line { kind amount shortfall } } }"
)
CREATE_PROJECT = (
    "mutation($i: CreateProjectInput!) { createProject(input: $i) "
    "{ id title status rank needIds estimatedCost needs { id trackingCode } } }"
)
ALLOCATE = (
    "mutation($i: AllocateInput!) { allocate(input: $i) { id amount lineKind projectStatus decisionId } }"
)
RELEASE = "mutation($i: ReleaseAllocationInput!) { releaseAllocation(input: $i) { id amount released projectStatus } }"
DECIDE = "mutation($i: DecideProjectInput!) { decideProject(input: $i) { id status statusReason allocated } }"
RECORD = (
    "mutation($i: RecordExpenditureInput!) { recordExpenditure(input: $i) "
    "{ id amount stage payee reference spentOn reverses reason overrunReason } }"
)
TRANSPARENCY = """query($c: String!, $y: Int!) { transparency(communeCode: $c, year: $y) {
  published
  lines { kind amount allocated spent remaining amountUsd }
  ccwc { kind amount allocated spent remaining }
  totals { amount allocated spent remaining }
  fundedNeeds { trackingCode status reason projectTitle villageName }
  plannedNeeds { trackingCode status }
  deferredNeeds { trackingCode status reason projectTitle }
  rejectedNeeds { trackingCode status reason }
  revisions { lineKind previousAmount amount reason }
} }"""


def data(body: dict[str, Any], name: str) -> Any:
    assert "errors" not in body, body
    return body["data"][name]


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    return {
        "code": error["extensions"]["code"],
        "field": error["extensions"].get("field"),
        "message": error["message"],
    }


async def submit_needs(
    facilitator: GraphQL, descriptions: list[str], village: str = "16010102"
) -> list[dict[str, Any]]:
    needs = []
    for text in descriptions:
        body = await facilitator.execute(
            SUBMIT_NEED,
            {
                "i": {
                    "villageCode": village,
                    "description": text,
                    "sector": "SOCIAL",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        need = data(body, "submitNeed")
        needs.append({**need, "need_id": raw_id("Need", need["id"])})  # intake's own id, as events carry it
    return needs


async def approve(
    stack: Stack, commune: str, year: int, need_ids: list[str], kind: DecisionKind = DecisionKind.CIP_APPROVAL
) -> str:
    """Publish a CIP approval (ranks in list order) as meetings does; return its decision id.

    ``need_ids`` are intake's own ids (events carry those, not GraphQL's global ids)."""
    decision = DecisionRecordedV1(
        decision_id=uuid7(),
        meeting_id=uuid7(),
        commune_code=commune,
        kind=kind,
        year=year,
        needs=[RankedNeed(need_id=n, rank=i + 1) for i, n in enumerate(need_ids)],
        summary="CIP approved at the commune council meeting",
        decided_by="test-clerk",
        decided_at=datetime.now(UTC),
    )
    envelope = new_event(
        decision,
        event_type=DECISION_RECORDED,
        source="/khum/meetings",
        communecode=commune,
        subject=decision.decision_id,
    )
    nc = await nats.connect(stack.nats_url)
    try:
        await nc.jetstream().publish(
            envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await nc.close()
    return decision.decision_id


async def budget_of(client: GraphQL, year: int, commune: str = MALIK) -> dict[str, Any]:
    return data(await client.execute(BUDGET_QUERY, {"c": commune, "y": year}), "budget")  # type: ignore[no-any-return]


async def approved_and_known(
    client: GraphQL, year: int, decision_id: str, need_ids: list[str]
) -> dict[str, Any]:
    """Wait until budget has the approval and every approved need (from intake's NeedSubmitted)."""

    async def ready() -> dict[str, Any] | None:
        budget = await budget_of(client, year)
        known = {n["id"]: n for n in budget["approvedNeeds"] if n["trackingCode"]}
        if decision_id in [a["id"] for a in budget["approvals"]] and set(need_ids) <= set(known):
            return budget
        return None

    result: dict[str, Any] = await wait_for(ready, interval=0.5)  # GraphQL is rate limited per session
    return result


async def budget_events(
    stack: Stack, event_type: str, commune: str = MALIK, limit: int = 5000
) -> list[dict[str, Any]]:
    """Every event of a type for a commune in KHUM_BUDGET, oldest first (envelopes as dicts)."""
    nc = await nats.connect(stack.nats_url)
    found: list[dict[str, Any]] = []
    try:
        sub = await nc.jetstream().subscribe(
            f"{event_type}.{commune}", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        for _ in range(limit):
            try:
                msg = await sub.next_msg(timeout=0.5)
            except NatsTimeout:
                break
            found.append(json.loads(msg.data))
        await sub.unsubscribe()
    finally:
        await nc.close()
    return found


async def events_for_year(stack: Stack, event_type: str, year: int) -> list[dict[str, Any]]:
    return [e for e in await budget_events(stack, event_type) if e["data"].get("year") == year]
