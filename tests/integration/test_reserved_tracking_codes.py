"""Tracking codes reserved for a facilitator's phone: a citizen gets their final code even when
the need is recorded offline, and intake gives that exact code, once, to that account only."""

from __future__ import annotations

import re
import uuid
from typing import Any

from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL

RESERVE = "mutation($n: Int!) { reserveTrackingCodes(count: $n) }"
CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$")


def _need(code: str | None, text: str) -> dict[str, Any]:
    need: dict[str, Any] = {
        "villageCode": "16010102",
        "description": text,
        "idempotencyKey": uuid.uuid4().hex,
    }
    if code is not None:
        need["trackingCode"] = code
    return need


async def test_a_reserved_code_becomes_the_needs_code_once_and_only_for_its_account(
    facilitator: GraphQL, stack: Stack
) -> None:
    body = await facilitator.execute(RESERVE, {"n": 3})
    assert "errors" not in body, body
    codes: list[str] = body["data"]["reserveTrackingCodes"]  # type: ignore[index]
    assert len(codes) == 3 and len(set(codes)) == 3 and all(CODE.match(c) for c in codes)

    first = _need(codes[0].lower().replace("-", ""), f"អណ្តូង {uuid.uuid4().hex[:6]}")
    body = await facilitator.execute(SUBMIT_NEED, {"i": first})
    assert "errors" not in body, body
    assert body["data"]["submitNeed"]["trackingCode"] == codes[0]  # type: ignore[index]

    # The same need sent again (a reply lost on a weak line) is the same need, same code.
    again = await facilitator.execute(SUBMIT_NEED, {"i": first})
    assert again["data"]["submitNeed"] == body["data"]["submitNeed"]  # type: ignore[index]

    # A code already used, or never reserved, is refused with a stable code and nothing stored.
    reused = await facilitator.execute(SUBMIT_NEED, {"i": _need(codes[0], "ផ្លូវ")})
    assert reused["errors"][0]["extensions"]["code"] == "need.tracking_code_not_reserved"  # type: ignore[index]

    # Another account cannot take a code reserved for this phone.
    other = GraphQL(stack.url)
    try:
        await other.login("dara")
        stolen = await other.execute(SUBMIT_NEED, {"i": _need(codes[1], "ស្ពាន")})
        assert stolen["errors"][0]["extensions"]["code"] == "need.tracking_code_not_reserved"  # type: ignore[index]
    finally:
        await other.close()
    body = await facilitator.execute(SUBMIT_NEED, {"i": _need(codes[1], "ស្ពាន")})
    assert body["data"]["submitNeed"]["trackingCode"] == codes[1]  # type: ignore[index]


async def test_codes_are_reserved_in_small_blocks_and_never_twice(facilitator: GraphQL) -> None:
    too_many = await facilitator.execute(RESERVE, {"n": 21})
    assert too_many.get("errors") and not (too_many.get("data") or {}).get("reserveTrackingCodes")  # type: ignore[union-attr]
    held: list[str] = []
    for _ in range(3):
        body = await facilitator.execute(RESERVE, {"n": 20})
        held += body["data"]["reserveTrackingCodes"]  # type: ignore[index]
    assert len(held) == 60 and len(set(held)) == 60


async def test_logout_without_the_csrf_token_is_refused_and_clears_nothing(stack: Stack) -> None:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        answer = await client.http.post("/logout", data={}, headers={"origin": "https://evil.example"})
        assert answer.status_code == 403
        assert "clear-site-data" not in answer.headers
        me = await client.execute("{ me { id } }")
        assert me["data"]["me"] is not None  # type: ignore[index]
        answer = await client.http.post("/logout", data={"csrf_token": client.csrf or ""})
        assert answer.status_code == 303
        assert "storage" not in answer.headers["clear-site-data"]
        me = await client.execute("{ me { id } }")
        assert me["data"]["me"] is None  # type: ignore[index]
    finally:
        await client.close()
