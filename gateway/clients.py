"""Calls from the gateway to the services, each with a fresh signed identity token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import orjson

from gateway.metrics import SERVICE_CALLS
from services.runtime.identity import Identity
from services.runtime.logs import correlation_id as current_correlation
from services.runtime.tokens import issue_token
from services.runtime.tracing import inject


def segment(value: str) -> str:
    """A caller's value placed in a service URL path: encoded whole, so "../x" stays one segment."""
    return quote(str(value), safe="")


class ServiceError(Exception):
    """A service refused or failed; carries its stable code and localized message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


# One pooled client per service for the gateway's life: connections are kept alive and reused,
# so a request costs no TCP handshake; the pool is bounded so a burst queues, not floods.
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=60)


class ServiceClient:
    def __init__(self, name: str, base_url: str, secret: str, timeout: float) -> None:
        self.name = name
        self._secret = secret
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=POOL)

    async def request(
        self,
        method: str,
        path: str,
        identity: Identity,
        *,
        lang: str = "km",
        json: Any = None,
        params: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> tuple[int, Any]:
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
            response = await self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceError(503, "service.unavailable", _unavailable(lang, self.name)) from exc
        body = orjson.loads(response.content) if response.content else None
        if response.status_code >= 400:
            error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            message = str(error.get("message", _unavailable(lang, self.name)))
            for name in _field_names(error):
                message = message.replace(name, graphql_name(name))
            raise ServiceError(
                response.status_code,
                error.get("code", "service.error"),
                message,
                _field_of(error),
            )
        return response.status_code, body

    async def close(self) -> None:
        await self._http.aclose()


def graphql_name(field: str) -> str:
    """A service's field path as the GraphQL schema spells it: ``idempotency_key`` is
    ``idempotencyKey`` (the services speak Python, integrators read the SDL)."""
    return ".".join(
        head + "".join(part.title() for part in tail)
        for head, *tail in (step.split("_") for step in field.split("."))
    )


def _field_names(error: dict[str, Any]) -> list[str]:
    names = [error["field"]] if error.get("field") else []
    fields = error.get("fields")
    if isinstance(fields, list):
        names += [str(f) for f in fields if f]
    return sorted({str(n) for n in names}, key=len, reverse=True)


def _field_of(error: dict[str, Any]) -> str | None:
    names = [error["field"]] if error.get("field") else error.get("fields") or []
    return ", ".join(graphql_name(str(n)) for n in names) if names else None


def _unavailable(lang: str, name: str) -> str:
    if lang == "en":
        return f"The {name} service is not answering. Please try again shortly."
    return "សេវាមិនឆ្លើយតបទេ។ សូមព្យាយាមម្តងទៀតបន្តិចទៀត។"
