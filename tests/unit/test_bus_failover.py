"""Which node the bus reconnects to, and how fast its settings make it notice a dead one."""

from __future__ import annotations

from urllib.parse import urlparse

from nats.aio.client import Server

from services.runtime.bus import BusTuning
from services.runtime.failover import ServerChooser, node_of
from services.runtime.settings import ServiceSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pool(*reconnects: int) -> list[Server]:
    return [
        Server(uri=urlparse(f"nats://intake:pw@127.0.0.{2 + i}:4222"), reconnects=n)
        for i, n in enumerate(reconnects)
    ]


def test_the_node_just_left_is_not_chosen_while_others_remain() -> None:
    clock = Clock()
    chooser = ServerChooser(avoid_seconds=15, clock=clock)
    pool = _pool(0, 0, 0)
    chooser.avoid(node_of(pool[0].uri))
    picked = {node_of(chooser(pool, {})[0].uri) for _ in range(10)}  # type: ignore[union-attr]
    assert picked == {("127.0.0.3", 4222), ("127.0.0.4", 4222)}, "rotates among the others"
    clock.now += 16
    picked = {node_of(chooser(pool, {})[0].uri) for _ in range(10)}  # type: ignore[union-attr]
    assert ("127.0.0.2", 4222) in picked, "after a while the node is a candidate again"


def test_a_node_that_failed_less_is_preferred_and_a_failed_one_is_retried_after_a_wait() -> None:
    chooser = ServerChooser(retry_wait=0.5, clock=Clock())
    chosen, wait = chooser(_pool(3, 1, 2), {})
    assert chosen is not None and node_of(chosen.uri) == ("127.0.0.3", 4222)
    assert wait == 0.5
    chosen, wait = chooser(_pool(0, 1, 2), {})
    assert wait == 0.0


def test_a_single_node_is_chosen_even_when_avoided() -> None:
    chooser = ServerChooser(clock=Clock())
    pool = _pool(0)
    chooser.avoid(node_of(pool[0].uri))
    chosen, _wait = chooser(pool, {})
    assert chosen is pool[0]


def test_the_settings_tune_the_bus_for_detection_in_seconds(monkeypatch: object) -> None:
    default = BusTuning.from_settings(ServiceSettings())
    assert (default.ping_interval, default.max_outstanding_pings) == (2, 2)
    assert default.probe_failures * default.probe_interval <= 6
    tuned = BusTuning.from_settings(ServiceSettings(nats_ping_interval=5, nats_probe_failures=3))
    assert (tuned.ping_interval, tuned.probe_failures) == (5, 3)


def test_announced_nodes_without_credentials_are_not_chosen_over_configured_ones() -> None:
    chooser = ServerChooser(clock=Clock())
    announced = Server(uri=urlparse("nats://127.0.0.9:4222"), reconnects=0)
    pool = [announced, *_pool(2, 2)]
    picked = {node_of(chooser(pool, {})[0].uri) for _ in range(6)}  # type: ignore[union-attr]
    assert ("127.0.0.9", 4222) not in picked
