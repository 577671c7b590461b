"""Every process serves Prometheus metrics, and the counters move with the work."""

from __future__ import annotations

import re
import uuid

import httpx

from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _scrape(stack: Stack, process: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{stack.processes[process].url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_move_with_a_submitted_need(stack: Stack, facilitator: GraphQL) -> None:
    before = {name: await _scrape(stack, name) for name in ("gateway", "intake", "notify", "meetings")}
    need = {"villageCode": "16010102", "description": "ទឹក", "idempotencyKey": uuid.uuid4().hex}
    assert "errors" not in await facilitator.execute(SUBMIT_NEED, {"i": need})

    async def moved() -> dict[str, str] | None:
        after = {name: await _scrape(stack, name) for name in before}
        grew = (
            _value(after["intake"], "khum_events_published_total", process="intake")
            > _value(before["intake"], "khum_events_published_total", process="intake")
            and _value(
                after["notify"], "khum_events_consumed_total", consumer="notify-needs", outcome="handled"
            )
            > _value(
                before["notify"], "khum_events_consumed_total", consumer="notify-needs", outcome="handled"
            )
            and _value(
                after["meetings"], "khum_events_consumed_total", consumer="meetings-needs", outcome="handled"
            )
            > _value(
                before["meetings"], "khum_events_consumed_total", consumer="meetings-needs", outcome="handled"
            )
        )
        return after if grew else None

    after = await wait_for(moved)
    requests = "khum_http_requests_total"
    assert _value(after["gateway"], requests, route="/graphql", method="POST") > _value(
        before["gateway"], requests, route="/graphql", method="POST"
    )
    assert _value(after["intake"], requests, route="/needs", method="POST", status="201") >= 1
    assert re.search(r'^khum_outbox_backlog\{process="intake"\} \d', after["intake"], re.M)
    assert re.search(r'^khum_consumer_lag\{consumer="notify-needs"\} \d', after["notify"], re.M)
    assert re.search(r"^khum_dead_letters \d", after["notify"], re.M)
    assert _value(after["gateway"], "khum_gateway_service_calls_total", service="intake") > 0


async def test_logs_are_json_lines_that_follow_one_action_across_processes(
    stack: Stack, facilitator: GraphQL
) -> None:
    import json

    correlation = uuid.uuid4().hex
    need = {"villageCode": "16010103", "description": "ស្ពាន", "idempotencyKey": uuid.uuid4().hex}
    response = await facilitator.http.post(
        "/graphql",
        json={"query": SUBMIT_NEED, "variables": {"i": need}},
        headers={"x-csrf-token": facilitator.csrf or "", "x-correlation-id": correlation},
    )
    assert response.headers["x-correlation-id"] == correlation
    code = response.json()["data"]["submitNeed"]["trackingCode"]

    def lines(process: str) -> list[dict[str, object]]:
        text = (stack.var / "log" / f"{process}.log").read_text(errors="replace")
        parsed = []
        for line in text.splitlines():
            if line.startswith("{"):
                parsed.append(json.loads(line))
        return parsed

    async def logged() -> bool:
        return any(entry.get("correlation_id") == correlation for entry in lines("notify"))

    # A consumer logs each event it handles: the notify line proves the id crossed the gateway,
    # intake (into the event) and NATS.
    await wait_for(logged)
    entry = next(e for e in lines("notify") if e.get("correlation_id") == correlation)
    assert entry["process"] == "notify" and entry["level"] in ("info", "warning")
    assert code
