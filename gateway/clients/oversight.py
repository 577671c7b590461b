"""The gateway's one typed client of the oversight service (answers in contracts/api/oversight.py)."""

from __future__ import annotations

from gateway.clients.typed import TypedClient


class OversightClient(TypedClient):
    """Every call the gateway makes to oversight, each with its request and answer models."""
