"""Walk every field the public and the non-council views return, chosen by introspection so
new fields are walked too, and find no personal data and no group count under 5."""

from __future__ import annotations

import re
import uuid
from typing import Any

from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL

SECRETS = ("ស្រីពៅ", "Tampuan-Kreung", "012777666", "Khum-Private-Name")
SMALL = re.compile(r"^[0-4]$")


async def _selection(
    client: GraphQL, type_name: str, depth: int = 0, seen: frozenset[str] = frozenset()
) -> str:
    """Every field of a type, nested objects included (arguments left to their defaults)."""
    body = await client.execute(
        "query($n: String!) { __type(name: $n) { fields { name args { name defaultValue type { kind } } "
        "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }",
        {"n": type_name},
    )
    parts = []
    for field in body["data"]["__type"]["fields"]:
        if any(a["defaultValue"] is None and a["type"]["kind"] == "NON_NULL" for a in field["args"]):
            continue
        kind, name = _named(field["type"])
        if kind in ("SCALAR", "ENUM"):
            parts.append(field["name"])
        elif kind == "OBJECT" and depth < 3 and name not in seen:
            inner = await _selection(client, name, depth + 1, seen | {type_name})
            parts.append(f"{field['name']} {{ {inner} }}")
    return " ".join(parts)


def _named(type_ref: dict[str, Any]) -> tuple[str, str]:
    while type_ref["kind"] in ("NON_NULL", "LIST"):
        type_ref = type_ref["ofType"]
    return type_ref["kind"], type_ref["name"]


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for key, inner in value.items() for item in _walk(inner, f"{path}.{key}")]
    if isinstance(value, list):
        return [item for i, inner in enumerate(value) for item in _walk(inner, f"{path}[{i}]")]
    return [(path, value)]


def _check(result: dict[str, Any]) -> int:
    assert "errors" not in result, result
    leaves = _walk(result["data"])
    for path, value in leaves:
        for secret in SECRETS:
            assert secret not in str(value), f"personal data at {path}"
        if path.endswith(".count"):
            assert not SMALL.match(str(value)), f"a small group count is shown at {path}: {value}"
    return len(leaves)


async def test_public_and_outsider_views_carry_no_personal_data_and_no_small_counts(
    stack: Stack, facilitator: GraphQL
) -> None:
    person = {
        "name": "ស្រីពៅ Khum-Private-Name",
        "sex": "female",
        "disability": "medium",
        "idpoorLevel": 2,
        "indigenousGroup": "Tampuan-Kreung",
        "migrantStatus": "working_abroad",
        "consent": "signed",
        "contactChannel": "sms",
        "contactAddress": "012777666",
    }
    need = {
        "villageCode": "16010103",
        "description": "ផ្លូវទៅមណ្ឌលសុខភាព",
        "idempotencyKey": uuid.uuid4().hex,
        "sector": "SOCIAL",
        "raisedBy": person,
    }
    created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]

    anonymous = GraphQL(stack.url)
    try:
        public = await _selection(anonymous, "PublicNeed")
        stats = await _selection(anonymous, "NeedStats")
        walked = _check(
            await anonymous.execute(
                f"query($c: String!) {{ needByTrackingCode(code: $c) {{ {public} }} }}",
                {"c": created["trackingCode"]},
            )
        )
        walked += _check(await anonymous.execute(f'{{ needStats(communeCode: "160101") {{ {stats} }} }}'))

        # The facilitator recorded it but is not on the council: counts only, small ones hidden.
        outsider = await _selection(facilitator, "Need")
        walked += _check(
            await facilitator.execute(
                f"query($id: ID!) {{ need(id: $id) {{ {outsider} }} }}", {"id": created["id"]}
            )
        )
        walked += _check(
            await facilitator.execute(f"{{ needs(first: 100) {{ edges {{ node {{ {outsider} }} }} }} }}")
        )
        walked += _check(await facilitator.execute(f'{{ needStats(communeCode: "160101") {{ {stats} }} }}'))
        assert walked > 200  # the walk really covered the views
    finally:
        await anonymous.close()


async def test_the_council_of_the_commune_does_see_the_details(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    need = {
        "villageCode": "16010103",
        "description": "ទឹកស្អាត",
        "idempotencyKey": uuid.uuid4().hex,
        "raisedBy": {"name": "ស្រីពៅ Khum-Private-Name", "consent": "verbal", "sex": "female"},
    }
    created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    body = await council.execute(
        "query($id: ID!) { need(id: $id) { raisedBy { name } } }", {"id": created["id"]}
    )
    assert body["data"]["need"]["raisedBy"] == [{"name": "ស្រីពៅ Khum-Private-Name"}]
