"""Errors with a stable code and a message in Khmer and English. Pure: the domain raises them.

``services.runtime.http`` maps them to HTTP answers at the edge.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("km", "en")


class DomainError(Exception):
    """A rule said no. ``code`` is stable for clients; messages are per language."""

    status = 422

    def __init__(
        self,
        code: str,
        en: str,
        km: str,
        status: int | None = None,
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.messages = {"en": en.format(**params), "km": km.format(**params)}
        if status is not None:
            self.status = status
        self.params = params

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["km"])


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
