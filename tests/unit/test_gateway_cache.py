"""The gateway's in-memory cache: entries expire, the size is bounded, and a read that raced a
revocation is not kept (the generation check)."""

from __future__ import annotations

from gateway.cache import TimedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_time() -> None:
    clock = Clock()
    cache: TimedCache[str] = TimedCache(ttl=60, clock=clock)
    cache.put("a", "សម័យ", cache.generation)
    clock.now = 59.9
    assert cache.get("a") == "សម័យ"
    clock.now = 60.0
    assert cache.get("a") is None


def test_the_oldest_entry_goes_when_full() -> None:
    cache: TimedCache[int] = TimedCache(size=2, clock=Clock())
    for i, key in enumerate("abc"):
        cache.put(key, i, cache.generation)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 1, 2)


def test_a_read_that_raced_a_revocation_is_not_kept() -> None:
    cache: TimedCache[str] = TimedCache(clock=Clock())
    before = cache.generation  # a reader starts reading the store...
    cache.drop_where(lambda value: value == "session-of-bopha")  # ...a revocation lands...
    cache.put("k", "session-of-bopha", before)  # ...and what it read predates it
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.generation)
    assert cache.get("k") == "fresh"


def test_forgetting_by_value_and_clearing() -> None:
    cache: TimedCache[tuple[str, str]] = TimedCache(clock=Clock())
    cache.put("s1", ("dara", "x"), cache.generation)
    cache.put("s2", ("dara", "y"), cache.generation)
    cache.put("s3", ("chenda", "z"), cache.generation)
    cache.drop_where(lambda value: value[0] == "dara")
    assert (cache.get("s1"), cache.get("s2"), cache.get("s3")) == (None, None, ("chenda", "z"))
    cache.clear()
    assert cache.get("s3") is None
