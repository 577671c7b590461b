"""A small in-memory cache for the gateway: bounded, with entries that expire."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

# Sessions and tokens: the safety net for a revocation message a replica missed (core NATS
# delivers at most once; see gateway/identity/revocation.py).
CACHE_SECONDS = 60.0
CACHE_ENTRIES = 20_000

V = TypeVar("V")


class TimedCache(Generic[V]):
    """A small LRU map whose entries expire after ``ttl`` seconds.

    A reader takes ``generation`` before reading the store and gives it back to ``put``: if
    anything was forgotten meanwhile, what it read may predate that revocation and is not kept.
    """

    def __init__(
        self,
        ttl: float = CACHE_SECONDS,
        size: int = CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self.size = size
        self.generation = 0
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= self._clock():
            del self._entries[key]
            return None
        return found[1]

    def put(self, key: str, value: V, generation: int) -> None:
        if generation != self.generation:
            return
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        self.generation += 1
        self._entries.pop(key, None)

    def drop_where(self, test: Callable[[V], bool]) -> None:
        self.generation += 1
        for key in [k for k, (_, v) in self._entries.items() if test(v)]:
            del self._entries[key]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
