"""The plain-fields walk answers exactly as graphql-core does, on the real schema.

Each query runs twice, through the schema with the walk and through the schema without it,
over the same service answers (recorded dicts shaped as intake and budget send them); the
answers must be the same bytes (orjson keeps key order), errors included. Counting the
resolve-info objects graphql-core builds shows whether the walk answered or fell back.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from contracts.api.intake import NeedView
from gateway.clients import Caller
from gateway.clients.budget import BudgetClient
from gateway.clients.intake import IntakeClient
from gateway.graphql import build_schema
from gateway.graphql.context import Context
from gateway.graphql.executor import PlainFieldsExecutionContext
from gateway.graphql.needs.villages import _VILLAGES
from gateway.identity.callers import PUBLIC_IDENTITY
from services.runtime.identity import Identity


def _need(i: int) -> dict[str, Any]:
    return {
        "id": f"n{i:03d}",
        "tracking_code": f"ABCD-{i:03d}",
        "commune_code": "210103",
        "village_code": f"2101030{1 + i % 3}",
        "description": "ផ្លូវ​ភូមិ​ខូច ១២ ម៉ែត្រ" if i % 2 else "A well for 40 families",
        "sector": "economic" if i % 3 else None,
        "need_type": "road" if i % 3 else None,
        "beneficiaries": 40 + i if i % 4 else None,
        "channel": "village_meeting",
        "collected_by": "u-facilitator",
        "status": "submitted" if i % 2 else "validated",
        "status_reason": None,
        "rank": i if i % 5 == 0 else None,
        "year": 2027,
        "submitted_at": f"2026-03-0{1 + i % 9}T02:1{i % 10}:00+00:00",
        "people": 3 + i,
        "groups": {"women": 2, "youth": "<5"} if i % 2 else {},
        "groups_unknown": {"women": 1} if i % 2 else {},
        "history": [
            {"at": "2026-03-01T02:10:00+00:00", "from": None, "to": "submitted", "source": "intake"},
            {"at": "2026-03-02T09:00:00+00:00", "from": "submitted", "to": "validated", "reason": "ok"},
        ][: 1 + i % 2],
        "merged_into": None,
        "personal_data_visible": i % 2 == 0,
        "raised_by": [{"kind": "person", "people": 1, "name": "សុខា", "groups": {"women": 1}}]
        if i % 2 == 0
        else None,
        "supporters": None,
        "referral": {
            "target": "district",
            "name": "District office",
            "reason": "too big",
            "at": "2026-03-03T00:00:00+00:00",
        }
        if i == 4
        else None,
    }


def _villages(codes: list[str]) -> list[dict[str, str]]:
    return [
        {
            "code": code,
            "name_km": f"ភូមិ {code[-1]}",
            "name_latin": f"Phum {code[-1]}",
            "commune_code": code[:6],
            "commune_name_km": "ឃុំ",
            "commune_name_latin": "Khum",
        }
        for code in codes
    ]


_LINE = {
    "kind": "local_development",
    "amount": 12_500_000_000,
    "allocated": 2_147_483_648,
    "committed": 0,
    "paid": -2_000,
    "unallocated": 10_352_516_352,
    "shortfall": 0,
    "remaining": 12_500_002_000,
    "exchange_rate": {"riel_per_usd": 4100, "as_of": "2026-01-02"},
    "set_at": "2026-01-02T03:00:00+00:00",
}
_BUDGET = {
    "commune_code": "210103",
    "year": 2027,
    "version": 3,
    "lines": [_LINE, {**_LINE, "kind": "administration", "exchange_rate": None}],
    "totals": {k: _LINE[k] for k in ("amount", "allocated", "committed", "paid", "unallocated", "remaining")},
    "projects": [],
    "revisions": [],
    "approvals": [
        {"id": "a1", "meeting_id": None, "decided_at": "2026-02-01T03:00:00+00:00", "need_count": 7}
    ],
    "approved_needs": [],
}


class _Service:
    """Answers as the services do (their JSON, already decoded), by path."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def request(self, method: str, path: str, identity: Identity, **kw: Any) -> tuple[int, Any]:
        params = kw.get("params") or {}
        if path == "/needs" and method == "GET":
            items = [_need(i) for i in range(int(params["limit"]))]
            return 200, {"items": items, "total": 240, "next_after": items[-1]["id"]}
        if path.startswith("/needs/"):
            return 200, _need(int(path.rsplit("n", 1)[1]))
        if path == "/needs" and method == "POST":
            return 200, _need(2)
        if path == "/villages/by-code":
            return 200, _villages(params["codes"])
        if path.startswith("/budgets/"):
            return 200, _BUDGET
        raise AssertionError(f"{self.name} has no {path}")

    async def exchange(self, method: str, path: str, identity: Identity, **kw: Any) -> tuple[int, bytes]:
        """The same answers as the typed clients read them: raw JSON."""
        status, body = await self.request(method, path, identity, **kw)
        return status, orjson.dumps(body)


