"""The identities the gateway calls services with for visitors who did not sign in."""

from __future__ import annotations

from services.runtime.identity import ALL_COMMUNES, PUBLIC_IDENTITY_ID, Identity, Role

PUBLIC_IDENTITY = Identity(PUBLIC_IDENTITY_ID, Role.PUBLIC, (ALL_COMMUNES,))


def public_identity(commune_code: str) -> Identity:
    """Anonymous visitors read one commune's public budget: the gateway's public identity,
    scoped to that commune only, so it opens nothing else even by mistake."""
    return Identity(PUBLIC_IDENTITY_ID, Role.PUBLIC, (commune_code,))
