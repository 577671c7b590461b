"""Accounts, password hashes (argon2) and server-side sessions. The gateway's own data."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from contracts.envelope import uuid7
from gateway.cache import TimedCache
from gateway.identity.revocation import Revocations
from services.runtime.identity import Identity, Role
from services.runtime.stores import Collection, DuplicateKeyError, Store

COLLECTIONS = (
    Collection("accounts", unique=("username", "phone")),
    Collection("sessions", indexes=("user_id",)),
)

_hasher = PasswordHasher()
# Verified against when a login names nobody, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    phone: str | None
    display_name: str
    role: Role
    communes: tuple[str, ...]
    active: bool
    session_epoch: int = 0
    villages: tuple[str, ...] = ()
    has_password: bool = True

    def identity(self) -> Identity:
        if self.role is Role.NGO_PARTNER:
            # A partner acts in no commune: its communes travel as ``oversees`` only.
            return Identity(self.id, self.role, (), oversees=self.communes)
        return Identity(self.id, self.role, self.communes)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Account:
        return cls(
            id=doc["id"],
            username=doc["username"],
            phone=doc.get("phone"),
            display_name=doc["display_name"],
            role=Role(doc["role"]),
            communes=tuple(doc["communes"]),
            active=bool(doc.get("active", True)),
            session_epoch=int(doc.get("session_epoch", 0)),
            villages=tuple(doc.get("villages", ())),
            has_password=bool(doc.get("password_hash")),
        )


@dataclass(frozen=True)
class Session:
    id: str
    account: Account
    csrf_token: str


def _session_key(token: str) -> str:
    """Only a hash of the cookie value is stored: a leaked store yields no usable session."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_login(login: str) -> str:
    """Phone numbers may be typed with spaces, dashes or +855; usernames are case-insensitive."""
    cleaned = login.strip().lower()
    digits = cleaned.replace(" ", "").replace("-", "")
    if digits.startswith("+855"):
        digits = "0" + digits[4:]
    return digits if digits.isdigit() else cleaned


class Accounts:
    """Accounts and sessions; sessions are served from memory, kept true by ``revocations``."""

    def __init__(self, store: Store, session_hours: int, revocations: Revocations | None = None) -> None:
        self.store = store
        self.session_hours = session_hours
        self.revocations = revocations or Revocations()
        # session id -> (session, its expiry); one store read per session a minute, not per request
        self._sessions: TimedCache[tuple[Session, datetime]] = TimedCache()
        self.revocations.on_revoke(self._forget, self._sessions.clear)

    def _forget(self, kind: str, id: str) -> None:
        if kind == "session":
            self._sessions.drop(id)
        elif kind == "account":
            self._sessions.drop_where(lambda entry: entry[0].account.id == id)

    async def create(
        self,
        *,
        username: str,
        password: str,
        display_name: str,
        role: Role,
        communes: tuple[str, ...],
        phone: str | None = None,
    ) -> Account:
        doc = {
            "id": uuid7(),
            "username": normalise_login(username),
            "phone": normalise_login(phone) if phone else None,
            "display_name": display_name,
            "role": role.value,
            "communes": list(communes),
            "password_hash": _hasher.hash(password),
            "active": True,
            "created_at": datetime.now(UTC).isoformat(),
        }
        async with self.store.transaction() as tx:
            await tx.insert("accounts", doc)
        return Account.from_doc(doc)

    async def ensure(self, **fields: Any) -> Account:
        """Create an account unless its username exists (for seeding demo data)."""
        existing = await self.store.find_one("accounts", {"username": normalise_login(fields["username"])})
        if existing:
            return Account.from_doc(existing)
        try:
            return await self.create(**fields)
        except DuplicateKeyError:
            doc = await self.store.find_one("accounts", {"username": normalise_login(fields["username"])})
            assert doc is not None
            return Account.from_doc(doc)

    async def get(self, account_id: str) -> Account | None:
        doc = await self.store.get("accounts", account_id)
        return Account.from_doc(doc) if doc else None

    async def authenticate(self, login: str, password: str) -> Account | None:
        key = normalise_login(login)
        doc = await self.store.find_one("accounts", {"username": key})
        if doc is None:
            doc = await self.store.find_one("accounts", {"phone": key})
        if doc is None:
            _verify(_DUMMY_HASH, password)
            return None
        if not doc.get("password_hash"):
            _verify(_DUMMY_HASH, password)  # no password yet: set it with the setup code
            return None
        if not _verify(doc["password_hash"], password) or not doc.get("active", True):
            return None
        return Account.from_doc(doc)

    async def open_session(self, account: Account, previous_token: str | None = None) -> tuple[str, Session]:
        """A fresh session id at every login (the previous one, if any, is revoked)."""
        if previous_token:
            await self.close_session(previous_token)
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        doc: dict[str, Any] = {
            "id": _session_key(token),
            "user_id": account.id,
            "csrf_token": secrets.token_urlsafe(32),
            "created_at": now.isoformat(),
            "expires_at": (now + timedelta(hours=self.session_hours)).isoformat(),
            "revoked": False,
            "epoch": account.session_epoch,
        }
        async with self.store.transaction() as tx:
            await tx.insert("sessions", doc)
        return token, Session(doc["id"], account, doc["csrf_token"])

    async def session(self, token: str) -> Session | None:
        key = _session_key(token)
        cached = self._sessions.get(key)
        if cached is not None:
            session, expires = cached
            return session if expires > datetime.now(UTC) else None
        generation = self._sessions.generation
        doc = await self.store.get("sessions", key)
        if doc is None or doc["revoked"]:
            return None
        expires = datetime.fromisoformat(doc["expires_at"])
        if expires <= datetime.now(UTC):
            return None
        account = await self.get(doc["user_id"])
        if account is None or not account.active or doc.get("epoch", 0) != account.session_epoch:
            return None  # deactivated, or every session ended by a password reset
        session = Session(doc["id"], account, doc["csrf_token"])
        self._sessions.put(key, (session, expires), generation)
        return session

    async def close_session(self, token: str) -> None:
        key = _session_key(token)
        async with self.store.transaction() as tx:
            doc = await tx.get("sessions", key)
            if doc and not doc["revoked"]:
                await tx.replace("sessions", {**doc, "revoked": True}, expected_version=doc["version"])
        await self.revocations.revoke("session", key)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
