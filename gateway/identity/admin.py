"""Accounts, API tokens, audit log and login throttling: the gateway's own rules.

Who may manage whom: national admins everyone; province admins accounts whose communes all
lie in their provinces (never national admins); commune chiefs invite facilitators to their
own commune and reset their passwords; district admins accounts within their districts (never
province or national admins); NGO partners create, disable and reset the facilitators they
created themselves, in the communes they support only. New accounts get no password, only a one-time setup
code (shown once, stored hashed): the person sets their own password with it. Every change to
an account or token is written to the audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.envelope import uuid7
from gateway.cache import TimedCache
from gateway.identity.accounts import Account, Accounts, hash_password, normalise_login
from services.runtime.identity import Identity, Role
from services.runtime.stores import Collection, DuplicateKeyError, Store, Transaction

COLLECTIONS = (
    Collection("api_tokens", unique=("token_hash",)),
    Collection("audit", indexes=("target",)),
    Collection("login_attempts"),
)

SETUP_CODE_HOURS = 72
PASSWORD_MIN = 10
TOKEN_PREFIX = "khum_"  # noqa: S105 - a prefix that makes leaked tokens easy to spot, not a secret
SCOPES = ("read", "write:needs")
# Login throttling: after this many failures for one login name within the window, wait.
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LOCK = timedelta(minutes=15)
THROTTLE_LOCK_MAX = timedelta(hours=24)
THROTTLE_ADDRESS_FAILURES = 30

ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN})
MANAGERS = ADMIN_ROLES | {Role.COMMUNE_CHIEF, Role.NGO_PARTNER}


class AdminError(Exception):
    """A refusal with a stable code; ``message`` is English source text for the catalogs."""

    def __init__(
        self, code: str, message: str, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    scopes: tuple[str, ...]
    communes: tuple[str, ...]
    created_by: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiToken:
        return cls(
            doc["id"],
            doc["name"],
            tuple(doc["scopes"]),
            tuple(doc["communes"]),
            doc["created_by"],
            doc["created_at"],
            doc.get("revoked_at"),
            doc.get("expires_at"),
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now

    def identity(self) -> Identity:
        return Identity(f"token:{self.id}", Role.INTEGRATOR, self.communes, self.scopes)


def _scope_of(actor: Account) -> tuple[str, ...]:
    return actor.communes


def _within(actor: Account, communes: tuple[str, ...]) -> bool:
    """Every commune lies in the actor's scope (national: "*"; province: 2-digit prefixes)."""
    identity = actor.identity()
    return bool(communes) and all(identity.covers(code) for code in communes)


def check_communes(communes: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(c.strip() for c in communes))
    for code in cleaned:
        if code != "*" and not (code.isdigit() and len(code) in (2, 4, 6)):
            raise AdminError(
                "account.commune_invalid",
                "Commune codes have 6 digits (or 4 for a district, 2 for a province).",
                "communes",
            )
    if not cleaned:
        raise AdminError("account.commune_required", "Choose at least one commune.", "communes")
    return cleaned


def may_manage(actor: Account, role: Role, communes: tuple[str, ...]) -> bool:
    if actor.role is Role.NATIONAL_ADMIN:
        return True
    if actor.role is Role.PROVINCE_ADMIN:
        return role is not Role.NATIONAL_ADMIN and "*" not in communes and _within(actor, communes)
    if actor.role is Role.DISTRICT_ADMIN:
        return (
            role not in (Role.NATIONAL_ADMIN, Role.PROVINCE_ADMIN)
            and "*" not in communes
            and _within(actor, communes)
        )
    if actor.role is Role.COMMUNE_CHIEF:
        return role is Role.FACILITATOR and _within(actor, communes)
    if actor.role is Role.NGO_PARTNER:
        # A partner acts in no commune (its identity covers none): its own list decides.
        return role is Role.FACILITATOR and bool(communes) and all(c in actor.communes for c in communes)
    return False


def may_manage_account(actor: Account, target: dict[str, Any]) -> bool:
    """``may_manage`` for an existing account; a partner manages only the ones it created."""
    if actor.role is Role.NGO_PARTNER and target.get("created_by") != actor.id:
        return False
    return may_manage(actor, Role(target["role"]), tuple(target["communes"]))


