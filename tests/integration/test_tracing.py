"""One trace from the GraphQL mutation to the council's notification, across four processes
and NATS: every span is written to a shared JSON-lines file by each process's exporter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from infra.stack import SERVICES, Stack, free_port
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, GraphQL, wait_for


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    var = tmp_path_factory.mktemp("traced") / "var"
    spans = var.parent / "spans.jsonl"
    env = {name: {"TRACE_EXPORT": f"jsonl:{spans}"} for name in (*SERVICES, "gateway")}
    khum = Stack(var=var, port=free_port(), demo=True, extra_env=env)
    khum.start()
    yield khum, spans
    khum.stop()


def _spans(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_one_trace_runs_from_the_mutation_to_the_notification(traced: tuple[Stack, Path]) -> None:
    stack, path = traced
    facilitator, council = GraphQL(stack.url), GraphQL(stack.url)
    await facilitator.login("sophea")
    await council.login("dara")
    try:
        need = {"villageCode": "16010101", "description": "ផ្លូវ", "idempotencyKey": uuid.uuid4().hex}
        created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]

        async def notified() -> bool:
            body = await council.execute(NOTIFICATIONS, {"n": 20})
            return any(
                e["node"]["ref"] == created["trackingCode"] for e in body["data"]["notifications"]["edges"]
            )

        await wait_for(notified)

        def trace_of_mutation() -> list[dict[str, object]] | None:
            spans = _spans(path)
            intake_posts = [s for s in spans if s["process"] == "khum-intake" and s["name"] == "POST /needs"]
            for post in intake_posts:
                trace = [s for s in spans if s["trace_id"] == post["trace_id"]]
                if any(s["name"] == "consume notify-needs" for s in trace):
                    return trace
            return None

        async def traced_through() -> list[dict[str, object]] | None:
            return trace_of_mutation()

        trace = await wait_for(traced_through)
    finally:
        await facilitator.close()
        await council.close()
    processes = {s["process"] for s in trace}
    assert {"khum-gateway", "khum-intake", "khum-notify", "khum-meetings"} <= processes
    names = {s["name"] for s in trace}
    assert {"POST /graphql", "POST /needs", "consume notify-needs", "consume meetings-needs"} <= names
    by_id = {s["span_id"]: s for s in trace}
    consume = next(s for s in trace if s["name"] == "consume notify-needs")
    assert consume["parent_id"] in by_id, "the consumer's span hangs under intake's request span"

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info("KHUM_NOTIFY")
        queued = json.loads((await js.get_msg("KHUM_NOTIFY", info.state.last_seq)).data or b"{}")
    finally:
        await nc.close()
    assert queued["traceparent"].split("-")[1] == trace[0]["trace_id"]
