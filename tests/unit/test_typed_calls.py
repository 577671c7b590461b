"""The gateway calls services only through its typed clients (gateway/clients/).

Outside that package nobody writes a service path or reads a service's answer as a dict: the
untyped transport is not reachable (``Gateway`` holds only the typed ``clients``; import-linter
keeps ``gateway.clients.http`` and httpx out of the pages and GraphQL), and this test finds no
call to the transport's methods by name anywhere else in the gateway.
"""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
TRANSPORT_METHODS = {"request", "exchange"}
SERVICES = {"intake", "meetings", "budget", "notify", "oversight"}


def untyped_calls(tree: ast.AST) -> list[int]:
    """Lines that call ``<x>.request(...)``/``<x>.exchange(...)`` with an HTTP method first,
    ``<x>.call("<service>", ...)``, or reach for ``.services`` (the old dict of raw clients)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "services":
            found.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TRANSPORT_METHODS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        ):
            found.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "call"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in SERVICES
        ):
            found.append(node.lineno)  # the old ``context.call("intake", "GET", path)``
    return found


def test_only_the_typed_clients_call_the_services() -> None:
    offenders = {
        str(path.relative_to(GATEWAY.parent)): lines
        for path in sorted(GATEWAY.rglob("*.py"))
        if "clients" not in path.relative_to(GATEWAY).parts[:1]
        for lines in [untyped_calls(ast.parse(path.read_text(encoding="utf-8")))]
        if lines
    }
    assert offenders == {}


def test_the_check_finds_an_untyped_call() -> None:
    source = (
        "async def f(gateway, identity):\n"
        "    _, body = await gateway.services['intake'].request('GET', '/needs', identity)\n"
        "    page = await info.context.call('meetings', 'GET', '/meetings')\n"
        "    return body['items'], page\n"
    )
    assert sorted(untyped_calls(ast.parse(source))) == [2, 2, 3]
