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
from types import TracebackType
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import validate_document
from strawberry.types import StreamExecutionResult

from gateway.graphql.errors import coded_errors
from gateway.graphql.persisted import PersistedOperations
from gateway.graphql.relay import ListSize, list_cap_error, list_sizes

Rules = tuple[type[ASTValidationRule], ...]
# Distinct documents kept: the PWA's few dozen and integrators' own, bounded so unique query
# texts from a caller cannot grow memory without limit.
CACHED_DOCUMENTS = 1000


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parsed(query: str, max_tokens: int) -> tuple[DocumentNode, tuple[ListSize, ...]]:
    """The document and its list-size arguments (both depend on the text alone)."""
    document = parse(query, max_tokens=max_tokens)
    return document, list_sizes(document)


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
    """The schema's one extension: persisted operations, the token and size limits, parsing
    and validation (cached per query text), the list caps, and error codes and masking.

    One ``on_operation`` hook does all of it (Strawberry runs each hook of each extension as a
    context manager, per request): the document is parsed and validated before Strawberry's
    own parse and validation phases, which then find nothing left to do. A text that does not
    parse is left to Strawberry, which raises the same syntax error in its parse phase."""

    def __init__(self, *, persisted: PersistedOperations, max_tokens: int, rules: Rules) -> None:
        super().__init__()
        self.persisted = persisted
        self.max_tokens = max_tokens
        self.rules = (*specified_rules, *rules)
        self._streamed = False

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        refusal = self.persisted.apply(ctx)
        rules = self.rules if refusal is None else (*self.rules, refusal)
        query = ctx.query
        if query:
            ctx.parse_options["max_tokens"] = self.max_tokens
            try:
                document, sizes = _parsed(query, self.max_tokens)
            except GraphQLError:
                pass  # Strawberry parses again in its parse phase and answers the syntax error
            else:
                ctx.graphql_document = document
                # Set here, Strawberry's own validation (with ctx.validation_rules) is skipped.
                refused = _validations.of(ctx.schema._schema, query, document, rules)
                if sizes and not refused:
                    capped = list_cap_error(sizes, ctx.variables, self._lang())
                    if capped is not None:
                        refused = [capped]
                ctx.pre_execution_errors = refused
        yield
        if self._streamed:
            return  # a subscription's results were handled one by one
        result: Any = ctx.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = coded_errors(errors, self._lang())

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Each result of a subscription over the WebSocket, before it is sent."""
        self._streamed = True
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = coded_errors(errors, self._lang())  # type: ignore[union-attr]
        yield

    def _lang(self) -> str:
        return str(getattr(self.execution_context.context, "lang", "km"))


class _Lean(ExtensionContextManagerBase):
    """A phase no extension hooks into costs nothing (Strawberry makes an exit stack anyway)."""

    async def __aenter__(self) -> None:
        if self.hooks:
            await super().__aenter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.hooks:
            await super().__aexit__(exc_type, exc, tb)


class _Operation(_Lean, OperationContextManager):
    pass


class _Parsing(_Lean, ParsingContextManager):
    pass


class _Validation(_Lean, ValidationContextManager):
    pass


class _Executing(_Lean, ExecutingContextManager):
    pass


class LeanRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
