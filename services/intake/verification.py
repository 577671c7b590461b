"""Citizens verifying a completed need by SMS or Telegram keyword (``OK <code> [feedback code] 1-5``).

Notify parses the keyword and publishes FeedbackMessageReceived; intake decides whether it
counts. The answer proves itself either by coming from a contact point the need's people gave
(with consent) or by the need's 6-digit feedback code, like the track page. Wrong codes count
towards the same lock as the track page's (``feedback_code.MAX_FAILURES``), so six digits cannot
be guessed by SMS either. Refusals are logged and change nothing else; notify has already
acknowledged the message.
"""

from __future__ import annotations

import logging
from typing import Any

from contracts.envelope import Envelope
from contracts.notify import FeedbackMessageReceivedV1
from services.intake import commands, feedback_code
from services.intake.tracking import normalise_tracking_code
from services.runtime.contacts import InvalidAddressError, normalise_address
from services.runtime.errors import DomainError
from services.runtime.stores import Transaction

log = logging.getLogger(__name__)

SATISFIED_FROM = 3
"""A rating of 3 ("all right") or more counts as satisfied; 1 and 2 as not."""


def _same(channel: str, given: str, sender: str) -> bool:
    """The same address however it was written (012 345 678 and +85512345678 are one phone)."""
    try:
        return normalise_address(channel, given) == normalise_address(channel, sender)
    except InvalidAddressError:
        return False


def sent_by_its_people(need: dict[str, Any], message: FeedbackMessageReceivedV1) -> bool:
    """The sender is a contact point someone who raised or supports the need gave, with consent."""
    sender = message.sender
    for person in need.get("raised_by", []) + need.get("supporters", []):
        contact = person.get("contact")
        if not contact or not person.get("consent") or contact.get("channel") != sender.channel.value:
            continue
        if _same(sender.channel.value, str(contact.get("address", "")), sender.address):
            return True
    return False


async def feedback_by_message(
    tx: Transaction, envelope: Envelope, message: FeedbackMessageReceivedV1
) -> None:
    try:
        code = normalise_tracking_code(message.tracking_code)
    except DomainError:
        log.info("feedback message %s: not a tracking code", message.message_id)
        return
    need = await tx.find_one("needs", {"tracking_code": code})
    if need is None or need["commune_code"] != message.commune_code:
        log.info("feedback message %s: no such need in commune %s", message.message_id, message.commune_code)
        return
    failures = int(need.get("feedback_failures", 0))
    proven = sent_by_its_people(need, message)
    if not proven and failures < feedback_code.MAX_FAILURES:
        proven = feedback_code.matches(need["id"], message.feedback_code, need.get("feedback_secret_hash"))
        if not proven and message.feedback_code:
            await tx.replace(
                "needs", {**need, "feedback_failures": failures + 1}, expected_version=need["version"]
            )
    if not proven:
        log.info("feedback message %s: not proven for %s", message.message_id, code)
        return
    try:
        await commands.feedback_in(
            tx,
            code,
            message.rating >= SATISFIED_FROM,
            None,
            envelope.time or message.received_at,
            envelope.correlationid,
            rating=message.rating,
            channel=message.channel.value,
            causation=envelope.id,
        )
    except DomainError as refused:
        # Not completed yet, say: nothing to verify. The citizen can answer again later.
        log.info("feedback message %s refused: %s", message.message_id, refused.code)
