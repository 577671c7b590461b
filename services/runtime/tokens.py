"""The short-lived signed identity token the gateway sends with every call to a service.

Services trust nobody else: each verifies the token itself and enforces commune scope, so a
bug in the gateway cannot leak another commune's data. HS256 with a secret shared only between
the gateway and the services; tokens live 60 seconds.
"""

from __future__ import annotations

import time

import jwt

from services.runtime.identity import Identity, Role

ISSUER = "khum-gateway"
AUDIENCE = "khum-services"
TOKEN_TTL_SECONDS = 60


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
        **({"oversees": list(identity.oversees)} if identity.oversees else {}),
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
            oversees=tuple(str(c) for c in claims.get("oversees", ())),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidIdentityError(str(exc)) from exc
