"""The gateway's one typed client of the budget service (answers in contracts/api/budget.py)."""

from __future__ import annotations

from gateway.clients.typed import TypedClient


class BudgetClient(TypedClient):
    """Every call the gateway makes to budget, each with its request and answer models."""
