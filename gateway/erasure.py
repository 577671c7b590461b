"""Erasing a person, as the GraphQL mutation and the admin page both ask for it.

Intake erases its part and asks every other service to do the same (PersonErased); the gateway
then writes the audit entry: who did it, when, how much went, never who it was.
"""

from __future__ import annotations

from typing import Any

from gateway.accounts import Account
from gateway.wiring import Gateway


async def erase_person(gateway: Gateway, actor: Account, body: dict[str, Any], lang: str) -> dict[str, Any]:
    """Raises ServiceError with intake's code and message (in ``lang``) when refused."""
    intake = gateway.services["intake"]
    _, done = await intake.request("POST", "/erasures", actor.identity(), lang=lang, json=body)
    counts = {"people": int(done["people"]), "needs": int(done["needs"]), "drafts": int(done["drafts"])}
    await gateway.admin.record(actor.id, "person.erased", str(done["erasureId"]), dict(counts))
    return {"id": str(done["erasureId"]), **counts}
