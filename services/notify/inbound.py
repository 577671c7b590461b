"""Messages citizens send to a commune's SMS number or Telegram bot.

A command (STOP, START, STATUS <code>, JOIN, HELP, LANG, COME <meeting code>) is answered
here, from notify's own data. Anything else is a message for the commune: it becomes an
InboundMessageReceived event (intake makes a need draft of it) and the sender gets an
acknowledgement. Every message is stored once (by the provider's message id), whatever the
provider retries, in the same transaction as its effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import new_event, uuid7
from contracts.needs import ContactChannel, ContactPoint
from contracts.notify import (
    FEEDBACK_MESSAGE_RECEIVED,
    INBOUND_MESSAGE_RECEIVED,
    FeedbackMessageReceivedV1,
    InboundAudio,
    InboundChannel,
    InboundMessageReceivedV1,
)
from services.notify.come import come
from services.notify.deliveries import Cause
from services.notify.domain.commands import Command, CommandName, is_tracking_code, parse_command
from services.notify.domain.contacts import (
    InvalidAddressError,
    normalise_address,
    normalise_phone,
    reply_language,
)
from services.notify.domain.rules import Notice, ToContacts
from services.notify.domain.verify import Verification, parse_verification
from services.notify.exchange import Exchange
from services.notify.planner import Planner
from services.notify.recipients import ensure_contact, opt_in, opt_out, subscribe, update_contact
from services.runtime.outbox import outbox_row
from services.runtime.stores import Transaction

SOURCE = "/khum/notify"
NO_COMMUNE = "000000"
"""Deliveries answering someone whose commune is not known yet are filed under this code."""
MAX_EVENT_TEXT = 4096


@dataclass(frozen=True)
class Inbound:
    channel: InboundChannel
    provider_id: str
    sender: str
    text: str
    received_at: datetime
    to: str | None = None
    """The number it was sent to (SMS): which commune's number."""
    commune_code: str | None = None
    """The commune the channel itself belongs to (a commune's Facebook Page), when it says."""
    audio: InboundAudio | None = None
    """A voice note, already stored by notify (services/notify/voice.py)."""


@dataclass(frozen=True)
class InboundResult:
    message_id: str
    duplicate: bool
    outcome: str
    commune_code: str | None
    replies: int


class InboundHandler:
    def __init__(self, exchange: Exchange, planner: Planner) -> None:
        self.exchange = exchange
        self.planner = planner

    def commune_for_number(self, to: str | None) -> str | None:
        settings = self.exchange.settings
        numbers: dict[str, str] = {}
        for number, commune in settings.sms_numbers.items():
            try:
                numbers[normalise_phone(number)] = commune
            except InvalidAddressError:
                numbers[number] = commune
        if to:
            try:
                found = numbers.get(normalise_phone(to)) or numbers.get(to)
            except InvalidAddressError:
                found = numbers.get(to)
            if found:
                return found
        return settings.sms_default_commune or None

    async def handle(self, tx: Transaction, message: Inbound, now: datetime) -> InboundResult:
        key = f"{message.channel.value}:{message.provider_id}"
        seen = await tx.find_one("inbound_messages", {"provider_key": key})
        if seen is not None:
            return InboundResult(seen["id"], True, seen["outcome"], seen.get("commune_code"), 0)
        address = normalise_address(message.channel.value, message.sender)  # raises a clear 422
        existing = await tx.get("contacts", f"{message.channel.value}:{address}")
        if message.commune_code:
            commune: str | None = message.commune_code
        elif message.channel is InboundChannel.SMS:
            commune = self.commune_for_number(message.to)
        else:
            commune = (
                (existing or {}).get("commune_code")
                or self.exchange.settings.telegram_default_commune
                or None
            )
        contact = await ensure_contact(tx, message.channel.value, address, now, commune_code=commune)
        message_id = uuid7()
        command = parse_command(message.text)
        verification = parse_verification(message.text) if command is None else None
        run = _Run(self, tx, message_id, contact, commune, now)
        if command is not None:
            outcome = await run.command(command)
        elif verification is not None:
            outcome = await self._verify(run, message, verification)
        elif not message.text.strip():
            outcome = "empty"
            await run.reply("reply_help")
        elif run.commune is None:
            outcome = "unrouted"
            await run.reply("reply_no_commune")
        else:
            outcome = "need_message"
            await self._publish(tx, message, message_id, run.contact, run.commune, now)
            await run.reply("reply_ack")
        await tx.insert(
            "inbound_messages",
            {
                "id": message_id,
                "provider_key": key,
                "channel": message.channel.value,
                "contact_id": run.contact["id"],
                "commune_code": run.commune,
                "text": message.text,
                "command": command.name.value if command else None,
                "outcome": outcome,
                "received_at": message.received_at.isoformat(),
                "stored_at": now.isoformat(),
            },
        )
        return InboundResult(message_id, False, outcome, run.commune, run.replies)

    async def _verify(self, run: _Run, message: Inbound, verification: Verification) -> str:
        """``OK <code> [feedback code] 1-5``: intake decides whether it counts (it knows the
        need's people); the citizen is thanked at once, in their language. The tracking code
        names the need, so its commune routes the message when the number and the contact do not
        (a citizen who raised a need through a facilitator writes to any Khum number)."""
        if run.commune is None:
            need = await run.tx.find_one("needs", {"tracking_code": verification.tracking_code})
            run.commune = need["commune_code"] if need else None
        if run.commune is None:
            await run.reply("reply_no_commune")
            return "command:verify:unrouted"
        sender = ContactPoint(
            channel=ContactChannel(message.channel.value),
            address=run.contact["address"],
            language=reply_language(run.contact.get("language")),
        )
        event = new_event(
            FeedbackMessageReceivedV1(
                message_id=run.message_id,
                commune_code=run.commune,
                channel=message.channel,
                sender=sender,
                tracking_code=verification.tracking_code,
                feedback_code=verification.feedback_code,
                rating=verification.rating,
                received_at=message.received_at,
            ),
            event_type=FEEDBACK_MESSAGE_RECEIVED,
            source=SOURCE,
            communecode=run.commune,
            subject=run.message_id,
            correlationid=run.message_id,
        )
        await run.tx.add_outbox(outbox_row(event))
        await run.reply(
            "reply_verify",
            ref=verification.tracking_code,
            tracking_code=verification.tracking_code,
            rating=verification.rating,
        )
        return "command:verify"

    async def _publish(
        self,
        tx: Transaction,
        message: Inbound,
        message_id: str,
        contact: dict[str, Any],
        commune: str,
        now: datetime,
    ) -> None:
        sender = ContactPoint(
            channel=ContactChannel(message.channel.value),
            address=contact["address"],
            language=reply_language(contact.get("language")),
        )
        event = new_event(
            InboundMessageReceivedV1(
                message_id=message_id,
                commune_code=commune,
                channel=message.channel,
                sender=sender,
                text=message.text.strip()[:MAX_EVENT_TEXT],
                received_at=message.received_at,
                provider_message_id=message.provider_id,
                audio=message.audio,
            ),
            event_type=INBOUND_MESSAGE_RECEIVED,
            source=SOURCE,
            communecode=commune,
            subject=message_id,
            correlationid=message_id,
        )
        await tx.add_outbox(outbox_row(event))


