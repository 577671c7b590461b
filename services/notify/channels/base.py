"""The one interface every outbound channel adapter implements.

An adapter sends one message and either returns what the channel said (:class:`Sent`) or raises
:class:`SendError`: ``permanent`` when trying again cannot help (a number that does not exist, a
push subscription that is gone), transient otherwise (timeouts, 5xx, 429 with Retry-After). The
dispatcher owns retries, quiet hours, rate limits and the delivery's state; adapters own only
the protocol. A channel is off when its settings are missing: it then has no adapter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from contracts.notify import DeliveryChannel


@dataclass(frozen=True)
class Outbound:
    delivery_id: str
    channel: DeliveryChannel
    address: str
    """Phone number (E.164), Telegram chat id, e-mail address, or push endpoint URL."""
    text: str
    language: str = "km"
    subject: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict)
    """Push only: the subscription's ``p256dh`` and ``auth`` (base64url)."""
    data: Mapping[str, str] = field(default_factory=dict)
    """Push only: extras for the service worker (``url``, ``tag``)."""


@dataclass(frozen=True)
class Sent:
    provider_id: str | None = None
    parts: int = 1


class SendError(Exception):
    def __init__(
        self,
        code: str,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        gone: bool = False,
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason[:1000]
        self.permanent = permanent
        self.retry_after = retry_after
        self.gone = gone
        """The address itself is dead (push 404/410, a Telegram bot blocked): stop using it."""


class ChannelAdapter(ABC):
    channel: ClassVar[DeliveryChannel]

    @abstractmethod
    async def send(self, message: Outbound) -> Sent: ...

    async def start(self) -> None:
        """Optional: register webhooks and the like. Must not fail the service's start."""
        return None

    async def close(self) -> None:
        """Release connections."""
        return None


def retry_after_seconds(value: str | None) -> float | None:
    """An HTTP Retry-After in seconds (the date form is rare with these providers: ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
