"""Calls from the gateway to the services, each with a fresh signed identity token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from gateway.clients.errors import ServiceError, field_names, field_of, graphql_name, unavailable
from gateway.metrics import SERVICE_CALLS
from services.runtime.identity import Identity
from services.runtime.logs import correlation_id as current_correlation
from services.runtime.tokens import issue_token
from services.runtime.tracing import inject

# One pooled client per service for the gateway's life: connections are kept alive and reused,
# so a request costs no TCP handshake; the pool is bounded so a burst queues, not floods.
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=60)


class ServiceClient:
    def __init__(self, name: str, base_url: str, secret: str, timeout: float) -> None:
        self.name = name
        self._secret = secret
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=POOL)

    async def exchange(
        self,
        method: str,
        path: str,
        identity: Identity,
        *,
        lang: str = "km",
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> tuple[int, bytes]:
        """The service's status and raw answer; a refusal raises ServiceError with its code and
        message (field names spelled as GraphQL spells them)."""
        headers = {
            "authorization": f"Bearer {issue_token(identity, self._secret)}",
            "accept-language": lang,
        }
        correlation = correlation_id or current_correlation.get()
        if correlation:
            headers["x-correlation-id"] = correlation
        inject(headers)
        SERVICE_CALLS.labels(self.name, method).inc()
        try:
            response = await self._http.request(
                method, path, json=json, params=dict(params) if params else None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceError(503, "service.unavailable", unavailable(lang, self.name)) from exc
        if response.status_code >= 400:
            body = _json_or_none(response.content)
            error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            message = str(error.get("message", unavailable(lang, self.name)))
            for name in field_names(error):
                message = message.replace(name, graphql_name(name))
            raise ServiceError(
                response.status_code,
                error.get("code", "service.error"),
                message,
                field_of(error),
            )
        return response.status_code, response.content

    async def close(self) -> None:
        await self._http.aclose()


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
