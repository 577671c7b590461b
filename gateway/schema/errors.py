"""GraphQL errors always carry a stable ``extensions.code`` (and ``field`` where one applies)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from gateway.clients import ServiceError


def graphql_error(code: str, message: str, field: str | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"code": code}
    if field:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def from_service(error: ServiceError) -> GraphQLError:
    return graphql_error(error.code, error.message, error.field)


def is_expected(error: GraphQLError) -> bool:
    """Errors we raised on purpose (they carry a code) are shown; anything else is masked."""
    original = error.original_error
    if original is None:
        return True  # parse and validation errors: safe and useful to integrators
    return isinstance(original, GraphQLError) and "code" in (original.extensions or {})


_LIMIT_CODES = (
    ("aliases found", "limit.aliases"),
    ("tokens", "limit.tokens"),
    ("maximum operation depth", "limit.depth"),
    ("Syntax Error", "graphql.syntax"),
    ("Unexpected error", "internal"),
)


def code_for_message(message: str) -> str:
    """A stable code for errors raised by the GraphQL machinery itself (limits, parsing)."""
    for fragment, code in _LIMIT_CODES:
        if fragment in message:
            return code
    return "graphql.invalid"


def with_codes(errors: list[Any]) -> list[Any]:
    """Every error an integrator sees carries ``extensions.code``."""
    for error in errors:
        extensions = error.setdefault("extensions", {})
        extensions.setdefault("code", code_for_message(str(error.get("message", ""))))
    return errors
