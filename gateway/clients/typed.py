"""The base of the gateway's typed service clients.

Each service has one client (gateway/clients/<service>.py), shared by the GraphQL resolvers and
the PWA pages. A method names the service's endpoint once, sends a request model from
``contracts/api`` and reads the answer into that service's response model, so nobody outside
this package writes a service path or reads a service's answer as a dict.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter

from gateway.clients.http import ServiceClient
from services.runtime.identity import Identity

Answer = TypeVar("Answer")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, and in which language the service should refuse."""

    identity: Identity
    lang: str = "km"


@cache
def adapter(kind: Hashable) -> TypeAdapter[Any]:
    """One validator per answer type, built once (building one costs more than using it)."""
    return TypeAdapter(cast(Any, kind))


def plain(body: BaseModel | Mapping[str, Any] | None) -> Any:
    """A request body as JSON values: a model sends the fields its caller set, so the service's
    own defaults apply to the rest.

    The gateway builds request models with ``Model.model_construct(...)``: it checks nothing
    itself, so the service stays the one gate and refuses bad input with its stable code and a
    message in the caller's language (a pydantic error raised here would have neither).
    """
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", exclude_unset=True, warnings=False)
    return dict(body) if body is not None else None


class TypedClient:
    """Calls one service; subclasses give each endpoint a method with typed input and answer."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def call(
        self,
        answer: type[Answer],
        method: str,
        path: str,
        caller: Caller,
        *,
        body: BaseModel | Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Answer:
        """The service's answer read into ``answer`` (a model, or ``list[Model]`` and the like).
        A refusal raises ServiceError with the service's code and message."""
        _, raw = await self.http.exchange(
            method, path, caller.identity, lang=caller.lang, json=plain(body), params=_query(params)
        )
        result: Answer = adapter(cast(Hashable, answer)).validate_json(raw)
        return result

    async def send(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        body: BaseModel | Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> int:
        """A call whose answer carries nothing the gateway reads: its status only."""
        status, _ = await self.http.exchange(
            method, path, caller.identity, lang=caller.lang, json=plain(body), params=_query(params)
        )
        return status

    async def close(self) -> None:
        await self.http.close()


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters without the ones left unset (None), so a service applies its defaults."""
    if not params:
        return None
    return {k: v for k, v in params.items() if v is not None}
