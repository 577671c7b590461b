"""The client's address: X-Forwarded-For is believed only from a configured proxy."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request

from gateway.client_address import client_address, forwarded_https


def _request(peer: str, forwarded: str | None, trusted: tuple[str, ...], proto: str | None = None) -> Request:
    headers = []
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded.encode()))
    if proto is not None:
        headers.append((b"x-forwarded-proto", proto.encode()))
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(trusted_proxies=trusted)))
    scope = {
        "type": "http",
        "headers": headers,
        "client": (peer, 5000),
        "app": app,
        "method": "GET",
        "path": "/",
    }
    return Request(scope)


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address(_request("127.0.0.1", "203.0.113.9", ())) == "127.0.0.1"
    assert client_address(_request("198.51.100.7", "203.0.113.9", ("10.0.0.0/8",))) == "198.51.100.7"
    assert not forwarded_https(_request("127.0.0.1", None, (), proto="https"))


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() -> None:
    trusted = ("10.0.0.0/8", "127.0.0.1")
    assert client_address(_request("10.1.2.3", "203.0.113.9", trusted)) == "203.0.113.9"
    # A client may prepend anything; only what the proxies appended counts.
    assert client_address(_request("10.1.2.3", "1.2.3.4, 203.0.113.9, 10.9.9.9", trusted)) == "203.0.113.9"
    assert client_address(_request("10.1.2.3", None, trusted)) == "10.1.2.3"
    assert client_address(_request("10.1.2.3", "not-an-ip", trusted)) == "not-an-ip"
    assert forwarded_https(_request("10.1.2.3", None, trusted, proto="https"))
