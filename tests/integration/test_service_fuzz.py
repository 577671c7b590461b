"""Fuzz every service's HTTP API with schemathesis from its committed OpenAPI document:
generated requests, with a valid identity token and without, never get a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from infra.stack import Stack
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token

OPENAPI = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
SCHEMAS = {
    name: schemathesis.openapi.from_path(OPENAPI / f"{name}.json")
    for name in ("intake", "meetings", "budget", "notify", "oversight")
}


def _token(stack: Stack, name: str) -> str:
    # Oversight answers only roles above the commune: fuzz it as one, so requests get past the
    # role check into the parsing and the read model.
    role, communes = (
        (Role.PROVINCE_ADMIN, ("16",)) if name == "oversight" else (Role.COUNCIL_MEMBER, ("160101",))
    )
    return issue_token(Identity("fuzz", role, communes), stack.secrets["identity"], ttl=3600)


def _fuzz(name: str) -> Any:
    @SCHEMAS[name].parametrize()
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: Any, stack: Stack) -> None:
        base = stack.processes[name].url
        for headers in ({}, {"authorization": f"Bearer {_token(stack, name)}"}):
            response = case.call(base_url=base, headers=headers)
            assert response.status_code < 500, (
                case.method,
                case.path,
                response.status_code,
                response.text[:300],
            )
            assert "Traceback" not in response.text

    return test


test_intake_never_answers_5xx = _fuzz("intake")
test_meetings_never_answers_5xx = _fuzz("meetings")
test_budget_never_answers_5xx = _fuzz("budget")
test_notify_never_answers_5xx = _fuzz("notify")
test_oversight_never_answers_5xx = _fuzz("oversight")
