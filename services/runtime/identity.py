"""Who is calling: a role and the communes it covers. Pure, so domains can decide with it.

The signed token that carries an identity between the gateway and the services, and the
FastAPI dependency that checks it, live in ``services.runtime.tokens`` and
``services.runtime.http``; a domain never needs either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
