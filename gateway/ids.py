"""Global ids: base64 of ``<Type>:<id>``, so integrators can fetch any object again.

Plain functions, shared by the GraphQL API (``gateway.graphql.ids`` adds the ``Node`` interface)
and the pages, which accept either form in their links.
"""

from __future__ import annotations

import base64
import binascii


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
