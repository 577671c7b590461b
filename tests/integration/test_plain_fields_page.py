"""The needs page through a running gateway is the same answer with the plain-fields walk off.

A second gateway process, on its own port, with ``KHUM_GATEWAY_PLAIN_FIELDS=false``, next to the
stack's own (walk on): the same caller asks both for the same page, with village names, groups,
history, aliases, a fragment and @include; the bodies must be the same bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from infra.stack import Process, Stack, free_port
from tests.conftest import SUBMIT_NEED, GraphQL

PAGE = """query Page($first: Int!, $village: Boolean!) {
  needs(filter: {commune: "160101"}, first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { ...need village @include(if: $village) { code nameKm latin: nameLatin } } }
  }
}
fragment need on Need {
  id trackingCode status sector submittedAt people beneficiaries rank __typename
  groups { group count } history { at fromStatus toStatus reason source }
}"""


@pytest.fixture(scope="module")
def walk_off(stack: Stack) -> Iterator[str]:
    """The stack's gateway again, on another port, with the walk off (same stores and services)."""
    port = free_port()
    env = stack.env_for("gateway")
    env["KHUM_GATEWAY_PORT"] = str(port)
    env["KHUM_GATEWAY_PLAIN_FIELDS"] = "false"
    env["KHUM_GATEWAY_DEMO"] = "false"  # the stack's gateway seeded the demo accounts already
    process = Process(
        "gateway-walk-off",
        list(stack.processes["gateway"].argv),
        env,
        stack.var / "log" / "gateway-walk-off.log",
        url=f"http://127.0.0.1:{port}",
    )
    process.start()
    stack.processes["gateway-walk-off"] = process
    try:
        stack.wait_ready(["gateway-walk-off"])
        yield process.url or ""
    finally:
        del stack.processes["gateway-walk-off"]
        process.stop()


async def test_the_needs_page_is_the_same_with_the_walk_on_and_off(
    stack: Stack, walk_off: str, facilitator: GraphQL, council: GraphQL
) -> None:
    for n in range(3):
        need = {
            "villageCode": "16010102",
            "description": f"អណ្ដូង​ទឹក​ស្អាត ភូមិ {n}",
            "beneficiaries": 40 + n,
            "idempotencyKey": uuid.uuid4().hex,
        }
        body = await facilitator.execute(SUBMIT_NEED, {"i": need})
        assert "errors" not in body, body
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"
    answers = []
    for url in (stack.url, walk_off):
        for include in (True, False):
            async with httpx.AsyncClient(timeout=15) as client:
                response = await client.post(
                    f"{url}/graphql",
                    json={"query": PAGE, "variables": {"first": 50, "village": include}},
                    headers={"cookie": cookie, "accept-language": "km"},
                )
            assert response.status_code == 200, response.text
            answers.append(response.content)
    on_with, on_without, off_with, off_without = answers
    assert on_with == off_with and on_without == off_without
    page = httpx.Response(200, content=on_with).json()
    assert "errors" not in page, page
    edges = page["data"]["needs"]["edges"]
    assert len(edges) >= 3 and edges[0]["node"]["__typename"] == "Need"
    assert edges[0]["node"]["village"]["code"].startswith("160101")
    assert b'"village"' not in on_without
