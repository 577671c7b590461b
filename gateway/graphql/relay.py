"""Relay-style pagination shared by every list: one generic connection, opaque cursors, PageInfo.

Every list of the API is a ``Connection[T]`` (or ``CountedConnection[T]`` when it knows its total);
Strawberry names the edge type after its node (``Edge[Need]`` is ``NeedEdge``), and a list names
its connection by subclassing it with its own description, so the published names stay.
"""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    VariableNode,
    value_from_ast_untyped,
    visit,
)
from graphql.language import Visitor

from gateway.graphql.errors import graphql_error
from gateway.i18n import translate

MAX_PAGE = 100


@strawberry.type(description="Where a page sits in a list, for cursor pagination.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


Node = TypeVar("Node")


@strawberry.type(description="One item in a page, with the cursor that points at it.")
class Edge(Generic[Node]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Node = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list.")
class Connection(Generic[Node]):
    edges: list[Edge[Node]] = strawberry.field(description="The items in this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")


@strawberry.type(description="A page of a list that knows how long it is.")
class CountedConnection(Connection[Node]):
    total_count: int = strawberry.field(description="How many items match in all.")


def encode_cursor(kind: str, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{item_id}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None, lang: str) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, _, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        prefix, item_id = "", ""
    if prefix != kind or not item_id:
        raise graphql_error("page.cursor_invalid", translate(lang, "Invalid cursor."), "after")
    return item_id


def check_first(first: int, lang: str) -> int:
    if not 1 <= first <= MAX_PAGE:
        message = translate(lang, "`first` must be between 1 and %(max)s.", max=MAX_PAGE)
        raise graphql_error("page.size_invalid", message, "first")
    return first


LIST_ARGUMENTS = frozenset({"first", "last", "limit"})
# (argument, literal value) or (argument, variable name, the variable's default)
ListSize = tuple[str, object, str | None]


def list_sizes(document: DocumentNode) -> tuple[ListSize, ...]:
    """Every list-size argument anywhere in the document: a literal, or a variable with its
    default. Depends on the document alone, so it is worked out once per query text."""
    defaults = {
        v.variable.name.value: value_from_ast_untyped(v.default_value) if v.default_value else None
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        for v in d.variable_definitions or ()
    }
    found: list[ListSize] = []

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value not in LIST_ARGUMENTS:
                return
            value = node.value
            if isinstance(value, VariableNode):
                name = value.name.value
                found.append((node.name.value, defaults.get(name), name))
            elif isinstance(value, IntValueNode):
                found.append((node.name.value, int(value.value), None))

    visit(document, Arguments())
    return tuple(found)


def list_cap_error(
    sizes: tuple[ListSize, ...], variables: dict[str, Any] | None, lang: str
) -> GraphQLError | None:
    """One cap for every list argument of the schema (``first``, ``last``, ``limit``): 1 to
    ``MAX_PAGE``, checked once per operation before anything runs, so a field added later
    cannot forget it (``agendaCandidates(first: 100000)`` slipped through a per-field check)."""
    for name, default, variable in sizes:
        value = default if variable is None or not variables else variables.get(variable, default)
        if isinstance(value, int) and not 1 <= value <= MAX_PAGE:
            message = translate(lang, "`first` must be between 1 and %(max)s.", max=MAX_PAGE)
            return graphql_error("page.size_invalid", message, name)
    return None
