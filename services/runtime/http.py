"""The HTTP half of the runtime: error answers in the caller's language, and the caller.

Domain errors (``services.runtime.errors``) carry a stable code and messages in Khmer and
English; here they become JSON answers with a status. The caller is the identity in the signed
token the gateway sent (``services.runtime.tokens``), or 401.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from nats.errors import ConnectionClosedError, NoServersError, OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import ServiceUnavailableError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.runtime.errors import DomainError, error_body
from services.runtime.identity import Identity
from services.runtime.logs import CORRELATION_HEADER
from services.runtime.stores.port import StoreUnavailable
from services.runtime.tokens import InvalidIdentityError, verify_token

log = logging.getLogger(__name__)


def language_of(request: Request) -> str:
    """Khmer unless the caller asks for English first."""
    header = request.headers.get("accept-language", "").strip().lower()
    return "en" if header.startswith("en") else "km"


_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    401: ("auth.unauthenticated", "Please sign in.", "សូមចូលប្រើប្រាស់ជាមុនសិន។"),
    403: ("auth.forbidden", "You may not do this here.", "អ្នកមិនមានសិទ្ធិធ្វើការនេះទេ។"),
    404: ("not_found", "Not found.", "រកមិនឃើញ។"),
}


RETRY_AFTER_SECONDS = 5

# Causes that say "not now", not "never": the request may be sent again as it is.
UNAVAILABLE: tuple[type[Exception], ...] = (
    StoreUnavailable,
    NoServersError,
    ConnectionClosedError,
    OutboundBufferLimitError,
    NatsTimeoutError,
    ServiceUnavailableError,
)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        extra = {"field": exc.field} if exc.field else {}
        return JSONResponse(error_body(exc.code, exc.message(language_of(request)), **extra), exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e["loc"][1:]) for e in exc.errors()]
        en = "Some fields are missing or invalid: {fields}."
        km = "ព័ត៌មានខ្លះខ្វះ ឬមិនត្រឹមត្រូវ៖ {fields}។"
        text = (en if language_of(request) == "en" else km).format(fields=", ".join(fields))
        return JSONResponse(error_body("request.invalid", text, fields=fields), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, en, km = _HTTP_MESSAGES.get(exc.status_code, ("http.error", str(exc.detail), str(exc.detail)))
        text = en if language_of(request) == "en" else km
        return JSONResponse(error_body(code, text), exc.status_code, headers=exc.headers)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: service unavailable: %r", request.method, request.url.path, exc)
        en = "The service cannot save this right now. Please try again shortly."
        km = "សេវាមិនអាចរក្សាទុកបានទេឥឡូវនេះ។ សូមព្យាយាមម្តងទៀតបន្តិចទៀត។"
        text = en if language_of(request) == "en" else km
        return JSONResponse(
            error_body("service.unavailable", text, retryable=True),
            503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for cause in UNAVAILABLE:
        app.add_exception_handler(cause, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        text = "Something went wrong." if language_of(request) == "en" else "មានបញ្ហាបច្ចេកទេស។"
        return JSONResponse(error_body("internal", text), 500)


def caller(request: Request) -> Identity:
    """FastAPI dependency: the verified caller, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "missing identity token")
    secret: str = request.app.state.settings.identity_secret.get_secret_value()
    try:
        return verify_token(token, secret)
    except InvalidIdentityError:
        raise HTTPException(401, "invalid or expired identity token") from None


CallerDep = Annotated[Identity, Depends(caller)]

CorrelationDep = Annotated[str | None, Header(alias=CORRELATION_HEADER)]
"""The user action a request belongs to, as the gateway sent it (events carry it on)."""
