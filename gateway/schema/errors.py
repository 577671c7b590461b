"""GraphQL errors always carry a stable ``extensions.code`` (and ``field`` where one applies)."""

from __future__ import annotations

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
