"""Both sides of a typed client in one process: a transport that answers what a service's route
returned, and the routes of a service's app, to check what each declares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute, Match

from services.runtime.identity import Identity


class Transport:
    """The gateway's raw transport, answering what a service's route answered (as FastAPI sends
    it: the response model's JSON) and keeping what the client sent."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], bytes] = {}
        self.sent: list[tuple[str, str, Any, Any]] = []

    def answer(self, method: str, path: str, model: BaseModel) -> None:
        self.answers[(method, path)] = model.model_dump_json().encode()

    async def exchange(
        self, method: str, path: str, identity: Identity, *, lang: str, json: Any = None, params: Any = None
    ) -> tuple[int, bytes]:
        self.sent.append((method, path, params, json))
        return 200, self.answers.get((method, path), b"{}")

    async def close(self) -> None:
        return None


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route of an app, also inside the routers it includes (which recent FastAPI
    keeps whole, as ``original_router``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def route_for(app: FastAPI, method: str, path: str) -> APIRoute:
    """The route that answers ``method path`` (a concrete path, as a client sends it)."""
    scope = {"type": "http", "method": method, "path": path}
    for route in api_routes(app.routes):
        if route.matches(scope)[0] is Match.FULL:
            return route
    raise AssertionError(f"no route answers {method} {path}")
