"""The GraphQL schema, one module per context, merged here."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.schema import accounts, budget, identity, meetings, needs, node, notifications, privacy
from gateway.schema.errors import is_expected

# Each context module lists its root types in QUERIES, MUTATIONS and SUBSCRIPTIONS.
_MODULES = (node, identity, accounts, needs, meetings, budget, notifications, privacy)
Query = merge_types("Query", tuple(t for m in _MODULES for t in m.QUERIES))
Mutation = merge_types("Mutation", tuple(t for m in _MODULES for t in m.MUTATIONS))
Subscription = merge_types("Subscription", tuple(t for m in _MODULES for t in m.SUBSCRIPTIONS))

LIMITS = {"max_depth": 10, "max_tokens": 2000, "max_aliases": 15}


class KhumSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Refusals with a code are answers, not faults: log only the unexpected ones."""
        unexpected = [error for error in errors if not is_expected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """In production, field suggestions are off (they help guess hidden names); introspection
    stays on because third parties build on this API."""
    return KhumSchema(
        config=StrawberryConfig(disable_field_suggestions=production),
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=LIMITS["max_depth"]),
            lambda: MaxTokensLimiter(max_token_count=LIMITS["max_tokens"]),
            lambda: MaxAliasesLimiter(max_alias_count=LIMITS["max_aliases"]),
            lambda: MaskErrors(should_mask_error=lambda error: not is_expected(error)),
        ],
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
