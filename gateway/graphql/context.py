"""The per-request GraphQL context: who is calling, in which language, through what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.clients import Caller, Clients, segment
from gateway.graphql.errors import graphql_error
from gateway.i18n import translate
from gateway.identity.accounts import Session, same_token
from gateway.identity.admin import AdminError, ApiToken
from gateway.identity.callers import PUBLIC_IDENTITY
from gateway.identity.sessions import SESSION_COOKIE
from gateway.wiring import Gateway
from services.runtime.identity import Identity

CSRF_HEADER = "x-csrf-token"
__all__ = ["CSRF_HEADER", "PUBLIC_IDENTITY", "SESSION_COOKIE", "Context", "Gateway", "segment"]


class Context(BaseContext):
    """A caller is a signed-in person (session cookie), an integrator (bearer API token), or
    an anonymous visitor who may read only the public fields."""

    def __init__(
        self,
        gateway: Gateway,
        session: Session | None,
        session_token: str | None,
        lang: str,
        api_token: ApiToken | None = None,
    ) -> None:
        super().__init__()
        self.gateway = gateway
        self.session = session
        self.session_token = session_token
        self.lang = lang
        self.api_token = api_token
        self._loaders: dict[str, DataLoader[Any, Any]] = {}

    def t(self, message: str, **params: Any) -> str:
        return translate(self.lang, message, **params)

    def identity(self) -> Identity:
        """The caller's identity for a service call: account, API token, or the public visitor."""
        if self.session is not None:
            return self.session.account.identity()
        if self.api_token is not None:
            return self.api_token.identity()
        return PUBLIC_IDENTITY

    @property
    def caller(self) -> Caller:
        """This caller as the typed clients take it: identity and language."""
        return Caller(self.identity(), self.lang)

    @property
    def clients(self) -> Clients:
        """The typed service clients; a refusal they raise (ServiceError) reaches the caller as a
        GraphQL error with the service's code (gateway/graphql/errors.py)."""
        return self.gateway.clients

    def loader(self, name: str, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        """One DataLoader per kind per request: lists of children cost one call, not one each."""
        if name not in self._loaders:
            self._loaders[name] = DataLoader(load_fn=load)
        return self._loaders[name]

    def refuse(self, error: AdminError) -> Exception:
        return graphql_error(error.code, self.t(error.message), error.field)

    def require_caller(self) -> Identity:
        """Any authenticated caller: a person or an integrator's token."""
        if self.session is None and self.api_token is None:
            raise graphql_error("auth.unauthenticated", self.t("Please sign in."))
        return self.identity()

    def require_write(self, scope: str) -> Identity:
        """A change: a person proves the page is theirs (CSRF); a token must carry the scope."""
        if self.api_token is not None:
            if scope not in self.api_token.scopes:
                raise graphql_error("auth.scope_missing", self.t("This API token may not do this."))
            return self.api_token.identity()
        return self.require_csrf().account.identity()

    def require_session(self) -> Session:
        if self.session is None:
            raise graphql_error("auth.unauthenticated", self.t("Please sign in."))
        return self.session

    def require_csrf(self) -> Session:
        """Cookie-authenticated mutations must echo the session's CSRF token in a header."""
        session = self.require_session()
        request = self.request
        sent = request.headers.get(CSRF_HEADER) if request is not None else None
        if not same_token(sent, session.csrf_token):
            raise graphql_error("auth.csrf", self.t("Your page is out of date. Please reload it."))
        return session
