"""Erasing a person, as the GraphQL mutation and the admin page both ask for it.

Intake erases its part and asks every other service to do the same (PersonErased); the gateway
then writes the audit entry: who did it, when, how much went, never who it was.
"""

from __future__ import annotations

from typing import Any

from gateway.clients import Caller
from gateway.identity.accounts import Account
from gateway.wiring import Gateway


async def erase_person(gateway: Gateway, actor: Account, body: dict[str, Any], lang: str) -> dict[str, Any]:
    """Raises ServiceError with intake's code and message (in ``lang``) when refused."""
    done = await gateway.clients.intake.erase_person(Caller(actor.identity(), lang), body)
    counts = {"people": done.people, "needs": done.needs, "drafts": done.drafts}
    await gateway.admin.record(actor.id, "person.erased", done.erasure_id, dict(counts))
    return {"id": done.erasure_id, **counts}
