"""A delivery's life: queued -> sending -> sent -> delivered | failed, with retries.

One delivery is one message to one recipient on one channel for one event. Its dedup key is
(event id, recipient, channel): a unique field in the store, so an event seen twice never makes
a second message. A transient failure puts it back to queued with an exponential backoff and
jitter; a permanent failure, or running out of attempts, fails it for good.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from contracts.notify import DeliveryStatus

Status = DeliveryStatus
"""The service's short name for the vocabulary it shares with the gateway (contracts/notify.py)."""


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.SENDING, Status.FAILED}),
    # Back to queued: a transient failure (or a send whose worker died) is tried again.
    Status.SENDING: frozenset({Status.SENT, Status.QUEUED, Status.FAILED}),
    Status.SENT: frozenset({Status.DELIVERED, Status.FAILED}),
    Status.DELIVERED: frozenset(),
    Status.FAILED: frozenset(),
}
FINAL = frozenset({Status.DELIVERED, Status.FAILED})


class InvalidTransitionError(Exception):
    def __init__(self, current: Status, wanted: Status) -> None:
        super().__init__(f"a delivery cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def check_transition(current: Status | str, wanted: Status | str) -> Status:
    now, then = Status(current), Status(wanted)
    if then not in TRANSITIONS[now]:
        raise InvalidTransitionError(now, then)
    return then


def can_move(current: Status | str, wanted: Status | str) -> bool:
    return Status(wanted) in TRANSITIONS[Status(current)]


def dedup_key(event_id: str, recipient: str, channel: str) -> str:
    """The one key per (event, recipient, channel): a second copy of the event clashes on it."""
    return f"{event_id}|{recipient}|{channel}"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base * 2**(n-1), capped, then a random
    factor in [1 - jitter, 1] spreads retries so a recovered provider is not hit all at once."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 6
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("retry delays must be positive, with cap >= base")
        if self.max_attempts < 1 or not 0 <= self.jitter <= 1:
            raise ValueError("max_attempts >= 1 and 0 <= jitter <= 1")

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        A provider's own Retry-After is honoured when it asks for longer."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempt - 1, 32))
        wait = ceiling * (1 - self.jitter * rng.random())
        if retry_after is not None and retry_after > wait:
            return float(min(retry_after, self.cap_seconds))
        return float(wait)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
