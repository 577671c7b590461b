"""Need drafts: messages citizens sent to the commune's SMS number, Telegram bot or Facebook Page.

Notify publishes each as InboundMessageReceived; intake keeps it as a draft until a
facilitator of the commune confirms it (choosing the village and sector, editing the text)
or dismisses it. A confirmed draft becomes a need whose raiser is the sender, so the sender
receives the tracking code on the channel they wrote from.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.api.intake import ConfirmIn, DismissIn, Draft, NeedView
from contracts.envelope import Envelope, uuid7
from contracts.notify import INBOUND_MESSAGE_RECEIVED, InboundMessageReceivedV1
from contracts.subjects import all_communes
from services.intake import commands, domain
from services.intake.api import person_of
from services.intake.domain import NeedError
from services.intake.erasure import erased_before
from services.intake.views import need_view
from services.runtime.application import inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.erasure import Digests
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import Identity
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Collection, Transaction

log = logging.getLogger(__name__)

DRAFTS = Collection("drafts", unique=("message_id",), indexes=("commune_code", "status"))
INBOUND_CONSUMER = "intake-inbound"

router = APIRouter(tags=["drafts"])


def _masked(address: str) -> str:
    return "•" * max(0, len(address) - 3) + address[-3:]


def draft_view(doc: dict[str, Any], caller: Identity) -> dict[str, Any]:
    """Facilitators see enough to call back only if they are on the council; others a masked number."""
    sender = dict(doc["sender"])
    if not caller.is_council_of(doc["commune_code"]):
        sender["address"] = _masked(sender["address"])
    return {k: v for k, v in doc.items() if k not in ("sender", "version")} | {"sender": sender}


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    digests = Digests(runtime.settings.identity_secret.get_secret_value())

    @inbox_handler(commands.unit_of_work(runtime), INBOUND_CONSUMER, InboundMessageReceivedV1)
    async def on_inbound(tx: Transaction, envelope: Envelope, message: InboundMessageReceivedV1) -> None:
        sender = message.sender
        if await tx.find_one("drafts", {"message_id": message.message_id}):
            return
        if await erased_before(tx, digests, sender.channel.value, sender.address, message.received_at):
            log.info("a message from a person erased since is not kept as a draft")
            return
        await tx.insert(
            "drafts",
            {
                "id": uuid7(),
                "message_id": message.message_id,
                "commune_code": message.commune_code,
                "channel": message.channel.value,
                "sender": message.sender.model_dump(mode="json"),
                "text": message.text,
                # A voice note: notify keeps the audio, the draft its reference (for playback).
                "audio": message.audio.model_dump(mode="json") if message.audio else None,
                "received_at": message.received_at.isoformat(),
                "status": "open",
                "need_id": None,
                "closed_by": None,
                "reason": None,
            },
        )

    return [
        ConsumerSpec(INBOUND_CONSUMER, "KHUM_NOTIFY", (all_communes(INBOUND_MESSAGE_RECEIVED),), on_inbound)
    ]


@router.get("/drafts", response_model=list[Draft])
async def list_drafts(
    caller: CallerDep,
    runtime: RuntimeDep,
    commune: Annotated[str, Query(pattern=r"^\d{6}$")],
    status: Annotated[str, Query(pattern=r"^(open|confirmed|dismissed)$")] = "open",
) -> list[dict[str, Any]]:
    if caller.is_public or not caller.covers(commune) or not domain.may_record(caller):
        raise NeedError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)
    docs = await runtime.store.page(
        "drafts", {"commune_code": commune, "status": status}, limit=100, newest_first=True
    )
    return [draft_view(d, caller) for d in docs]


@router.post("/drafts/{draft_id}/confirm", status_code=201, response_model=NeedView)
async def confirm_draft(
    draft_id: str,
    body: ConfirmIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Turn a citizen's message into a need; its sender is the raiser and hears the tracking code."""
    now = datetime.now(UTC)
    raiser = None
    if body.raised_by is not None:
        if body.raised_by.contact is not None:
            raise NeedError(
                "draft.contact_given",
                "The sender's contact comes from the message; leave it out.",
                "ទំនាក់ទំនងរបស់អ្នកផ្ញើបានមកពីសាររួចហើយ។ សូមកុំបញ្ចូលវា។",
                field="raisedBy.contact",
            )
        raiser = person_of(body.raised_by, caller, now, "raisedBy")
    recorded = await commands.confirm_draft(
        runtime,
        draft_id,
        caller,
        village_code=body.village_code,
        description=body.description,
        sector=body.sector,
        need_type=body.need_type,
        idempotency_key=body.idempotency_key,
        now=now,
        correlation=correlation_id,
        raised_by=raiser,
    )
    # The feedback code is in this answer only: intake keeps its hash.
    return {**need_view(recorded.need, caller), "feedback_code": recorded.feedback_code}


@router.post("/drafts/{draft_id}/dismiss", response_model=Draft)
async def dismiss_draft(
    draft_id: str, body: DismissIn, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    stored = await commands.dismiss_draft(runtime, draft_id, caller, body.reason.strip())
    return draft_view(stored, caller)
