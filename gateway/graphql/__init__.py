"""The GraphQL schema, one module per context, merged here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.field import StrawberryField

from gateway.graphql import (
    accounts,
    budget,
    identity,
    meetings,
    needs,
    node,
    notifications,
    oversight,
    privacy,
)
from gateway.graphql.documents import Documents, LeanRunner
from gateway.graphql.errors import is_expected
from gateway.graphql.executor import ATTRIBUTE_MARK, NormalExecutionContext, PlainFieldsExecutionContext
from gateway.graphql.persisted import PersistedOperations

# Each context module lists its root types in QUERIES, MUTATIONS and SUBSCRIPTIONS.
_MODULES = (node, identity, accounts, needs, meetings, budget, notifications, privacy, oversight)
Query = merge_types("Query", tuple(t for m in _MODULES for t in m.QUERIES))
Mutation = merge_types("Mutation", tuple(t for m in _MODULES for t in m.MUTATIONS))
Subscription = merge_types("Subscription", tuple(t for m in _MODULES for t in m.SUBSCRIPTIONS))

LIMITS = {"max_depth": 10, "max_tokens": 2000, "max_aliases": 15, "max_query_chars": 20_000}
# The limits as validation rules made once: the validation cache is keyed by the rules too, and
# QueryDepthLimiter or MaxAliasesLimiter would make new rule classes on every request.
_LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    depth_rule(LIMITS["max_depth"], None),
    aliases_rule(LIMITS["max_aliases"]),
)


def _attribute(name: str) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    def resolve(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
        return getattr(source, name)

    resolve._is_default = True  # type: ignore[attr-defined]  # as Strawberry marks its own
    setattr(resolve, ATTRIBUTE_MARK, name)  # the plain-fields walk reads the attribute itself
    return resolve


def _read_attributes_directly(schema: GraphQLSchema) -> None:
    """A field that only reads an attribute (no resolver, no extension) reads it in one call.

    Strawberry's resolver for such a field calls the field's ``get_result``, which calls the
    configured default resolver (``getattr``): three calls for each of the ~1,100 fields of a
    page of needs. The result is the same attribute; only the calls go."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType):
            continue
        for graphql_field in named.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolve = graphql_field.resolve
            if (
                isinstance(field, StrawberryField)
                and field.default_resolver is getattr
                and getattr(resolve, "__name__", "") == "_get_basic_result"
            ):
                graphql_field.resolve = _attribute(field.python_name)


class KhumSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _read_attributes_directly(self._schema)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Refusals with a code are answers, not faults: log only the unexpected ones."""
        unexpected = [error for error in errors if not is_expected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(
    *, production: bool = False, persisted_only: bool | None = None, plain_fields: bool = True
) -> strawberry.Schema:
    """In production, field suggestions are off (they help guess hidden names) and browser
    sessions may send only the PWA's persisted operations; introspection stays on because third
    parties build on this API. ``plain_fields``: objects that only carry attributes are written
    out by a walk of the selection (gateway/graphql/executor.py), not field by field."""
    enforce = production if persisted_only is None else persisted_only
    persisted = PersistedOperations(
        enforce=enforce, max_tokens=LIMITS["max_tokens"], max_chars=LIMITS["max_query_chars"]
    )
    return KhumSchema(
        config=StrawberryConfig(disable_field_suggestions=production),
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=PlainFieldsExecutionContext if plain_fields else NormalExecutionContext,
        extensions=[
            # The PWA and integrators send the same few documents over and over: parse and
            # validate each once (bounded LRU caches), not on every request. One extension does
            # it all, with persisted operations, list caps and error codes: each extension
            # costs context managers on every request.
            lambda: Documents(persisted=persisted, max_tokens=LIMITS["max_tokens"], rules=_LIMIT_RULES),
        ],
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
