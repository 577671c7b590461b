"""Global ids: every object an integrator can fetch again with ``node(id)``.

A global id is base64 of ``<Type>:<id>``. Mutations and queries accept either the global id
or the plain id a service gave, so older clients keep working.
"""

from __future__ import annotations

import base64

import strawberry

from gateway.ids import parse_global, raw_id

__all__ = ["KEY_FORMAT", "Node", "parse_global", "raw_id", "to_global"]

# Every idempotencyKey in the schema has this form (the services refuse any other).
KEY_FORMAT = "8 to 100 characters of A-Z, a-z, 0-9, _ - : . (a UUID fits)."


@strawberry.interface(description="Anything that can be fetched again by its global id with node(id).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id, stable across the API.")


def to_global(kind: str, raw: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{raw}".encode()).decode().rstrip("="))
