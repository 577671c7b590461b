"""GraphQL errors always carry a stable ``extensions.code`` (and ``field`` where one applies)."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, VariableDefinitionNode

from gateway.clients import ServiceError
from gateway.i18n import translate
from services.runtime.http import UNAVAILABLE


def graphql_error(code: str, message: str, field: str | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"code": code}
    if field:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def from_service(error: ServiceError) -> GraphQLError:
    return graphql_error(error.code, error.message, error.field)


_VARIABLE = re.compile(
    r"^Variable '\$(?P<name>\w+)' has invalid value(?: at (?P<at>[^:]+))?: (?P<detail>.*)$", re.S
)
MASKED_MESSAGE = "Unexpected error."
UNAVAILABLE_MESSAGE = {
    "en": "The service cannot save this right now. Please try again shortly.",
    "km": "សេវាមិនអាចរក្សាទុកបានទេឥឡូវនេះ។ សូមព្យាយាមម្តងទៀតបន្តិចទៀត។",
}
_NAMED_FIELD = re.compile(r"(?:required|unknown) field '(\w+)'")
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def variable_path(error: GraphQLError) -> list[str | int] | None:
    """The GraphQL path of the offending value (``["i", "idempotencyKey"]``) when the error is
    graphql-core's refusal of a variable, else None. graphql-core gives the path only in its
    message, so it is read from there (``Variable '$i' has invalid value at .x[0]: ...``)."""
    node = error.nodes[0] if error.nodes else None
    if not isinstance(node, VariableDefinitionNode):
        return None
    found = _VARIABLE.match(error.message)
    if found is None:
        return [node.variable.name.value]
    path: list[str | int] = [found["name"]]
    for name, index in _STEP.findall(found["at"] or ""):
        path.append(name or int(index))
    named = _NAMED_FIELD.search(found["detail"])
    if named:
        path.append(named[1])
    return path


def is_expected(error: GraphQLError) -> bool:
    """Errors we raised on purpose (they carry a code) are shown; anything else is masked."""
    original = error.original_error
    if original is None or variable_path(error) is not None:
        return True  # parse, validation and variable errors: safe and useful to integrators
    if isinstance(original, ServiceError):
        return True  # a service's refusal, with its code and localized message
    return isinstance(original, GraphQLError) and "code" in (original.extensions or {})


def input_error(error: GraphQLError, path: list[str | int], lang: str) -> GraphQLError:
    """``request.invalid`` with the field's path; a scalar that refused with its own code (a
    Riel, say) keeps its code and message, and gains the path."""
    field = ".".join(str(step) for step in path)
    original = error.original_error
    own = dict(original.extensions or {}) if isinstance(original, GraphQLError) else {}
    if "code" in own:
        assert isinstance(original, GraphQLError)
        return GraphQLError(original.message, error.nodes, extensions={**own, "field": field, "path": path})
    detail = _VARIABLE.match(error.message)
    return GraphQLError(
        translate(lang, "This value is missing or invalid: %(field)s.", field=field),
        error.nodes,
        extensions={
            "code": "request.invalid",
            "field": field,
            "path": path,
            "detail": detail["detail"] if detail else error.message,
        },
    )


def refused(error: GraphQLError, refusal: ServiceError) -> GraphQLError:
    """A service's refusal raised by a typed client inside a resolver: its code, its message in
    the caller's language, and the field it names, at the resolver's path."""
    extensions: dict[str, object] = {"code": refusal.code}
    if refusal.field:
        extensions["field"] = refusal.field
    return GraphQLError(
        refusal.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def masked(error: GraphQLError, lang: str) -> GraphQLError:
    """What the caller sees of an unexpected error: nothing of its message or cause."""
    if isinstance(error.original_error, UNAVAILABLE):
        # A store or broker that cannot take a write now is not a bug: ``service.unavailable``
        # (retry later), as when a service answers 503.
        return GraphQLError(
            UNAVAILABLE_MESSAGE["en" if lang == "en" else "km"],
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "service.unavailable", "retryable": True},
        )
    return GraphQLError(
        MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
    )


def coded_errors(errors: list[GraphQLError], lang: str) -> list[GraphQLError]:
    """Masks the unexpected and turns graphql-core's refusals of variables into
    ``request.invalid`` with the GraphQL path of the field, over HTTP and WebSocket alike."""
    coded = []
    for error in errors:
        path = variable_path(error)
        if path is not None:
            coded.append(input_error(error, path, lang))
        elif isinstance(error.original_error, ServiceError):
            coded.append(refused(error, error.original_error))
        elif is_expected(error):
            coded.append(error)
        else:
            coded.append(masked(error, lang))
    return coded


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
