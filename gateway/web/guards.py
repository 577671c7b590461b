"""Sign-in and CSRF checks as FastAPI dependencies, so a page handler states what it needs in its
signature (``session: SessionDep`` or ``session: CsrfDep``) instead of repeating the check.

A dependency cannot answer with a redirect itself: it raises :class:`SignInNeeded`, and the
pages' route class (:class:`PageRoute`, given to every pages router) turns that into the same
303 to ``/login?next=...`` that the handlers used to return by hand."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Form, Request, Response
from fastapi.routing import APIRoute

from gateway.identity.accounts import Session, same_token
from gateway.web.render import signed_in, to_login


class SignInNeeded(Exception):
    """No session, or a form whose CSRF token is not its session's: the person signs in again."""


async def current_session(request: Request) -> Session:
    session = await signed_in(request)
    if session is None:
        raise SignInNeeded
    return session


SessionDep = Annotated[Session, Depends(current_session)]


async def checked_form(session: SessionDep, csrf_token: Annotated[str, Form(max_length=100)]) -> Session:
    """The session, when the posted form carries its CSRF token. A stale or forged form is sent to
    sign in, as a missing session is: it says nothing to another site about why."""
    if not same_token(csrf_token, session.csrf_token):
        raise SignInNeeded
    return session


CsrfDep = Annotated[Session, Depends(checked_form)]


class PageRoute(APIRoute):
    """Every page route: a :class:`SignInNeeded` from its dependencies becomes the sign-in redirect."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return to_login(request)

        return guarded
