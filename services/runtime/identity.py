"""The short-lived signed identity token the gateway sends with every call to a service.

Services trust nobody else: each verifies the token itself and enforces commune scope, so a
bug in the gateway cannot leak another commune's data. HS256 with a secret shared only between
the gateway and the services; tokens live 60 seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request

ISSUER = "khum-gateway"
AUDIENCE = "khum-services"
TOKEN_TTL_SECONDS = 60
ALL_COMMUNES = "*"


class Role(StrEnum):
    FACILITATOR = "facilitator"
    COMMUNE_CHIEF = "commune_chief"
    COUNCIL_MEMBER = "council_member"
    CLERK = "clerk"
    CCWC_FOCAL_POINT = "ccwc_focal_point"
    PROVINCE_ADMIN = "province_admin"
    NATIONAL_ADMIN = "national_admin"
    INTEGRATOR = "integrator"
    PUBLIC = "public"
    """Anonymous visitors: the gateway calls public read endpoints with this role."""


COUNCIL_ROLES = frozenset({Role.COMMUNE_CHIEF, Role.COUNCIL_MEMBER, Role.CLERK, Role.CCWC_FOCAL_POINT})
PUBLIC_IDENTITY_ID = "anonymous"


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: Role
    communes: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    """For integrators' API tokens: e.g. ``read``, ``write:needs``."""

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    def is_council_of(self, commune_code: str) -> bool:
        """Council roles of this very commune: the only ones who see individuals' attributes."""
        return self.role in COUNCIL_ROLES and commune_code in self.communes

    def covers(self, commune_code: str) -> bool:
        """Whether this caller may act in a commune (province admins hold a 2-digit prefix)."""
        return any(scope == ALL_COMMUNES or commune_code.startswith(scope) for scope in self.communes)


class InvalidIdentityError(Exception):
    pass


def issue_token(identity: Identity, secret: str, ttl: int = TOKEN_TTL_SECONDS) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": identity.user_id,
        "role": identity.role.value,
        "communes": list(identity.communes),
        "scopes": list(identity.scopes),
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(token: str, secret: str) -> Identity:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        return Identity(
            user_id=str(claims["sub"]),
            role=Role(claims["role"]),
            communes=tuple(str(c) for c in claims["communes"]),
            scopes=tuple(str(s) for s in claims.get("scopes", ())),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidIdentityError(str(exc)) from exc


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
