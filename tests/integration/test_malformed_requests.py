"""Malformed and oversized requests at /graphql: a 4xx with a GraphQL-shaped error and a stable
code, never a 500, never a traceback in the log, and never a body read whole before refusing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from infra.stack import Stack

JSON = {"content-type": "application/json"}
NESTED = b"[" * 100_000 + b"]" * 100_000


def _code(response: httpx.Response) -> str:
    body = response.json()
    assert body["data"] is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    assert body["errors"][0]["message"], body
    return code


@pytest.mark.parametrize(
    ("content", "headers", "code"),
    [
        (b'{"query": "{ __typename \xff\xfe }"}', JSON, "request.malformed"),
        (b"null", JSON, "request.malformed"),
        (b'"{ __typename }"', JSON, "request.malformed"),
        (b"42", JSON, "request.malformed"),
        (b"{not json", JSON, "request.malformed"),
        (NESTED, JSON, "request.malformed"),
        (b'{"query": ' + NESTED + b"}", JSON, "request.malformed"),
        (b'[{"query": "{ __typename }"}]', JSON, "graphql.batching_unsupported"),
        (b'{"query": 5}', JSON, "request.malformed"),
        (b'{"query": "{ __typename }", "variables": []}', JSON, "request.malformed"),
        (b"{ __typename }", {"content-type": "text/plain"}, "request.content_type"),
        (b"{}", JSON, "graphql.query_missing"),
        (b'{"query": "query A { __typename }", "operationName": "B"}', JSON, "graphql.operation_name"),
        (b'{"query": "subscription { notificationAdded { id } }"}', JSON, "graphql.operation_type"),
    ],
    ids=[
        "invalid-utf8",
        "null",
        "string",
        "number",
        "broken-json",
        "nested-100000",
        "nested-query",
        "batch",
        "query-not-string",
        "variables-not-object",
        "text-plain",
        "no-query",
        "unknown-operation",
        "subscription-over-post",
    ],
)
async def test_a_malformed_body_is_a_400_with_a_graphql_error_and_a_code(
    stack: Stack, content: bytes, headers: dict[str, str], code: str
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.post("/graphql", content=content, headers=headers)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert _code(response) == code


async def test_a_well_formed_post_answers_alike_however_its_json_is_labelled(stack: Stack) -> None:
    """The usual POST is served by the gateway's direct path, an unusual one by Strawberry's
    view: the answer, its headers from the outer layers and its refusals are the same."""
    body = b'{"query": "{ __typename }"}'
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        answers = [
            await http.post("/graphql", content=body, headers={"content-type": kind})
            for kind in ("application/json", "application/json; charset=utf-8")
        ]
    for response in answers:
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"__typename": "Query"}}
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-correlation-id"]


async def test_a_get_query_is_refused_with_a_code(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        response = await http.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 400, response.text
    assert _code(response) == "graphql.get_unsupported"


async def test_malformed_bodies_leave_no_traceback_in_the_log(stack: Stack) -> None:
    log = stack.var / "log" / "gateway.log"
    before = log.stat().st_size
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for content in (b"null", b"\xff\xfe", NESTED, b"[]", b"{}"):
            response = await http.post("/graphql", content=content, headers=JSON)
            assert response.status_code == 400, response.text[:300]
    with log.open("rb") as fh:
        fh.seek(before)
        written = fh.read().decode(errors="replace")
    assert "Traceback" not in written and "RecursionError" not in written, written[-2000:]


async def _raw_post(stack: Stack, headers: str, parts: Iterator[bytes]) -> tuple[int, bytes, int]:
    """POST over a bare socket: (status, body, parts sent). Stops sending as soon as the
    server has answered, as a client that reads while it writes would."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
    sent = 0

    async def send() -> None:
        nonlocal sent
        writer.write(
            "POST /graphql HTTP/1.1\r\nhost: khum\r\ncontent-type: application/json\r\n"
            f"{headers}\r\n".encode()
        )
        for part in parts:
            writer.write(part)
            await writer.drain()
            sent += 1
            await asyncio.sleep(0.001)

    sender = asyncio.create_task(send())
    try:
        # Read the answer by its length, not to the end: the server closes without reading the
        # rest, and the reset that follows may come before an end-of-file would.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
        body = await asyncio.wait_for(reader.readexactly(length), 30)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        writer.close()
    return int(head.split(b" ", 2)[1]), body, sent


async def test_a_declared_body_over_the_limit_is_refused_with_413_before_it_is_sent(stack: Stack) -> None:
    status, body, sent = await _raw_post(stack, "content-length: 30000000\r\n", iter([b"{" * 1000] * 30_000))
    assert status == 413, body[:300]
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "request.too_large"
    assert sent < 30_000


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(stack: Stack) -> None:
    """No Content-Length (chunked): the count, not the header, refuses; the rest is not read."""

    def chunks() -> Iterator[bytes]:
        start = b'{"query": "{ __typename }", "variables": {"x": "'
        yield b"%x\r\n" % len(start) + start + b"\r\n"
        for _ in range(300):  # 30 MB if it were all read
            yield b"%x\r\n" % 100_000 + b"a" * 100_000 + b"\r\n"
        yield b'3\r\n"}}\r\n0\r\n\r\n'

    status, body, sent = await _raw_post(stack, "transfer-encoding: chunked\r\n", chunks())
    assert status == 413, body[:300]
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "request.too_large"
    assert sent < 300


async def test_a_query_with_a_long_comment_is_not_executed(stack: Stack) -> None:
    """Comments are not tokens, so the token limit alone let a 2 MB comment through; a body of
    2 MB now meets the body limit, and a long text under it meets the query-text limit."""
    query = "#" + "x" * 50_000 + "\n{ __typename }"
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "limit.query_size", body
