"""Notify's domain: who hears what (rules), in which words (templates, SMS length), when
(quiet hours, retries, rate limits) and how a delivery moves. Pure: no I/O, no framework."""

from __future__ import annotations

from contracts.notify import audiences_for, person_audience
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

# Who may look at what was sent to whom: the commune's council roles and administrators.
DELIVERY_VIEWERS = frozenset({*COUNCIL_ROLES, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN})


def audiences_of(identity: Identity) -> tuple[str, ...]:
    return audiences_for(identity.role.value, identity.communes)


def inbox_audiences_of(identity: Identity) -> tuple[str, ...]:
    """What a person reads in the app: their roles' audiences and what is for them alone (a
    facilitator's daily digest). Phones subscribe to the shared audiences only."""
    return (*audiences_of(identity), person_audience(identity.user_id))


def may_view_deliveries(identity: Identity, commune_code: str) -> bool:
    return identity.role in DELIVERY_VIEWERS and identity.covers(commune_code)
