"""The gateway's one typed client of the meetings service (answers in contracts/api/meetings.py)."""

from __future__ import annotations

from gateway.clients.typed import TypedClient


class MeetingsClient(TypedClient):
    """Every call the gateway makes to meetings, each with its request and answer models."""
