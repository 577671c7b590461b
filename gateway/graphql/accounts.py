"""Accounts, API tokens and the audit log in GraphQL (admins, and commune chiefs for their
facilitators). Secrets (setup codes, tokens) are returned once, at creation, never again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.identity import Account
from gateway.graphql.ids import raw_id
from gateway.graphql.relay import (
    Connection,
    Edge,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
)
from gateway.identity.accounts import Account as AccountRecord
from gateway.identity.admin import AdminError
from gateway.identity.admin import ApiToken as TokenRecord
from services.runtime.identity import Role


@strawberry.type(description="A new account and its one-time setup code (shown once).")
class AccountCreated:
    account: Account
    setup_code: str = strawberry.field(
        description="Give this to the person: with it they set their own password at /set-password."
    )


@strawberry.type(description="An integrator's API token (its secret is never shown after creation).")
class ApiToken:
    id: strawberry.ID
    name: str
    scopes: list[str] = strawberry.field(description="read, write:needs")
    communes: list[str] = strawberry.field(description="Commune codes (or province prefixes) it covers.")
    created_at: datetime
    revoked: bool
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working (UTC); null: until revoked."
    )

    @classmethod
    def of(cls, token: TokenRecord) -> ApiToken:
        return cls(
            id=strawberry.ID(token.id),
            name=token.name,
            scopes=list(token.scopes),
            communes=list(token.communes),
            created_at=datetime.fromisoformat(token.created_at),
            revoked=token.revoked_at is not None,
            expires_at=datetime.fromisoformat(token.expires_at) if token.expires_at else None,
        )


@strawberry.type(description="A new API token: send `secret` as `Authorization: Bearer <secret>`.")
class ApiTokenCreated:
    api_token: ApiToken
    secret: str = strawberry.field(description="Shown once. Store it safely; Khum keeps only a hash.")


@strawberry.type(description="One change to an account or token.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="Account id of who made the change.")
    action: str = strawberry.field(description="e.g. account.created, token.revoked")
    target: str = strawberry.field(description="Id of the account or token changed.")
    details: strawberry.scalars.JSON = strawberry.field(description="What changed (never secrets).")


AccountEdge = Edge[Account]


@strawberry.type(description="A page of accounts you may manage.")
class AccountConnection(Connection[Account]):
    pass


@strawberry.type(description="One entry of the audit log in a page.")
class AuditEdge(Edge[AuditEntry]):
    """Named as published (the generic would say ``AuditEntryEdge``)."""


@strawberry.type(description="A page of the audit log, newest first.")
class AuditConnection(Connection[AuditEntry]):
    # The published edge name (a list of a subclass: mypy sees lists as invariant, GraphQL does not).
    edges: list[AuditEdge] = strawberry.field(description="The items in this page.")  # type: ignore[assignment]


@strawberry.input(description="A new account.")
class CreateAccountInput:
    username: str
    display_name: str
    role: Role
    communes: list[str] = strawberry.field(
        description="6-digit commune codes (2-digit for a province admin)."
    )
    phone: str | None = None
    villages: list[str] = strawberry.field(
        default_factory=list, description="For facilitators: their villages."
    )


@strawberry.input(description="Changes to an account; leave out what stays.")
class UpdateAccountInput:
    display_name: str | None = None
    role: Role | None = None
    communes: list[str] | None = None


@strawberry.input(description="A facilitator invited by their commune chief.")
class InviteFacilitatorInput:
    username: str
    display_name: str
    phone: str | None = None
    villages: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A new API token for an integrator.")
class CreateApiTokenInput:
    name: str
    scopes: list[str]
    communes: list[str]
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When it stops working (ISO 8601; UTC if no offset). Leave out: until revoked.",
    )


def _actor(ctx: Context) -> AccountRecord:
    return ctx.require_csrf().account


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="Accounts you may manage (and your own).")
    async def accounts(
        self, info: Info[Context, None], first: int = 50, after: str | None = None
    ) -> AccountConnection:
        ctx = info.context
        actor = ctx.require_session().account
        try:
            found, next_after = await ctx.gateway.admin.list_accounts(
                actor, decode_cursor("account", after, ctx.lang), check_first(first, ctx.lang)
            )
        except AdminError as exc:
            raise ctx.refuse(exc) from None
        edges = [AccountEdge(cursor=encode_cursor("account", a.id), node=Account.of(a)) for a in found]
        return AccountConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=next_after is not None, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="API tokens in your scope (admins).")
    async def api_tokens(self, info: Info[Context, None]) -> list[ApiToken]:
        ctx = info.context
        try:
            return [ApiToken.of(t) for t in await ctx.gateway.admin.tokens(ctx.require_session().account)]
        except AdminError as exc:
            raise ctx.refuse(exc) from None

    @strawberry.field(description="Every change to accounts and tokens, newest first (admins).")
    async def audit_log(
        self, info: Info[Context, None], first: int = 50, after: str | None = None
    ) -> AuditConnection:
        ctx = info.context
        limit = check_first(first, ctx.lang)
        try:
            docs = await ctx.gateway.admin.audit_log(
                ctx.require_session().account, decode_cursor("audit", after, ctx.lang), limit
            )
        except AdminError as exc:
            raise ctx.refuse(exc) from None
        edges = [
            AuditEdge(
                cursor=encode_cursor("audit", d["id"]),
                node=AuditEntry(
                    id=strawberry.ID(d["id"]),
                    at=datetime.fromisoformat(d["at"]),
                    actor=d["actor"],
                    action=d["action"],
                    target=d["target"],
                    details=d["details"],
                ),
            )
            for d in docs
        ]
        return AuditConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(docs) == limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )


async def _run(ctx: Context, call: Any) -> Any:
    try:
        return await call
    except AdminError as exc:
        raise ctx.refuse(exc) from None


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(description="Admins: create an account. Returns its one-time setup code.")
    async def create_account(self, info: Info[Context, None], input: CreateAccountInput) -> AccountCreated:
        ctx = info.context
        account, code = await _run(
            ctx,
            ctx.gateway.admin.create_account(
                _actor(ctx),
                username=input.username,
                display_name=input.display_name,
                role=input.role,
                communes=tuple(input.communes),
                phone=input.phone,
                villages=tuple(input.villages),
            ),
        )
        return AccountCreated(account=Account.of(account), setup_code=code)

    @strawberry.mutation(description="Admins: change an account's name, role or communes.")
    async def update_account(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        input: UpdateAccountInput,
    ) -> Account:
        ctx = info.context
        account = await _run(
            ctx,
            ctx.gateway.admin.update_account(
                _actor(ctx),
                raw_id("Account", id),
                display_name=input.display_name,
                role=input.role,
                communes=tuple(input.communes) if input.communes is not None else None,
            ),
        )
        return Account.of(account)

    @strawberry.mutation(description="Admins: deactivate an account; its sessions end at once.")
    async def deactivate_account(self, info: Info[Context, None], id: strawberry.ID) -> Account:
        ctx = info.context
        return Account.of(
            await _run(
                ctx, ctx.gateway.admin.update_account(_actor(ctx), raw_id("Account", id), active=False)
            )
        )

    @strawberry.mutation(description="Admins: reactivate an account.")
    async def reactivate_account(self, info: Info[Context, None], id: strawberry.ID) -> Account:
        ctx = info.context
        return Account.of(
            await _run(ctx, ctx.gateway.admin.update_account(_actor(ctx), raw_id("Account", id), active=True))
        )

    @strawberry.mutation(description="Commune chiefs: invite a youth facilitator to your commune.")
    async def invite_facilitator(
        self, info: Info[Context, None], input: InviteFacilitatorInput
    ) -> AccountCreated:
        ctx = info.context
        actor = _actor(ctx)
        if actor.role is not Role.COMMUNE_CHIEF:
            raise graphql_error("auth.forbidden", ctx.t("You may not do this here."))
        communes = tuple(c for c in actor.communes if len(c) == 6)
        account, code = await _run(
            ctx,
            ctx.gateway.admin.create_account(
                actor,
                username=input.username,
                display_name=input.display_name,
                role=Role.FACILITATOR,
                communes=communes,
                phone=input.phone,
                villages=tuple(input.villages),
            ),
        )
        return AccountCreated(account=Account.of(account), setup_code=code)

    @strawberry.mutation(description="Admins and commune chiefs: issue a new one-time setup code.")
    async def reset_password(self, info: Info[Context, None], id: strawberry.ID) -> str:
        ctx = info.context
        code: str = await _run(ctx, ctx.gateway.admin.reset_password(_actor(ctx), raw_id("Account", id)))
        return code

    @strawberry.mutation(description="Anyone with a setup code: set your own password.")
    async def set_password(
        self, info: Info[Context, None], login: str, code: str, new_password: str
    ) -> Account:
        ctx = info.context
        await _run(ctx, ctx.gateway.throttle.check(login))
        try:
            account = await ctx.gateway.admin.set_password(login, code, new_password)
        except AdminError as exc:
            if exc.code == "account.code_invalid":
                await ctx.gateway.throttle.failed(login)
            raise ctx.refuse(exc) from None
        return Account.of(account)

    @strawberry.mutation(
        description="Admins: create an API token for an integrator. The secret is shown once."
    )
    async def create_api_token(
        self, info: Info[Context, None], input: CreateApiTokenInput
    ) -> ApiTokenCreated:
        ctx = info.context
        token, secret = await _run(
            ctx,
            ctx.gateway.admin.create_token(
                _actor(ctx),
                name=input.name,
                scopes=tuple(input.scopes),
                communes=tuple(input.communes),
                expires_at=input.expires_at,
            ),
        )
        return ApiTokenCreated(api_token=ApiToken.of(token), secret=secret)

    @strawberry.mutation(description="Admins: revoke an API token; it stops working at once.")
    async def revoke_api_token(self, info: Info[Context, None], id: strawberry.ID) -> ApiToken:
        ctx = info.context
        return ApiToken.of(
            await _run(ctx, ctx.gateway.admin.revoke_token(_actor(ctx), raw_id("Account", id)))
        )


QUERIES: tuple[type, ...] = (AccountsQuery,)
MUTATIONS: tuple[type, ...] = (AccountsMutation,)
SUBSCRIPTIONS: tuple[type, ...] = ()
