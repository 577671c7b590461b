"""A delivery's state machine, its retry policy (exponential backoff with jitter), its dedup
key, and the per-channel rate limits."""

from __future__ import annotations

import random

import pytest

from services.notify.domain.delivery import (
    FINAL,
    InvalidTransitionError,
    RetryPolicy,
    Status,
    can_move,
    check_transition,
    dedup_key,
)
from services.notify.domain.ratelimit import RateLimits, TokenBucket


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("queued", "sending"),
        ("sending", "sent"),
        ("sending", "queued"),
        ("sending", "failed"),
        ("sent", "delivered"),
        ("sent", "failed"),
        ("queued", "failed"),
    ],
)
def test_a_delivery_moves_forward_through_its_states(current: str, wanted: str) -> None:
    assert check_transition(current, wanted) == Status(wanted)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("queued", "sent"),  # never sent without being claimed
        ("queued", "delivered"),
        ("sent", "queued"),  # a sent message is never sent again
        ("delivered", "failed"),
        ("failed", "queued"),
        ("delivered", "sending"),
    ],
)
def test_a_delivery_never_moves_backwards_or_skips_a_state(current: str, wanted: str) -> None:
    assert not can_move(current, wanted)
    with pytest.raises(InvalidTransitionError):
        check_transition(current, wanted)


def test_delivered_and_failed_are_final() -> None:
    assert {Status.DELIVERED, Status.FAILED} == FINAL


def test_the_dedup_key_is_one_per_event_recipient_and_channel() -> None:
    keys = {
        dedup_key("evt-1", "sms:+85512345678", "sms"),
        dedup_key("evt-1", "sms:+85512345678", "sms"),
        dedup_key("evt-2", "sms:+85512345678", "sms"),
        dedup_key("evt-1", "telegram:777", "telegram"),
    }
    assert len(keys) == 3


def test_retries_back_off_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=30, cap_seconds=600, max_attempts=8, jitter=0)
    delays = [policy.delay(n, random.Random(1)) for n in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 600, 600]


def test_jitter_spreads_retries_below_the_backoff_ceiling() -> None:
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600, jitter=0.5)
    rng = random.Random(42)
    delays = [policy.delay(3, rng) for _ in range(200)]
    assert all(60 <= d <= 120 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100  # not all the same


def test_a_providers_retry_after_is_honoured_when_longer() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=3600, jitter=0)
    assert policy.delay(1, random.Random(), retry_after=90) == 90
    assert policy.delay(1, random.Random(), retry_after=0.5) == 1
    assert policy.delay(1, random.Random(), retry_after=99999) == 3600


def test_attempts_run_out_at_the_maximum() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]


@pytest.mark.parametrize(
    "kwargs",
    [{"base_seconds": 0}, {"base_seconds": 10, "cap_seconds": 5}, {"max_attempts": 0}, {"jitter": 2}],
)
def test_a_nonsensical_retry_policy_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_token_bucket_allows_its_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.try_take(100.0) == 0
    assert bucket.try_take(100.0) == 0
    assert bucket.try_take(100.0) == pytest.approx(0.5)
    assert bucket.try_take(100.5) == 0  # one token came back in half a second
    assert bucket.try_take(100.5) > 0


def test_a_token_bucket_never_stores_more_than_its_burst() -> None:
    bucket = TokenBucket(rate=1, burst=3)
    for _ in range(3):
        assert bucket.try_take(0.0) == 0
    assert bucket.try_take(1000.0) == 0
    assert bucket.try_take(1000.0) == 0
    assert bucket.try_take(1000.0) == 0
    assert bucket.try_take(1000.0) > 0


def test_rate_limits_are_per_channel_and_a_channel_without_one_is_free() -> None:
    limits = RateLimits({"sms": 1.0})
    assert limits.try_take("sms", 0.0) == 0
    assert limits.try_take("sms", 0.0) > 0
    assert limits.try_take("telegram", 0.0) == 0
    assert all(limits.try_take("email", 0.0) == 0 for _ in range(100))
