"""The gateway's one typed client of the oversight service (answers in contracts/api/oversight.py)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.api.oversight import OversightView
from gateway.clients.typed import Caller, TypedClient


class OversightClient(TypedClient):
    """Every call the gateway makes to oversight, each with its request and answer models."""

    async def view(
        self,
        caller: Caller,
        *,
        unit: str | None = None,
        year: int | None = None,
        rows: str | None = None,
        places: Sequence[str] = (),
    ) -> OversightView:
        """The figures of ``unit`` (none: the caller's own places) for ``year``, a row per child
        place at the level ``rows`` (province, district or commune); ``places`` are rows shown
        even with nothing heard of yet."""
        params = {"unit": unit, "year": year, "rows": rows, "places": list(places)}
        return await self.call(OversightView, "GET", "/views", caller, params=params)
