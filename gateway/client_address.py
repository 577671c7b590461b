"""Who is calling, by network address: the direct peer, unless it is a configured proxy.

``X-Forwarded-For`` is a header anyone can send. It is believed only when the direct peer is
one of ``KHUM_GATEWAY_TRUSTED_PROXIES`` (addresses or networks, e.g. ``10.0.0.0/8``); then the
client is the right-most address in it that is not itself a trusted proxy (a client may put
anything on the left). Uvicorn's own proxy handling is off (services/runtime/service.py), so
this is the one place that decides, for the rate limiter and login throttling alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def is_trusted(host: str, trusted: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False
    return any(address in network for network in trusted)


def _trusted(conn: HTTPConnection) -> tuple[Network, ...]:
    settings = getattr(conn.app.state, "settings", None)
    return networks(tuple(getattr(settings, "trusted_proxies", ()) or ()))


def client_address(conn: HTTPConnection) -> str:
    peer = conn.client.host if conn.client else "unknown"
    trusted = _trusted(conn)
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in conn.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def forwarded_https(conn: HTTPConnection) -> bool:
    """The client spoke HTTPS to a trusted proxy in front of us (``X-Forwarded-Proto``)."""
    peer = conn.client.host if conn.client else ""
    if not is_trusted(peer, _trusted(conn)):
        return False
    return conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"
