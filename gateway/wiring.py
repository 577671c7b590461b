"""What the gateway wires once at start, shared by the GraphQL API and the PWA pages.

Neither side imports the other (import contract `pages-and-graphql-apart`); both take this.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.bridge import EventBridge
from gateway.clients import Clients
from gateway.identity.accounts import Accounts
from gateway.identity.admin import Admin, Throttle
from gateway.settings import GatewaySettings


@dataclass
class Gateway:
    """Everything the gateway wired at start, shared by GraphQL and the PWA routes."""

    settings: GatewaySettings
    accounts: Accounts
    clients: Clients
    bridge: EventBridge
    admin: Admin
    throttle: Throttle
