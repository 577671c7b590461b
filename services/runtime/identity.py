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
    DISTRICT_ADMIN = "district_admin"
    """Holds 4-digit district prefixes: oversight of its district, accounts within it."""
    NGO_PARTNER = "ngo_partner"
    """A facilitating organisation: it acts in no commune, oversees the communes it supports
    (``Identity.oversees``) and manages its own facilitators there; never personal data."""


COUNCIL_ROLES = frozenset({Role.COMMUNE_CHIEF, Role.COUNCIL_MEMBER, Role.CLERK, Role.CCWC_FOCAL_POINT})
OVERSIGHT_ROLES = frozenset(
    {Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN, Role.NGO_PARTNER, Role.INTEGRATOR}
)
"""Who may read the oversight aggregates (suppressed counts, never individuals)."""
PUBLIC_IDENTITY_ID = "anonymous"


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: Role
    communes: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    """For integrators' API tokens: e.g. ``read``, ``write:needs``."""
    oversees: tuple[str, ...] = ()
    """Communes whose aggregates an NGO partner reads. Kept apart from ``communes`` on purpose:
    every service grants acting and reading individual needs by ``communes``, so a partner, who
    holds none, gets none of that by construction."""

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    def is_council_of(self, commune_code: str) -> bool:
        """Council roles of this very commune: the only ones who see individuals' attributes."""
        return self.role in COUNCIL_ROLES and commune_code in self.communes

    def covers(self, commune_code: str) -> bool:
        """Whether this caller may act in a commune (province admins hold a 2-digit prefix)."""
        return any(scope == ALL_COMMUNES or commune_code.startswith(scope) for scope in self.communes)

    def oversees_unit(self, code: str) -> bool:
        """Whether this caller may read aggregates of a place (2, 4 or 6 digits): it acts there,
        or it oversees it as a partner."""
        return self.covers(code) or any(code.startswith(scope) for scope in self.oversees)
