"""What notify's consumers, routes and dispatcher share: settings, clock, channels, policies.

Built once by the composition root (``app.py``); tests build one with a fixed clock and a
seeded random source. It knows none of the collaborators that use it (planner, inbound handler,
dispatcher): they take it, never the other way round.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from contracts.notify import DeliveryChannel
from services.notify.channels import LOCAL_CHANNELS, ChannelAdapter
from services.notify.domain.delivery import RetryPolicy
from services.notify.domain.quiet import Clock, QuietHours
from services.notify.domain.ratelimit import RateLimits
from services.notify.settings import NotifySettings


@dataclass
class Exchange:
    settings: NotifySettings
    clock: Clock
    adapters: dict[DeliveryChannel, ChannelAdapter]
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.quiet: QuietHours | None = self.settings.quiet
        self.quiet_channels = frozenset(self.settings.quiet_channels)
        self.retry = RetryPolicy(
            base_seconds=self.settings.retry_base_seconds,
            cap_seconds=max(self.settings.retry_cap_seconds, self.settings.retry_base_seconds),
            max_attempts=self.settings.max_attempts,
        )
        self.rate_limits = RateLimits(self.settings.rate_limits)

    @property
    def enabled(self) -> frozenset[DeliveryChannel]:
        return frozenset(self.adapters) | LOCAL_CHANNELS

    async def start(self) -> None:
        for adapter in self.adapters.values():
            await adapter.start()

    async def close(self) -> None:
        for adapter in self.adapters.values():
            await adapter.close()


def get_exchange(request: Request) -> Exchange:
    exchange: Exchange = request.app.state.exchange
    return exchange


ExchangeDep = Annotated[Exchange, Depends(get_exchange)]
