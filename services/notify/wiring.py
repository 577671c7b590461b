"""notify's collaborators, each built once by ``app.py`` when the store is open, and the
FastAPI dependencies that hand them to routes.

The arrows point one way: the planner, the inbound handler and the dispatcher take the
exchange (settings, clock, channels, policies); the inbound handler takes the planner; routes
and consumers take what they use. Whoever queues deliveries rings the dispatcher's ``Wakeup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.notify.dispatcher import Dispatcher, Wakeup
from services.notify.exchange import Exchange
from services.notify.inbound import InboundHandler
from services.notify.planner import Planner


@dataclass(frozen=True)
class Collaborators:
    exchange: Exchange
    planner: Planner
    inbound: InboundHandler
    dispatcher: Dispatcher


def get_collaborators(request: Request) -> Collaborators:
    collaborators: Collaborators = request.app.state.notify
    return collaborators


def get_inbound(request: Request) -> InboundHandler:
    return get_collaborators(request).inbound


def get_wakeup(request: Request) -> Wakeup:
    return get_collaborators(request).dispatcher.wakeup


InboundDep = Annotated[InboundHandler, Depends(get_inbound)]
WakeupDep = Annotated[Wakeup, Depends(get_wakeup)]
