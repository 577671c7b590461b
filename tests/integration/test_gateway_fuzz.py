"""Fuzz the gateway's GraphQL API with schemathesis (GraphQL mode): generated queries and
mutations, anonymous and signed in, must never get a 5xx or a stack trace.

The schema is read from the committed SDL (contracts/schema.graphql, checked for drift), so
the operations are known at collection time; the calls go to the running test stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from infra.stack import Stack, free_port
from tests.conftest import UNLIMITED

SDL = Path(__file__).resolve().parents[2] / "contracts" / "schema.graphql"
# Whole riel travel as strings of digits (GraphQL's Int stops at 2^31): generate such strings,
# and sometimes nonsense, which the API must refuse cleanly.
schemathesis.graphql.scalar(
    "Riel",
    st.one_of(st.integers(0, 10**13).map(str), st.text(max_size=12)).map(
        lambda v: graphql.StringValueNode(value=v)
    ),
)
schema = schemathesis.graphql.from_path(SDL)

TRACE_MARKERS = ("Traceback", 'File "', "Exception:", "line ")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Its own stack: generated mutations leave data no other test should have to step around."""
    khum = Stack(
        var=tmp_path_factory.mktemp("fuzz") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


@pytest.fixture(scope="module")
def signed_in_headers(fuzzed: Stack) -> dict[str, str]:
    stack = fuzzed
    with httpx.Client(base_url=stack.url) as http:
        body = http.post(
            "/graphql",
            json={"query": 'mutation { login(login: "dara", password: "khum-demo-2026") { csrfToken } }'},
        ).json()
        cookie = http.cookies.get("khum_session")
    return {"cookie": f"khum_session={cookie}", "x-csrf-token": body["data"]["login"]["csrfToken"]}


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text[:500]
    text = response.text
    for marker in TRACE_MARKERS[:2]:
        assert marker not in text, text[:500]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_operations_never_crash_the_gateway(
    case: Any, fuzzed: Stack, signed_in_headers: dict[str, str]
) -> None:
    _check(case.call(base_url=fuzzed.url))
    _check(case.call(base_url=fuzzed.url, headers=signed_in_headers))
