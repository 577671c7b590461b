"""Global ids: every object an integrator can fetch again with ``node(id)``.

A global id is base64 of ``<Type>:<id>``. Mutations and queries accept either the global id
or the plain id a service gave, so older clients keep working.
"""

from __future__ import annotations

import base64
import binascii

import strawberry

# Every idempotencyKey in the schema has this form (the services refuse any other).
KEY_FORMAT = "8 to 100 characters of A-Z, a-z, 0-9, _ - : . (a UUID fits)."


@strawberry.interface(description="Anything that can be fetched again by its global id with node(id).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id, stable across the API.")


def to_global(kind: str, raw: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{raw}".encode()).decode().rstrip("="))


def parse_global(value: str) -> tuple[str, str] | None:
    padded = value + "=" * (-len(value) % 4)
    try:
        kind, sep, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not sep or not kind.isalpha() or not raw:
        return None
    return kind, raw


def raw_id(kind: str, value: str) -> str:
    """The service's own id from a global id of ``kind``, or the value itself if it is plain."""
    parsed = parse_global(str(value))
    return parsed[1] if parsed and parsed[0] == kind else str(value)
