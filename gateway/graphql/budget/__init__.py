"""Budget in GraphQL: lines, CIP projects, allocations, the ledger, and the public transparency view.

Money is the ``Riel`` scalar: whole riel as a string of digits (see ``riel``). The budget service
holds the rules and the data; these resolvers call it through the typed client
(``info.context.clients.budget``) and only translate its models. One module per concept:
``riel`` (the scalar, enums), ``lines``, ``projects``, ``transparency``, ``inputs``, and the root
types in ``queries`` and ``mutations``.
"""

from __future__ import annotations

from gateway.graphql.budget.mutations import BudgetMutation
from gateway.graphql.budget.projects import Project
from gateway.graphql.budget.queries import BudgetQuery

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "Project"]

QUERIES: tuple[type, ...] = (BudgetQuery,)
MUTATIONS: tuple[type, ...] = (BudgetMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
