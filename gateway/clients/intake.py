"""The gateway's one typed client of the intake service (answers in contracts/api/intake.py)."""

from __future__ import annotations

from gateway.clients.typed import TypedClient


class IntakeClient(TypedClient):
    """Every call the gateway makes to intake, each with its request and answer models."""
