"""Per-channel rate limits: a token bucket per channel, fed by a clock the caller passes in.

Providers throttle (Telegram allows about 30 messages a second per bot; SMS gateways sell a
rate): sending faster only earns 429s. ``rate`` tokens arrive per second up to ``burst``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        if self.tokens < 0:
            self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def try_take(self, now: float) -> float:
        """Take one token: 0.0 if taken, else how many seconds until one is there."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimits:
    """One bucket per channel; a channel without a limit is never held back."""

    def __init__(self, per_second: dict[str, float], burst_seconds: float = 1.0) -> None:
        self._buckets = {
            channel: TokenBucket(rate, max(1.0, rate * burst_seconds))
            for channel, rate in per_second.items()
            if rate > 0
        }

    def try_take(self, channel: str, now: float) -> float:
        bucket = self._buckets.get(channel)
        return 0.0 if bucket is None else bucket.try_take(now)