class _Token:
    scopes = frozenset({"write:needs"})

    def identity(self) -> Identity:
        return PUBLIC_IDENTITY


_SERVICES = {name: _Service(name) for name in ("intake", "budget")}
_CLIENTS = SimpleNamespace(
    intake=IntakeClient(_SERVICES["intake"]),  # type: ignore[arg-type]
    budget=BudgetClient(_SERVICES["budget"]),  # type: ignore[arg-type]
)
_PLAIN = build_schema(plain_fields=True)
_NORMAL = build_schema(plain_fields=False)


@pytest.fixture
def infos(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many resolve-info objects graphql-core built (one per field it completed itself)."""
    built = [0]
    original = PlainFieldsExecutionContext.build_resolve_info

    def counting(self: Any, *args: Any) -> Any:
        built[0] += 1
        return original(self, *args)

    monkeypatch.setattr(PlainFieldsExecutionContext, "build_resolve_info", counting)
    _VILLAGES.clear()
    yield built


async def _run(schema: Any, query: str, variables: dict[str, Any] | None = None) -> bytes:
    context = Context(SimpleNamespace(clients=_CLIENTS), None, None, "en", _Token())  # type: ignore[arg-type]
    result = await schema.execute(query, variable_values=variables, context_value=context)
    errors = [
        {"message": e.message, "path": e.path, "code": (e.extensions or {}).get("code")}
        for e in result.errors or []
    ]
    return orjson.dumps({"data": result.data, "errors": errors})


async def _same(query: str, variables: dict[str, Any] | None = None) -> tuple[bytes, bytes]:
    plain = await _run(_PLAIN, query, variables)
    normal = await _run(_NORMAL, query, variables)
    assert plain == normal
    return plain, normal


PAGE = """query Page($first: Int!, $withVillage: Boolean!, $noHistory: Boolean!) {
  needs(filter: {commune: "210103"}, first: $first) {
    __typename totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...needFields  village @include(if: $withVillage) { nameKm latin: nameLatin __typename } } }
  }
}
fragment needFields on Need {
  id trackingCode status sector needType beneficiaries rank year submittedAt people
  kind: __typename
  groups { group count }
  history @skip(if: $noHistory) { at fromStatus toStatus reason source }
  raisedBy { kind people name consent groups { group count } }
  supporters { name }
  referral { target name reason at }
  ... on Need { description personalDataVisible }
  mergedInto
  description
}"""


async def test_a_page_of_needs_is_the_same_with_the_walk_and_mostly_walked(infos: list[int]) -> None:
    variables = {"first": 100, "withVillage": True, "noHistory": False}
    plain = await _run(_PLAIN, PAGE, variables)
    walked = infos[0]
    infos[0] = 0
    normal = await _run(_NORMAL, PAGE, variables)
    assert plain == normal
    body = orjson.loads(plain)
    assert not body["errors"]
    needs = body["data"]["needs"]
    assert len(needs["edges"]) == 100 and needs["totalCount"] == 240
    first = needs["edges"][0]["node"]
    # keys in the order asked (fragment fields, then the field's own), enums by GraphQL name
    assert list(first)[:4] == ["id", "trackingCode", "status", "sector"]
    assert first["status"] == "VALIDATED" and first["sector"] is None
    assert first["submittedAt"] == "2026-03-01T02:10:00+00:00"
    assert first["village"] == {"nameKm": "ភូមិ 1", "latin": "Phum 1", "__typename": "Village"}
    assert needs["edges"][4]["node"]["referral"]["target"] == "DISTRICT"
    # the root field only (the page prepared its villages): not ~2,500 fields one by one
    assert walked == 1 and infos[0] > 2_500


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 3, "withVillage": False, "noHistory": True},
        {"first": 7, "withVillage": True, "noHistory": True},
        {"first": 1, "withVillage": False, "noHistory": False},
    ],
)
async def test_skip_and_include_follow_the_variables(variables: dict[str, Any], infos: list[int]) -> None:
    plain, _ = await _same(PAGE, variables)
    node = orjson.loads(plain)["data"]["needs"]["edges"][0]["node"]
    assert ("history" in node) is not variables["noHistory"]
    assert ("village" in node) is variables["withVillage"]


async def test_money_as_riel_dates_and_nested_nulls_are_the_same(infos: list[int]) -> None:
    query = """{ budget(communeCode: "210103", year: 2027) {
      communeCode year version
      lines { kind amount allocated paid remaining exchangeRate { rielPerUsd asOf } amountUsd }
      totals { amount allocated paid } projects { id } approvals { id meetingId decidedAt needCount __typename }
    } }"""
    plain, _ = await _same(query)
    budget = orjson.loads(plain)["data"]["budget"]
    assert budget["lines"][0]["amount"] == "12500000000" and budget["lines"][0]["paid"] == "-2000"
    assert budget["lines"][0]["allocated"] == "2147483648"  # past 32 bits: a string of digits
    assert budget["lines"][0]["exchangeRate"] == {"rielPerUsd": 4100, "asOf": "2026-01-02"}
    assert budget["lines"][1]["exchangeRate"] is None and budget["lines"][1]["kind"] == "ADMINISTRATION"


async def test_a_single_need_through_the_node_loader_falls_back_and_is_the_same(infos: list[int]) -> None:
    """Without a page, ``village`` awaits the batched loader: the walk of the need gives way to
    graphql-core, whose completion still walks the plain objects below (village, referral)."""
    query = '{ need(id: "TmVlZDpuMDA0") { id village { code nameKm } referral { target at } } }'
    plain = await _run(_PLAIN, query)
    walked = infos[0]
    infos[0] = 0
    normal = await _run(_NORMAL, query)
    assert plain == normal
    assert orjson.loads(plain)["data"]["need"]["village"]["code"] == "21010302"
    # the root, the abandoned call of village, then graphql-core's id, village and referral;
    # without the walk also code, nameKm, target and at
    assert (walked, infos[0]) == (5, 8)


async def test_errors_are_graphql_cores_own(infos: list[int]) -> None:
    """A page of size 0 is refused by the root resolver; a bad cursor too: same errors."""
    for query in (
        "{ needs(first: 0) { totalCount edges { node { id } } } }",
        '{ needs(first: 2, after: "bm90") { totalCount } }',
    ):
        plain, _ = await _same(query)
        assert orjson.loads(plain)["errors"]


async def test_a_mutations_answer_runs_no_resolver_twice(infos: list[int]) -> None:
    """In a mutation a field with its own resolver is left to graphql-core, and the need it
    sits in with it; the plain objects below (groups, history) are still walked."""
    query = """mutation($i: SubmitNeedInput!) { submitNeed(input: $i) {
      trackingCode village { nameLatin } history { toStatus } } }"""
    variables = {"i": {"villageCode": "21010303", "description": "A well", "idempotencyKey": "k1"}}
    plain = await _run(_PLAIN, query, variables)
    walked = infos[0]
    infos[0] = 0
    assert plain == await _run(_NORMAL, query, variables)
    assert orjson.loads(plain)["data"]["submitNeed"]["village"] == {"nameLatin": "Phum 3"}
    # submitNeed, then graphql-core's trackingCode, village, history (nameLatin, toStatus walked)
    assert (walked, infos[0]) == (4, 6)


async def test_an_interface_resolves_its_type_then_the_object_is_walked(infos: list[int]) -> None:
    query = """{ node(id: "TmVlZDpuMDA0") { __typename id ... on Need { status referral { target } } } }"""
    plain, _ = await _same(query)
    assert orjson.loads(plain)["data"]["node"]["referral"] == {"target": "DISTRICT"}


async def test_a_null_where_the_schema_promises_none_is_graphql_cores_error(
    infos: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """intake's contract refuses such an answer in the client; a need built past it (as any bug
    could) still meets graphql-core's own null check."""

    async def broken(self: IntakeClient, caller: Caller, need_id: str) -> NeedView:
        return NeedView.model_validate(_need(0)).model_copy(update={"tracking_code": None})

    monkeypatch.setattr(IntakeClient, "need", broken)
    query = '{ need(id: "TmVlZDpuOTk5") { id groups { group } trackingCode } }'
    plain, _ = await _same(query)
    body = orjson.loads(plain)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unexpected error."  # masked, as every fault is
    assert body["errors"][0]["path"] == ["need", "trackingCode"]
