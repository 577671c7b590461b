"""Each distinct GraphQL document is parsed and validated once, in one schema extension.

It does what Strawberry's ParserCache, ValidationCache, MaxTokensLimiter and
AddValidationRules did together, for less: every extension costs a context manager per
phase per request (a fifth of a small request's time), and ValidationCache keys its cache by
the parsed document, whose hash walks the whole syntax tree on every request. Here the
validation cache is keyed by the query text (a string caches its hash), which determines the
document, and by the rules in force (persisted-operation refusals add one).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Rules = tuple[type[ASTValidationRule], ...]
# Distinct documents kept: the PWA's few dozen and integrators' own, bounded so unique query
# texts from a caller cannot grow memory without limit.
CACHED_DOCUMENTS = 1000


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parsed(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class _Validations:
    """A bounded LRU of validation results by (schema, query text, rules)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._results: OrderedDict[tuple[int, str, Rules], list[GraphQLError]] = OrderedDict()

    def of(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        key = (id(schema), query, rules)
        found = self._results.get(key)
        if found is not None:
            self._results.move_to_end(key)
            return found
        errors = validate_document(schema, document, rules)
        self._results[key] = errors
        while len(self._results) > self.size:
            self._results.popitem(last=False)
        return errors


_validations = _Validations(CACHED_DOCUMENTS)


class Documents(SchemaExtension):
    """Token limit and extra validation rules, with parsing and validation cached."""

    def __init__(self, *, max_tokens: int, rules: Rules) -> None:
        super().__init__()
        self.max_tokens = max_tokens
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.parse_options["max_tokens"] = self.max_tokens
        ctx.validation_rules = (*ctx.validation_rules, *self.rules)
        yield

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            ctx.graphql_document = _parsed(ctx.query, self.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.query:
            rules = tuple(ctx.validation_rules)
            ctx.pre_execution_errors = _validations.of(
                ctx.schema._schema, ctx.query, ctx.graphql_document, rules
            )
        yield
