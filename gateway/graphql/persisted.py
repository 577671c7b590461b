"""The gateway's side of persisted operations (see gateway/persisted.py): a known hash becomes
its operation; where only the allowlist is accepted, other text from a browser is refused.

Two kinds of text are open without an API token even there, because docs/integrators.md
promises them: the public reads (``PUBLIC_FIELDS``), from anyone; and the few operations an
admin runs from a script to get a token (``SCRIPT_FIELDS``), only from a client that is not a
browser page. Browsers mark every fetch with ``Sec-Fetch-Mode`` and a page's script cannot take
it off, so a script injected into a page still meets the allowlist.
"""

from __future__ import annotations

from functools import cache, lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    parse,
)
from strawberry.types import ExecutionContext

from gateway.graphql.errors import graphql_error
from gateway.persisted import allowlist, canonical, digest


@lru_cache(maxsize=1000)
def hash_of_text(query: str, max_tokens: int) -> str | None:
    """The hash of a query text in canonical form (None if it does not parse within the limit)."""
    try:
        return digest(canonical(parse(query, max_tokens=max_tokens)))
    except GraphQLSyntaxError:
        return None


PUBLIC_FIELDS = frozenset(
    {"needByTrackingCode", "needStats", "transparency", "__typename", "__schema", "__type"}
)
SCRIPT_FIELDS = PUBLIC_FIELDS | {"login", "setPassword", "createApiToken", "revokeApiToken", "apiTokens"}


def _fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> set[str]:
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                names |= _fields(fragments[name].selection_set, fragments, seen)
    return names


@lru_cache(maxsize=1000)
def root_fields(query: str, max_tokens: int) -> frozenset[str] | None:
    """Every root field any operation of the document selects (None if it does not parse)."""
    try:
        document: DocumentNode = parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            names |= _fields(definition.selection_set, fragments, set())
    return frozenset(names)


def from_browser(context: object) -> bool:
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", {})
    return "sec-fetch-mode" in headers or "sec-fetch-site" in headers


@cache
def refusal(code: str, message: str) -> type[ASTValidationRule]:
    """A validation rule that refuses the document: validation errors reach the caller the same
    way over HTTP and over the WebSocket, where an error raised earlier would end the
    subscription without a word. One class per (code, message), so the validation cache hits."""

    class Refused(ValidationRule):
        def enter_document(self, *_: object) -> None:
            self.report_error(graphql_error(code, message))

    return Refused


class PersistedOperations:
    """Turns a persisted-query hash into its operation; refuses other text where it must.

    Not a schema extension of its own: ``gateway/graphql/gate.py`` calls it from the one
    extension the schema has (each extension costs a context manager per phase per request)."""

    def __init__(self, *, enforce: bool, max_tokens: int, max_chars: int) -> None:
        self.enforce = enforce
        self.max_tokens = max_tokens
        self.max_chars = max_chars

    def open_text(self, query: str, context: object) -> bool:
        fields = root_fields(query, self.max_tokens)
        allowed = PUBLIC_FIELDS if from_browser(context) else SCRIPT_FIELDS
        return fields is not None and bool(fields) and fields <= allowed

    def apply(self, ctx: ExecutionContext) -> type[ASTValidationRule] | None:
        """Put the operation's text on ``ctx``; a refusal comes back as a validation rule (which
        reaches HTTP and WebSocket callers alike), None when the operation may run."""
        requested = (ctx.operation_extensions or {}).get("persistedQuery")
        context = ctx.context
        refused: tuple[str, str] | None = None
        if ctx.query and len(ctx.query) > self.max_chars:
            # Comments and whitespace are not tokens: without this a 2 MB comment is parsed.
            ctx.query = None
            refused = (
                "limit.query_size",
                context.t("The query is too long (at most %(n)s characters).", n=self.max_chars),
            )
        elif isinstance(requested, dict):
            operation = allowlist().get(str(requested.get("sha256Hash")))
            if operation is None:
                refused = (
                    "graphql.operation_unknown",
                    context.t("Your page is out of date. Please reload it."),
                )
            else:
                ctx.query = operation.text
        elif (
            self.enforce
            and context.api_token is None
            and ctx.query
            and hash_of_text(ctx.query, self.max_tokens) not in allowlist()
            and not self.open_text(ctx.query, context)
        ):
            refused = (
                "graphql.persisted_only",
                context.t("Send your own queries with an API token (see the integrators' guide)."),
            )
        if refused is None:
            return None
        ctx.query = ctx.query or "{ __typename }"
        return refusal(*refused)
