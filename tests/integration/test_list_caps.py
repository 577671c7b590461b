"""Every list argument of the schema (found by introspection, so a new one is covered too) is
capped at 100, as a literal and through a variable: agendaCandidates(first: 100000) was not."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL

INTROSPECT = """{ __schema { queryType { fields { name args { name type { kind name ofType { kind name
  ofType { kind name } } } } type { kind name ofType { kind name ofType { kind name } } } } } } }"""
DUMMY = {"String": '"160101"', "Int": "1", "Date": '"2030-01-05"', "ID": '"x"', "Boolean": "false"}
LISTS = ("first", "last", "limit")


def _named(ref: dict[str, Any]) -> tuple[bool, str]:
    required = ref["kind"] == "NON_NULL"
    while ref.get("ofType"):
        ref = ref["ofType"]
    return required, ref["name"]


def _call(field: dict[str, Any], size: str) -> str | None:
    args = []
    for arg in field["args"]:
        required, name = _named(arg["type"])
        if arg["name"] in LISTS:
            args.append(f"{arg['name']}: {size}")
        elif required:
            if name not in DUMMY:
                return None
            args.append(f"{arg['name']}: {DUMMY[name]}")
    return f"{field['name']}({', '.join(args)}) {{ __typename }}"


async def test_every_list_argument_is_capped_at_100(council: GraphQL) -> None:
    fields = (await council.execute(INTROSPECT))["data"]["__schema"]["queryType"]["fields"]  # type: ignore[index]
    capped = [f for f in fields if any(a["name"] in LISTS for a in f["args"])]
    assert {"agendaCandidates", "needs", "meetings", "notifications"} <= {f["name"] for f in capped}
    checked = []
    for field in capped:
        for size in ("100000", "0", "-1"):
            call = _call(field, size)
            assert call is not None, f"cannot fill the arguments of {field['name']}"
            body = await council.execute(f"{{ {call} }}")
            assert body.get("data") is None, (call, body)
            assert body["errors"][0]["extensions"]["code"] == "page.size_invalid", (call, body)  # type: ignore[index]
        arg = next(a["name"] for a in field["args"] if a["name"] in LISTS)
        by_variable = _call(field, "$n")
        body = await council.execute(f"query($n: Int!) {{ {by_variable} }}", {"n": 100000})
        assert body["errors"][0]["extensions"]["code"] == "page.size_invalid", (field["name"], body)  # type: ignore[index]
        assert body["errors"][0]["extensions"]["field"] == arg  # type: ignore[index]
        checked.append(field["name"])
    ok = await council.execute('{ agendaCandidates(communeCode: "160101", first: 100) { id } }')
    assert "errors" not in ok, ok
    assert len(checked) == len(capped)
