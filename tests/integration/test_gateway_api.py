"""The integrators' API: global ids with node(id), DataLoaders, limits that name themselves."""

from __future__ import annotations

import re
import uuid

import httpx

from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL


async def _service_calls(stack: Stack) -> int:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{stack.url}/metrics")).text
    return int(
        sum(float(v) for v in re.findall(r"^khum_gateway_service_calls_total\{[^}]*\} (\S+)$", text, re.M))
    )


async def test_a_page_of_needs_costs_the_same_service_calls_whatever_its_size(
    stack: Stack, facilitator: GraphQL
) -> None:
    villages = ["21010301", "21010302", "21010303", "21010304"]
    for i in range(105):
        need = {
            "villageCode": villages[i % 4],
            "description": f"តម្រូវការ {i}",
            "idempotencyKey": uuid.uuid4().hex,
        }
        assert "errors" not in await facilitator.execute(SUBMIT_NEED, {"i": need})
    page = (
        'query($n: Int!) { needs(filter: {commune: "210103"}, first: $n) { totalCount edges { node { '
        "id status people village { nameKm nameLatin communeNameKm } history { toStatus } } } } }"
    )
    calls = []
    for size in (10, 50, 100):
        before = await _service_calls(stack)
        body = await facilitator.execute(page, {"n": size})
        calls.append(await _service_calls(stack) - before)
        edges = body["data"]["needs"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["village"]["communeNameKm"] == "គោកធ្លក" for e in edges)
    # The list, and one batched lookup of the villages the gateway does not know yet (their
    # names are kept): never one call per need, whatever the page size.
    assert calls[0] <= 2 and calls[1:] == [1, 1]


async def test_node_fetches_a_need_again_by_its_global_id_with_the_same_rules(
    stack: Stack, facilitator: GraphQL
) -> None:
    need = {"villageCode": "16010101", "description": "ផ្លូវ", "idempotencyKey": uuid.uuid4().hex}
    created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    query = "query($id: ID!) { node(id: $id) { id ... on Need { trackingCode } } }"
    found = (await facilitator.execute(query, {"id": created["id"]}))["data"]["node"]
    assert found == {"id": created["id"], "trackingCode": created["trackingCode"]}
    chenda = GraphQL(stack.url)
    await chenda.login("chenda")
    try:
        refused = await chenda.execute(query, {"id": created["id"]})
        assert refused["errors"][0]["extensions"]["code"] == "need.not_found"
        bad = await chenda.execute(query, {"id": "not-a-global-id!"})
        assert bad["errors"][0]["extensions"]["code"] == "node.id_invalid"
    finally:
        await chenda.close()


async def test_queries_over_a_limit_get_an_error_naming_the_limit(stack: Stack) -> None:
    client = GraphQL(stack.url, lang="en")
    try:
        deep = (
            '{ needByTrackingCode(code: "ABCD-EFG") { ' + "mergedInto { " * 10 + "status" + " }" * 11 + " }"
        )
        aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(16)) + " }"
        tokens = "{ me { " + "id " * 2100 + "} }"
        for query, code, words in (
            (deep, "limit.depth", "depth"),
            (aliases, "limit.aliases", "Allowed: 15"),
            (tokens, "limit.tokens", "2000 tokens"),
            ("{ me { id ", "graphql.syntax", "Syntax Error"),
            ("{ nope }", "graphql.invalid", "nope"),
        ):
            [error] = (await client.execute(query))["errors"]
            assert error["extensions"]["code"] == code, (code, error)
            assert words in error["message"], (words, error)
        await client.login("dara")
        too_big = await client.execute("{ notifications(first: 101) { totalCount } }")
        assert too_big["errors"][0]["extensions"]["code"] == "page.size_invalid"
        assert "100" in too_big["errors"][0]["message"]
        khmer = GraphQL(stack.url, lang="km")
        await khmer.login("dara")
        bad_cursor = await khmer.execute('{ notifications(first: 5, after: "bm9wZQ") { totalCount } }')
        assert bad_cursor["errors"][0]["extensions"]["code"] == "page.cursor_invalid"
        assert "ទំព័រ" in bad_cursor["errors"][0]["message"], "said in the caller's language"
        too_big = await khmer.execute("{ notifications(first: 101) { totalCount } }")
        assert "ចន្លោះ" in too_big["errors"][0]["message"]
        await khmer.close()
    finally:
        await client.close()


async def test_every_response_carries_the_security_headers(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        for response in (
            await http.get("/login"),
            await http.post("/graphql", json={"query": "{ me { id } }"}),
            await http.get("/static/css/app.css"),
        ):
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_a_websocket_from_another_origin_is_refused(stack: Stack) -> None:
    import websockets

    url = stack.url.replace("http://", "ws://") + "/graphql"
    try:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        ) as ws:
            await ws.recv()
    except websockets.exceptions.InvalidStatus as refused:
        assert refused.response.status_code == 403
    else:
        raise AssertionError("a cross-origin WebSocket was accepted")
