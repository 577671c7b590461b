"""Identity in GraphQL: sign in, and who am I."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.client_address import client_address
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.ids import Node, to_global
from gateway.identity.accounts import Account as AccountRecord
from gateway.identity.admin import AdminError
from gateway.identity.sessions import SESSION_COOKIE, set_session_cookie
from services.runtime.identity import Role

strawberry.enum(Role, description="What an account may do.")


@strawberry.type(description="A person's account. Passwords and sessions are never exposed.")
class Account(Node):
    id: strawberry.ID = strawberry.field(description="Global id (see node(id)).")
    username: str = strawberry.field(description="Login name.")
    display_name: str = strawberry.field(description="Name shown to others.")
    role: Role = strawberry.field(description="What the account may do.")
    communes: list[str] = strawberry.field(description="Commune codes (6 digits) this account serves.")
    active: bool = strawberry.field(description="False once deactivated.")
    has_password: bool = strawberry.field(description="False until the person sets it with their setup code.")

    @classmethod
    def of(cls, account: AccountRecord) -> Account:
        return cls(
            id=to_global("Account", account.id),
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            communes=list(account.communes),
            active=account.active,
            has_password=account.has_password,
        )


@strawberry.type(description="A successful sign-in.")
class LoginResult:
    account: Account = strawberry.field(description="Who signed in.")
    csrf_token: str = strawberry.field(
        description="Send as the X-CSRF-Token header with every mutation made with the session cookie."
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in account, or null.")
    def me(self, info: Info[Context, None]) -> Account | None:
        session = info.context.session
        return Account.of(session.account) if session else None


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Sign in with a phone number or username and a password. Sets the session cookie."
    )
    async def login(self, info: Info[Context, None], login: str, password: str) -> LoginResult:
        ctx = info.context
        address = client_address(ctx.request) if ctx.request is not None else None
        try:
            await ctx.gateway.throttle.check(login, address)
        except AdminError as exc:
            raise ctx.refuse(exc) from None
        account = await ctx.gateway.accounts.authenticate(login, password)
        if account is None:
            await ctx.gateway.throttle.failed(login, address)
            raise graphql_error("auth.login_failed", ctx.t("Wrong phone number, username or password."))
        await ctx.gateway.throttle.succeeded(login)
        previous = ctx.request.cookies.get(SESSION_COOKIE) if ctx.request is not None else None
        token, session = await ctx.gateway.accounts.open_session(account, previous)
        assert ctx.response is not None and ctx.request is not None
        set_session_cookie(ctx.response, ctx.request, token, ctx.gateway.settings)
        return LoginResult(account=Account.of(account), csrf_token=session.csrf_token)


QUERIES: tuple[type, ...] = (IdentityQuery,)
MUTATIONS: tuple[type, ...] = (IdentityMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
