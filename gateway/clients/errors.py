"""What a service's refusal looks like in the gateway, and how its names are spelled here.

Neither GraphQL nor the pages import the transport (gateway/clients/http.py) for these.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


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


def graphql_name(field: str) -> str:
    """A service's field path as the GraphQL schema spells it: ``idempotency_key`` is
    ``idempotencyKey`` (the services speak Python, integrators read the SDL)."""
    return ".".join(
        head + "".join(part.title() for part in tail)
        for head, *tail in (step.split("_") for step in field.split("."))
    )


def field_names(error: dict[str, Any]) -> list[str]:
    names = [error["field"]] if error.get("field") else []
    fields = error.get("fields")
    if isinstance(fields, list):
        names += [str(f) for f in fields if f]
    return sorted({str(n) for n in names}, key=len, reverse=True)


def field_of(error: dict[str, Any]) -> str | None:
    names = [error["field"]] if error.get("field") else error.get("fields") or []
    return ", ".join(graphql_name(str(n)) for n in names) if names else None


def unavailable(lang: str, name: str) -> str:
    if lang == "en":
        return f"The {name} service is not answering. Please try again shortly."
    return "សេវាមិនឆ្លើយតបទេ។ សូមព្យាយាមម្តងទៀតបន្តិចទៀត។"
