"""The GraphQL API integrators build on only grows: no change to the schema may break them.

`contracts/schema.published.graphql` is the API as last published. The live schema may add
types, fields and optional arguments, but graphql-core must find no breaking change against
it (a removed field, a narrowed type, a new required argument...). To publish a new version,
copy `contracts/schema.graphql` over it, on purpose, in its own commit.
"""

from __future__ import annotations

from pathlib import Path

from graphql import BreakingChangeType, build_schema, find_breaking_changes

from gateway.graphql import sdl

PUBLISHED = Path(__file__).resolve().parents[2] / "contracts" / "schema.published.graphql"


def breaking(old: str, new: str) -> list[str]:
    return [
        f"{c.type.name}: {c.description}" for c in find_breaking_changes(build_schema(old), build_schema(new))
    ]


def test_the_live_schema_breaks_nothing_integrators_rely_on() -> None:
    assert breaking(PUBLISHED.read_text(encoding="utf-8"), sdl()) == []


def test_a_removed_field_or_a_narrowed_type_counts_as_breaking() -> None:
    old = "type Query { need(id: ID!): Need }\ntype Need { id: ID! total: Int! rank: Int }"
    removed = "type Query { need(id: ID!): Need }\ntype Need { id: ID! rank: Int }"
    loosened = "type Query { need(id: ID!): Need }\ntype Need { id: ID! total: Int rank: Int }"
    added = "type Query { need(id: ID!): Need }\ntype Need { id: ID! total: Int! rank: Int note: String }"
    assert breaking(old, removed) == [
        f"{BreakingChangeType.FIELD_REMOVED.name}: Field Need.total was removed."
    ]
    assert breaking(old, loosened) and "Need.total" in breaking(old, loosened)[0]
    assert breaking(old, added) == []