class _Run:
    """One inbound message being answered."""

    def __init__(
        self,
        handler: InboundHandler,
        tx: Transaction,
        message_id: str,
        contact: dict[str, Any],
        commune: str | None,
        now: datetime,
    ) -> None:
        self.handler = handler
        self.tx = tx
        self.message_id = message_id
        self.contact = contact
        self.commune = commune
        self.now = now
        self.replies = 0

    async def reply(
        self, kind: str, commune: str | None = None, ref: str | None = None, **context: Any
    ) -> None:
        notice = Notice(
            kind, ToContacts(()), commune or self.commune or NO_COMMUNE, {"need": None, **context}, ref=ref
        )
        cause = Cause(self.message_id, self.message_id)
        self.replies += await self.handler.planner.to_contact(
            self.tx, cause, notice, self.contact, notice.context, self.now, reply=True
        )

    async def command(self, command: Command) -> str:
        name = command.name
        if name is CommandName.STOP:
            self.contact = await opt_out(self.tx, self.contact, self.now)
            await self.reply("reply_stop")
        elif name is CommandName.START:
            self.contact = await opt_in(self.tx, self.contact, self.now)
            if command.argument:
                await self._bind(command.argument)
            await self.reply("reply_start")
        elif name is CommandName.JOIN:
            if command.argument:
                await self._bind(command.argument)
            if self.commune is None:
                await self.reply("reply_no_commune")
                return "command:join:unrouted"
            self.contact = await opt_in(self.tx, self.contact, self.now)
            await subscribe(self.tx, self.contact, self.commune, self.now)
            await self.reply("reply_join")
        elif name is CommandName.STATUS:
            await self._status(command.argument)
        elif name is CommandName.LANG:
            self.contact = await update_contact(self.tx, self.contact, self.now, language=command.argument)
            await self.reply("reply_lang")
        elif name is CommandName.COME:
            secret = self.handler.exchange.settings.secret("identity_secret")
            return await come(self, self.handler.planner, secret, command.argument, self.contact["channel"])
        else:
            await self.reply("reply_help")
        return f"command:{name.value}"

    async def _bind(self, commune: str) -> None:
        """``/start 160101`` (the commune's Telegram link): this chat belongs to that commune."""
        self.commune = commune
        self.contact = await update_contact(self.tx, self.contact, self.now, commune_code=commune)
        await subscribe(self.tx, self.contact, commune, self.now)

    async def _status(self, code: str | None) -> None:
        if not code:
            await self.reply("reply_status_usage")
            return
        need = await self.tx.find_one("needs", {"tracking_code": code}) if is_tracking_code(code) else None
        if need is None:
            await self.reply("reply_unknown_code", code=code)
            return
        await self.reply(
            "reply_status",
            commune=need["commune_code"],
            ref=need["tracking_code"],
            tracking_code=need["tracking_code"],
            status=need.get("status"),
            reason=need.get("reason"),
            merged_into=need.get("merged_into"),
            survivor=await self._survivor(need),
        )

    async def _survivor(self, need: dict[str, Any]) -> dict[str, Any] | None:
        """Where a merged need went, so its people hear that need's fate, not just "merged"."""
        code = need.get("merged_into")
        survivor = await self.tx.find_one("needs", {"tracking_code": code}) if code else None
        if survivor is None:
            return None
        return {"status": survivor.get("status"), "reason": survivor.get("reason")}
