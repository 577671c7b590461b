"""The gateway's side of persisted operations (see gateway/persisted.py): a known hash becomes
its operation; where only the allowlist is accepted, other text from a browser is refused."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, lru_cache

from graphql import ASTValidationRule, GraphQLSyntaxError, ValidationRule, parse
from strawberry.extensions import SchemaExtension

from gateway.persisted import allowlist, canonical, digest
from gateway.schema.errors import graphql_error


@lru_cache(maxsize=1000)
def hash_of_text(query: str, max_tokens: int) -> str | None:
    """The hash of a query text in canonical form (None if it does not parse within the limit)."""
    try:
        return digest(canonical(parse(query, max_tokens=max_tokens)))
    except GraphQLSyntaxError:
        return None


@cache
def refusal(code: str, message: str) -> type[ASTValidationRule]:
    """A validation rule that refuses the document: validation errors reach the caller the same
    way over HTTP and over the WebSocket, where an error raised earlier would end the
    subscription without a word. One class per (code, message), so the validation cache hits."""

    class Refused(ValidationRule):
        def enter_document(self, *_: object) -> None:
            self.report_error(graphql_error(code, message))

    return Refused


class PersistedOperations(SchemaExtension):
    """Turns a persisted-query hash into its operation; refuses other text where it must."""

    def __init__(self, *, enforce: bool, max_tokens: int, max_chars: int) -> None:
        super().__init__()
        self.enforce = enforce
        self.max_tokens = max_tokens
        self.max_chars = max_chars

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
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
        ):
            refused = (
                "graphql.persisted_only",
                context.t("Send your own queries with an API token (see the integrators' guide)."),
            )
        if refused is not None:
            ctx.query = ctx.query or "{ __typename }"
            ctx.validation_rules = (*ctx.validation_rules, refusal(*refused))
        yield
