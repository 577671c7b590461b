"""The gateway's typed clients, one per service, shared by the GraphQL API and the pages.

Only this package speaks HTTP to the services (``http.py``); everything else calls a typed
client's method with a :class:`Caller` and gets a model from ``contracts/api`` back.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.clients.budget import BudgetClient
from gateway.clients.errors import ServiceError, graphql_name, segment
from gateway.clients.http import ServiceClient
from gateway.clients.intake import IntakeClient
from gateway.clients.meetings import MeetingsClient
from gateway.clients.notify import NotifyClient
from gateway.clients.oversight import OversightClient
from gateway.clients.typed import Caller

__all__ = ["Caller", "Clients", "ServiceClient", "ServiceError", "graphql_name", "open_clients", "segment"]


@dataclass(frozen=True)
class Clients:
    intake: IntakeClient
    meetings: MeetingsClient
    budget: BudgetClient
    notify: NotifyClient
    oversight: OversightClient

    async def close(self) -> None:
        for client in (self.intake, self.meetings, self.budget, self.notify, self.oversight):
            await client.close()


def open_clients(urls: dict[str, str], secret: str, timeout: float) -> Clients:
    """One pooled connection per service for the gateway's life."""

    def http(name: str) -> ServiceClient:
        return ServiceClient(name, urls[name], secret, timeout)

    return Clients(
        intake=IntakeClient(http("intake")),
        meetings=MeetingsClient(http("meetings")),
        budget=BudgetClient(http("budget")),
        notify=NotifyClient(http("notify")),
        oversight=OversightClient(http("oversight")),
    )