class Admin:
    def __init__(self, store: Store, accounts: Accounts) -> None:
        self.store = store
        self.accounts = accounts
        # token digest -> token; revocations (pushed, see gateway/identity/revocation.py) keep it true
        self._tokens: TimedCache[ApiToken] = TimedCache()
        accounts.revocations.on_revoke(self._forget, self._tokens.clear)

    def _forget(self, kind: str, id: str) -> None:
        if kind == "token":
            self._tokens.drop_where(lambda token: token.id == id)

    async def _audit(
        self, tx: Transaction, actor: str, action: str, target: str, details: dict[str, Any]
    ) -> None:
        await tx.insert(
            "audit",
            {
                "id": uuid7(),
                "at": _now().isoformat(),
                "actor": actor,
                "action": action,
                "target": target,
                "details": details,
            },
        )

    async def record(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
        """An audit entry for something done elsewhere (e.g. an erasure carried out by intake)."""
        async with self.store.transaction() as tx:
            await self._audit(tx, actor, action, target, details)

    async def create_account(
        self,
        actor: Account,
        *,
        username: str,
        display_name: str,
        role: Role,
        communes: tuple[str, ...],
        phone: str | None = None,
        villages: tuple[str, ...] = (),
    ) -> tuple[Account, str]:
        """A new account without a password, and its one-time setup code."""
        communes = check_communes(communes)
        if role in (Role.PUBLIC,):
            raise AdminError("account.role_invalid", "This role cannot have an account.", "role")
        if not may_manage(actor, role, communes):
            raise AdminError("auth.forbidden", "You may not do this here.")
        if not display_name.strip() or len(display_name) > 100:
            raise AdminError("account.name_invalid", "Give a name of 1 to 100 characters.", "displayName")
        login = normalise_login(username)
        if not login or len(login) > 50 or not all(ch.isalnum() or ch in "._-" for ch in login):
            raise AdminError(
                "account.username_invalid", "Usernames use letters, digits, dots and dashes.", "username"
            )
        for village in villages:
            if not (village.isdigit() and len(village) == 8 and village[:6] in communes):
                raise AdminError(
                    "account.village_invalid", "Villages must lie in the account's communes.", "villages"
                )
        code = secrets.token_hex(4).upper()
        doc: dict[str, Any] = {
            "id": uuid7(),
            "username": login,
            "phone": normalise_login(phone) if phone else None,
            "display_name": display_name.strip(),
            "role": role.value,
            "communes": list(communes),
            "villages": list(villages),
            "password_hash": None,
            "setup_code_hash": _digest(code),
            "setup_expires": (_now() + timedelta(hours=SETUP_CODE_HOURS)).isoformat(),
            "session_epoch": 0,
            "active": True,
            "created_by": actor.id,
            "created_at": _now().isoformat(),
        }
        try:
            async with self.store.transaction() as tx:
                await tx.insert("accounts", doc)
                await self._audit(
                    tx,
                    actor.id,
                    "account.created",
                    doc["id"],
                    {"username": login, "role": role.value, "communes": list(communes)},
                )
        except DuplicateKeyError as exc:
            raise AdminError("account.exists", "That username or phone number is taken.", exc.field) from None
        return Account.from_doc(doc), code

    async def update_account(
        self,
        actor: Account,
        account_id: str,
        *,
        display_name: str | None = None,
        role: Role | None = None,
        communes: tuple[str, ...] | None = None,
        active: bool | None = None,
    ) -> Account:
        async with self.store.transaction() as tx:
            doc = await tx.get("accounts", account_id)
            if doc is None:
                raise AdminError("account.not_found", "No such account.")
            current = Account.from_doc(doc)
            new_role = role or current.role
            new_communes = check_communes(communes) if communes is not None else current.communes
            if not (may_manage_account(actor, doc) and may_manage(actor, new_role, new_communes)):
                raise AdminError("auth.forbidden", "You may not do this here.")
            if actor.id == account_id and active is False:
                raise AdminError("account.self", "You cannot deactivate your own account.")
            changes: dict[str, Any] = {}
            if display_name is not None:
                changes["display_name"] = display_name.strip()
            if role is not None:
                changes["role"] = new_role.value
            if communes is not None:
                changes["communes"] = list(new_communes)
            if active is not None:
                changes["active"] = active
                changes["session_epoch"] = int(doc.get("session_epoch", 0)) + 1
            updated = await tx.replace("accounts", {**doc, **changes}, expected_version=doc["version"])
            action = (
                "account.updated"
                if active is None
                else ("account.reactivated" if active else "account.deactivated")
            )
            await self._audit(
                tx, actor.id, action, account_id, {k: v for k, v in changes.items() if k != "session_epoch"}
            )
        # A change of rights ends the account's open subscriptions; a new name only refreshes caches.
        rights = role is not None or communes is not None or active is not None
        await self.accounts.revocations.revoke("account", account_id, close=rights)
        return Account.from_doc(updated)

    async def reset_password(self, actor: Account, account_id: str) -> str:
        """A new one-time code; the old password stops working and every session ends."""
        code = secrets.token_hex(4).upper()
        async with self.store.transaction() as tx:
            doc = await tx.get("accounts", account_id)
            if doc is None:
                raise AdminError("account.not_found", "No such account.")
            if not may_manage_account(actor, doc):
                raise AdminError("auth.forbidden", "You may not do this here.")
            changes = {
                "password_hash": None,
                "setup_code_hash": _digest(code),
                "setup_expires": (_now() + timedelta(hours=SETUP_CODE_HOURS)).isoformat(),
                "session_epoch": int(doc.get("session_epoch", 0)) + 1,
            }
            await tx.replace("accounts", {**doc, **changes}, expected_version=doc["version"])
            await self._audit(tx, actor.id, "account.password_reset", account_id, {})
        await self.accounts.revocations.revoke("account", account_id)
        return code

    async def set_password(self, login: str, code: str, password: str) -> Account:
        """The person sets their own password with a one-time setup code."""
        if len(password) < PASSWORD_MIN or len(password) > 200:
            raise AdminError("account.password_weak", "Use at least 10 characters.", "newPassword")
        key = normalise_login(login)
        async with self.store.transaction() as tx:
            doc = await tx.find_one("accounts", {"username": key}) or await tx.find_one(
                "accounts", {"phone": key}
            )
            valid = (
                doc is not None
                and doc.get("setup_code_hash")
                and secrets.compare_digest(doc["setup_code_hash"], _digest(code.strip().upper()))
                and datetime.fromisoformat(doc["setup_expires"]) > _now()
            )
            if not valid or doc is None:
                raise AdminError(
                    "account.code_invalid", "This code is wrong or has expired. Ask for a new one.", "code"
                )
            changes = {
                "password_hash": hash_password(password),
                "setup_code_hash": None,
                "setup_expires": None,
            }
            updated = await tx.replace("accounts", {**doc, **changes}, expected_version=doc["version"])
            await self._audit(tx, doc["id"], "account.password_set", doc["id"], {})
        return Account.from_doc(updated)

    async def create_token(
        self,
        actor: Account,
        *,
        name: str,
        scopes: tuple[str, ...],
        communes: tuple[str, ...],
        expires_at: datetime | None = None,
    ) -> tuple[ApiToken, str]:
        if actor.role not in ADMIN_ROLES:
            raise AdminError("auth.forbidden", "You may not do this here.")
        communes = check_communes(communes)
        if not _within(actor, communes):
            raise AdminError("auth.forbidden", "You may not do this here.")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise AdminError("token.scope_invalid", "Scopes are read and write:needs.", "scopes")
        if not name.strip() or len(name) > 100:
            raise AdminError("token.name_invalid", "Give the token a name of 1 to 100 characters.", "name")
        if expires_at is not None:
            expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
            if expires_at <= _now():
                raise AdminError("token.expiry_invalid", "Give an expiry in the future.", "expiresAt")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        doc: dict[str, Any] = {
            "id": uuid7(),
            "name": name.strip(),
            "token_hash": _digest(secret),
            "scopes": list(dict.fromkeys(scopes)),
            "communes": list(communes),
            "created_by": actor.id,
            "created_at": _now().isoformat(),
            "revoked_at": None,
            "expires_at": expires_at.astimezone(UTC).isoformat() if expires_at else None,
        }
        async with self.store.transaction() as tx:
            await tx.insert("api_tokens", doc)
            await self._audit(
                tx,
                actor.id,
                "token.created",
                doc["id"],
                {"name": doc["name"], "scopes": doc["scopes"], "communes": doc["communes"]},
            )
        return ApiToken.from_doc(doc), secret

    async def revoke_token(self, actor: Account, token_id: str) -> ApiToken:
        async with self.store.transaction() as tx:
            doc = await tx.get("api_tokens", token_id)
            if doc is None:
                raise AdminError("token.not_found", "No such token.")
            if actor.role not in ADMIN_ROLES or not _within(actor, tuple(doc["communes"])):
                raise AdminError("auth.forbidden", "You may not do this here.")
            updated = await tx.replace(
                "api_tokens", {**doc, "revoked_at": _now().isoformat()}, expected_version=doc["version"]
            )
            await self._audit(tx, actor.id, "token.revoked", token_id, {"name": doc["name"]})
        await self.accounts.revocations.revoke("token", token_id)
        return ApiToken.from_doc(updated)

    async def token(self, bearer: str) -> ApiToken | None:
        if not bearer.startswith(TOKEN_PREFIX):
            return None
        digest = _digest(bearer)
        cached = self._tokens.get(digest)
        if cached is not None:
            # A token may expire while it is cached: the expiry is checked on every use.
            return None if cached.expired(_now()) else cached
        generation = self._tokens.generation
        doc = await self.store.find_one("api_tokens", {"token_hash": digest})
        if doc is None or doc.get("revoked_at"):
            return None
        token = ApiToken.from_doc(doc)
        if token.expired(_now()):
            return None
        self._tokens.put(digest, token, generation)
        return token

    async def tokens(self, actor: Account) -> list[ApiToken]:
        if actor.role not in ADMIN_ROLES:
            raise AdminError("auth.forbidden", "You may not do this here.")
        found = [ApiToken.from_doc(d) async for d in self.store.iterate("api_tokens", {})]
        return [t for t in found if _within(actor, t.communes)]

    async def list_accounts(
        self, actor: Account, after: str | None, limit: int
    ) -> tuple[list[Account], str | None]:
        if actor.role not in MANAGERS:
            raise AdminError("auth.forbidden", "You may not do this here.")
        shown: list[Account] = []
        cursor = after
        # Scope filtering happens here, so read in pages until the page is full or the end.
        while len(shown) < limit:
            docs = await self.store.page("accounts", {}, after=cursor, limit=200)
            for doc in docs:
                account = Account.from_doc(doc)
                if may_manage_account(actor, doc) or account.id == actor.id:
                    shown.append(account)
                    if len(shown) == limit:
                        return shown, account.id
            if len(docs) < 200:
                return shown, None
            cursor = docs[-1]["id"]
        return shown, None

    async def visible_account(self, actor: Account, account_id: str) -> Account | None:
        """One account, if the actor may manage it (or it is their own)."""
        doc = await self.store.get("accounts", account_id)
        if doc is None:
            return None
        account = Account.from_doc(doc)
        mine = account.id == actor.id
        return account if mine or may_manage_account(actor, doc) else None

    async def audit_log(self, actor: Account, after: str | None, limit: int) -> list[dict[str, Any]]:
        if actor.role not in ADMIN_ROLES:
            raise AdminError("auth.forbidden", "You may not do this here.")
        return await self.store.page("audit", {}, after=after, limit=limit, newest_first=True)


class Throttle:
    """Failed logins lock an account, whichever alias was typed (username in any case or
    spacing, phone number in any format), and separately a client address; each new lock lasts
    twice the one before (back-off), up to ``THROTTLE_LOCK_MAX``. Stored, so replicas agree.

    The address limit is higher than the account's: a village shares one mobile address, and
    one person's typos must not lock out everyone behind it."""

    def __init__(self, store: Store, per_address: int = THROTTLE_ADDRESS_FAILURES) -> None:
        self.store = store
        self.per_address = per_address

    async def _keys(self, login: str, address: str | None) -> list[tuple[str, int]]:
        key = normalise_login(login)
        doc = await self.store.find_one("accounts", {"username": key}) or await self.store.find_one(
            "accounts", {"phone": key}
        )
        keys = [(f"account:{doc['id']}" if doc else f"login:{key}", THROTTLE_FAILURES)]
        if address:
            keys.append((f"address:{address}", self.per_address))
        return keys

    async def check(self, login: str, address: str | None = None) -> None:
        now = _now()
        waits = []
        for key, _ in await self._keys(login, address):
            doc = await self.store.get("login_attempts", key)
            if doc and doc.get("locked_until"):
                waits.append((datetime.fromisoformat(doc["locked_until"]) - now).total_seconds())
        remaining = max(waits, default=0.0)
        if remaining > 0:
            raise AdminError(
                "auth.throttled",
                "Too many failed attempts. Wait a few minutes and try again.",
                retry_after=int(remaining) + 1,
            )

    async def failed(self, login: str, address: str | None = None) -> None:
        now = _now()
        for key, limit in await self._keys(login, address):
            async with self.store.transaction() as tx:
                doc = await tx.get("login_attempts", key) or {}
                recent = [
                    t for t in doc.get("failures", []) if datetime.fromisoformat(t) > now - THROTTLE_WINDOW
                ]
                recent.append(now.isoformat())
                locks, locked = int(doc.get("locks", 0)), doc.get("locked_until")
                if len(recent) >= limit:
                    locks += 1
                    lock = min(THROTTLE_LOCK * 2 ** (locks - 1), THROTTLE_LOCK_MAX)
                    locked, recent = (now + lock).isoformat(), []
                await tx.upsert(
                    "login_attempts",
                    {"id": key, "failures": recent[-limit:], "locks": locks, "locked_until": locked},
                )

    async def succeeded(self, login: str, address: str | None = None) -> None:
        """The account starts afresh; the address keeps its count (others may be guessing)."""
        key, _ = (await self._keys(login, None))[0]
        if await self.store.get("login_attempts", key):
            async with self.store.transaction() as tx:
                await tx.upsert(
                    "login_attempts", {"id": key, "failures": [], "locks": 0, "locked_until": None}
                )
