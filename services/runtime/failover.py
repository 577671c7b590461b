"""Which NATS node to reconnect to: not the one just left, when the cluster has another.

nats-py reconnects by default to a shuffled pool, which may pick the very node the bus just
gave up on (a node cut off from its peers still accepts TCP connections and would be picked
again). :class:`ServerChooser` is nats-py's ``reconnect_to_server_handler``: it keeps the node
the bus left out of the choice for ``avoid_seconds``, prefers nodes with fewer failed attempts,
rotates among equals, and waits ``retry_wait`` before a node that has just failed. Nodes the
cluster announced (without the credentials of the configured URLs) are used only when no
configured one is left. With a single
node (or every node avoided) it falls back to all of them, so nothing is ever unreachable for
longer than it has to be.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Server


def node_of(uri: Any) -> tuple[str, int]:
    """A node as (host, port): pool entries for one node may differ in their credentials."""
    return (str(uri.hostname or ""), int(uri.port or 4222))


class ServerChooser:
    def __init__(
        self,
        *,
        avoid_seconds: float = 15.0,
        retry_wait: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.avoid_seconds = avoid_seconds
        self.retry_wait = retry_wait
        self.clock = clock
        self._avoid: dict[tuple[str, int], float] = {}
        self._turn = 0

    def avoid(self, node: tuple[str, int] | None) -> None:
        """Keep ``node`` out of the next choices for a while (it failed or went silent)."""
        if node is not None:
            self._avoid[node] = self.clock() + self.avoid_seconds

    def avoided(self) -> set[tuple[str, int]]:
        now = self.clock()
        return {node for node, until in self._avoid.items() if until > now}

    def __call__(self, servers: list[Server], _info: dict[str, Any]) -> tuple[Server | None, float]:
        if not servers:
            return None, self.retry_wait
        # Nodes the cluster announced come without the credentials the configured URLs carry;
        # nats-py would connect to them anonymously and be refused. Configured ones first.
        servers = [s for s in servers if s.uri.username] or list(servers)
        avoided = self.avoided()
        candidates = [s for s in servers if node_of(s.uri) not in avoided] or list(servers)
        fewest = min(s.reconnects for s in candidates)
        best = [s for s in candidates if s.reconnects == fewest]
        self._turn += 1
        chosen = best[self._turn % len(best)]
        return chosen, self.retry_wait if chosen.reconnects > 0 else 0.0
