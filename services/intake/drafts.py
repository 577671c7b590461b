"""Need drafts: messages citizens sent to the commune's SMS number or Telegram bot.

Notify publishes each as InboundMessageReceived; intake keeps it as a draft until a
facilitator of the commune confirms it (choosing the village and sector, editing the text)
or dismisses it. A confirmed draft becomes a need whose raiser is the sender, so the sender
receives the tracking code on the channel they wrote from.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import uuid7
from contracts.needs import ContactPoint, Sector
from contracts.notify import INBOUND_MESSAGE_RECEIVED, InboundMessageReceivedV1
from contracts.registry import read_event
from contracts.subjects import all_communes
from services.intake import domain, feedback_code
from services.intake.api import insert_need
from services.intake.domain import NeedError, SubmitNeed
from services.intake.erasure import erased_before
from services.intake.inclusion import Consent, ConsentMethod, make_person
from services.intake.store import get_village
from services.intake.views import need_view
from services.runtime.consumer import ConsumerSpec
from services.runtime.erasure import Digests
from services.runtime.identity import CallerDep, Identity
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Collection, DuplicateKeyError, VersionConflictError

log = logging.getLogger(__name__)

DRAFTS = Collection("drafts", unique=("message_id",), indexes=("commune_code", "status"))
INBOUND_CONSUMER = "intake-inbound"

router = APIRouter(tags=["drafts"])


class DraftNotFoundError(NeedError):
    def __init__(self) -> None:
        super().__init__("draft.not_found", "No such draft.", "រកមិនឃើញសេចក្តីព្រាងនេះទេ។", status=404)


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

    async def on_inbound(raw: bytes) -> None:
        envelope, message = read_event(raw, InboundMessageReceivedV1)
        sender = message.sender
        async with runtime.unit_of_work() as tx:
            if not await tx.mark_processed(INBOUND_CONSUMER, envelope.id):
                return
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


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    description: str | None = Field(default=None, max_length=20_000)
    sector: Sector | None = None
    need_type: str | None = Field(default=None, max_length=40)
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-:.]+$")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


@router.get("/drafts")
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


async def _open_draft(runtime: Runtime, draft_id: str, caller: Identity) -> dict[str, Any]:
    doc = await runtime.store.get("drafts", draft_id)
    if doc is None or not caller.covers(doc["commune_code"]):
        raise DraftNotFoundError()
    if doc["status"] != "open":
        raise NeedError(
            "draft.closed", "This draft was already handled.", "សេចក្តីព្រាងនេះត្រូវបានដោះស្រាយរួចហើយ។", status=409
        )
    return doc


@router.post("/drafts/{draft_id}/confirm", status_code=201)
async def confirm_draft(
    draft_id: str,
    body: ConfirmIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: Annotated[str | None, Header(alias="x-correlation-id")] = None,
) -> dict[str, Any]:
    """Turn a citizen's message into a need; its sender is the raiser and hears the tracking code."""
    for _ in range(5):
        draft = await _open_draft(runtime, draft_id, caller)
        now = datetime.now(UTC)
        sender = ContactPoint.model_validate(draft["sender"])
        # Writing to the commune is the citizen's own request to be answered on that channel.
        raiser = make_person(
            kind="person",
            name=None,
            attributes=None,
            consent=Consent(ConsentMethod.IN_APP, caller.user_id, now),
            contact=sender,
            people=None,
            group_counts=None,
            prefix="raisedBy",
        )
        command = SubmitNeed(
            village_code=body.village_code,
            description=body.description if body.description is not None else draft["text"],
            sector=body.sector,
            idempotency_key=body.idempotency_key,
            need_type=body.need_type,
            channel="sms" if draft["channel"] == "sms" else "telegram",
            raised_by=raiser,
        )
        try:
            async with runtime.unit_of_work() as tx:
                village = await get_village(tx, command.village_code)
                if village is not None and village.commune_code != draft["commune_code"]:
                    raise NeedError(
                        "draft.village_other_commune",
                        "Choose a village of the commune the message was sent to.",
                        "សូមជ្រើសរើសភូមិក្នុងឃុំដែលសារត្រូវបានផ្ញើទៅ។",
                        field="villageCode",
                    )
                stored = await insert_need(
                    tx,
                    command,
                    caller,
                    key=f"{caller.user_id}:{body.idempotency_key}",
                    now=now,
                    correlation=correlation_id,
                    feedback=(code := feedback_code.new_code()),
                )
                await tx.replace(
                    "drafts",
                    {**draft, "status": "confirmed", "need_id": stored["id"], "closed_by": caller.user_id},
                    expected_version=draft["version"],
                )
            return {**need_view(stored, caller), "feedback_code": code}
        except (VersionConflictError, DuplicateKeyError):
            continue
    raise NeedError(
        "need.busy",
        "Someone else handled this draft at the same moment.",
        "មាននរណាម្នាក់បានដោះស្រាយសេចក្តីព្រាងនេះក្នុងពេលជាមួយគ្នា។",
        status=409,
    )


@router.post("/drafts/{draft_id}/dismiss")
async def dismiss_draft(
    draft_id: str, body: DismissIn, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    if not domain.may_record(caller):
        raise NeedError(
            "need.not_allowed",
            "Your role cannot handle drafts.",
            "តួនាទីរបស់អ្នកមិនអាចដោះស្រាយសេចក្តីព្រាងបានទេ។",
            status=403,
        )
    draft = await _open_draft(runtime, draft_id, caller)
    async with runtime.unit_of_work() as tx:
        stored = await tx.replace(
            "drafts",
            {**draft, "status": "dismissed", "closed_by": caller.user_id, "reason": body.reason.strip()},
            expected_version=draft["version"],
        )
    return draft_view(stored, caller)
