"""Session cookies and how a request is tied to its session."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from gateway.client_address import forwarded_https
from gateway.identity.accounts import Accounts, Session
from gateway.settings import GatewaySettings

SESSION_COOKIE = "khum_session"


def is_secure(conn: HTTPConnection) -> bool:
    return conn.url.scheme in ("https", "wss") or forwarded_https(conn)


def set_session_cookie(
    response: Response, conn: HTTPConnection, token: str, settings: GatewaySettings
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=is_secure(conn),
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def session_of(conn: HTTPConnection, accounts: Accounts) -> tuple[Session | None, str | None]:
    token = conn.cookies.get(SESSION_COOKIE)
    if not token:
        return None, None
    return await accounts.session(token), token
