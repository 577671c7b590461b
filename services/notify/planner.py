"""Turns notices into deliveries: people, their channels and languages, consent and opt-outs.

Runs in the consumer's transaction. In-app notices become inbox entries (and NotificationQueued
events) at once; loudspeaker notices become scripts for the village chief; everything else is
queued for the dispatcher. A delivery whose dedup key exists already is skipped: the same event
never makes a second message, whatever the broker redelivers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts.notify import DeliveryChannel
from services.notify import deliveries
from services.notify.deliveries import Cause
from services.notify.digest import add_to_digest
from services.notify.domain.contacts import InvalidAddressError, mask, normalise_address
from services.notify.domain.delivery import Status, dedup_key
from services.notify.domain.rules import (
    Notice,
    ToAudience,
    ToContacts,
    ToLoudspeakers,
    ToMeetingPeople,
    ToNeedRaisers,
    ToSubscribers,
)
from services.notify.domain.signatures import unsubscribe_token
from services.notify.domain.sms import fit_sms, gsm7_friendly, sms_length
from services.notify.exchange import Exchange
from services.notify.facts import project_facts
from services.notify.local_channels import write_in_app, write_loudspeaker
from services.notify.meeting_copy import fill_context, loudspeaker_villages, people, remember
from services.notify.recipients import ensure_contact
from services.notify.rendering import render
from services.runtime.stores import Store, Transaction

SOURCE = "/khum/notify"
CHANNEL_NAMES = {
    "sms": "SMS",
    "telegram": "Telegram",
    "email": "e-mail",
    "push": "Web Push",
    "facebook": "Messenger",
}


class Planner:
    """``store`` is read outside the transaction for lists (an audience's phones, a commune's
    subscribers): those change rarely, and the dedup key guards against any overlap."""

    def __init__(self, exchange: Exchange, store: Store) -> None:
        self.exchange = exchange
        self.store = store

    async def plan(self, tx: Transaction, cause: Cause, notices: list[Notice], now: datetime) -> int:
        """Create the deliveries for ``notices``; returns how many were queued for sending."""
        queued = 0
        event_cause = cause
        for notice in notices:
            # A reminder is a second message from the same event to the same person.
            cause = (
                Cause(f"{event_cause.id}#{notice.tag}", event_cause.correlation_id)
                if notice.tag
                else event_cause
            )
            context = await self.context_for(tx, notice)
            target = notice.target
            told: list[str] = []
            if isinstance(target, ToAudience):
                if DeliveryChannel.IN_APP in target.channels:
                    await write_in_app(tx, cause, notice, target.audience, context, now)
                if DeliveryChannel.PUSH in target.channels and DeliveryChannel.PUSH in self.exchange.enabled:
                    async for sub in self.store.iterate(
                        "push_subscriptions", {"audience": target.audience, "active": True}
                    ):
                        queued += await self._push(tx, cause, notice, sub["endpoint_hash"], context, now)
            elif isinstance(target, ToContacts):
                for point in target.contacts:
                    queued += await self._contact_point(
                        tx, cause, notice, point.channel.value, point.address, point.language, context, now
                    )
            elif isinstance(target, ToNeedRaisers):
                need = await tx.get("needs", target.need_id)
                if need is not None and not need.get("contacts"):
                    # Nobody gave a phone: the facilitator who recorded it goes back to them.
                    await add_to_digest(tx, cause, notice, need, context, now)
                for cid in (need or {}).get("contacts", []):
                    contact = await tx.get("contacts", cid)
                    if contact is not None:
                        queued += await self.to_contact(tx, cause, notice, contact, context, now)
                        told.append(contact["id"])
            elif isinstance(target, ToSubscribers):
                async for sub in self.store.iterate(
                    "subscriptions", {"commune_code": target.commune_code, "active": True}
                ):
                    contact = await tx.get("contacts", sub["contact_id"])
                    if contact is not None:
                        queued += await self.to_contact(tx, cause, notice, contact, context, now)
                        told.append(contact["id"])
            elif isinstance(target, ToMeetingPeople):
                for cid in await people(self.store, target.meeting_id):
                    contact = await tx.get("contacts", cid)
                    if contact is not None:
                        queued += await self.to_contact(tx, cause, notice, contact, context, now)
            elif isinstance(target, ToLoudspeakers):
                named: dict[str, dict[str, str] | None] = dict.fromkeys(target.village_codes)
                if notice.meeting_id:
                    copy = await tx.get("meetings", notice.meeting_id)
                    named = await loudspeaker_villages(
                        self.store, copy, target.village_codes, target.whole_commune, notice.commune_code
                    )
                for village, names in named.items():
                    await write_loudspeaker(tx, cause, notice, village, context, now, village_name=names)
            if notice.meeting_id and told:
                await remember(tx, notice.meeting_id, "told", told)
        return queued

    async def context_for(self, tx: Transaction, notice: Notice) -> dict[str, Any]:
        context: dict[str, Any] = {"need": None, "unsubscribe_url": None, **notice.context}
        if notice.need_id:
            copy = await tx.get("needs", notice.need_id)
            if copy is not None:
                project_id = copy.get("project_id")
                context["need"] = {
                    "tracking_code": copy.get("tracking_code"),
                    "excerpt": copy.get("excerpt"),
                    "village": copy.get("village"),
                    "merged_into": copy.get("merged_into"),
                    "merged_from": copy.get("merged_codes") or [],
                    "rank": copy.get("rank"),
                    "ranked_of": copy.get("ranked_of"),
                    "project": project_facts(await tx.get("projects", project_id) if project_id else None),
                }
        if notice.meeting_id:
            copy = await tx.get("meetings", notice.meeting_id)
            fill_context(context, copy, self.exchange.settings.public_url or self.exchange.settings.app_url)
        return context

    @staticmethod
    async def _exists(tx: Transaction, cause: Cause, target: str, channel: DeliveryChannel) -> bool:
        key = dedup_key(cause.id, target, channel.value)
        return await tx.find_one("deliveries", {"dedup_key": key}) is not None

    async def _push(
        self,
        tx: Transaction,
        cause: Cause,
        notice: Notice,
        endpoint_id: str,
        context: Mapping[str, Any],
        now: datetime,
    ) -> int:
        endpoint = await tx.get("push_endpoints", endpoint_id)
        if endpoint is None or not endpoint.get("active"):
            return 0
        if await self._exists(tx, cause, endpoint_id, DeliveryChannel.PUSH):
            return 0
        language = endpoint.get("language") or "km"
        rendered = render(notice.kind, DeliveryChannel.PUSH.value, language, context)
        base = self.exchange.settings.app_url.rstrip("/")
        record = deliveries.new_delivery(
            cause=cause.id,
            correlation_id=cause.correlation_id,
            kind=notice.kind,
            channel=DeliveryChannel.PUSH,
            target=endpoint_id,
            recipient=mask("push", endpoint["endpoint"]),
            commune_code=notice.commune_code,
            language=language,
            text=rendered.text,
            now=now,
            ref=notice.ref,
            data={"url": f"{base}/notifications", "tag": notice.ref or notice.kind},
            not_before=notice.not_before,
        )
        await deliveries.insert(tx, record, now)
        return 1

    def _fewest_segments(
        self, kind: str, language: str, context: Mapping[str, Any], full: str
    ) -> tuple[str, int]:
        """Each SMS part is paid for: the full text if it fits as it is, else the template's
        brief form when that saves a part, plain GSM-7 punctuation where that alone avoids
        UCS-2, and never more parts than ``sms_max_segments`` (the end cut at a word or
        cluster boundary)."""
        limit = self.exchange.settings.sms_max_segments
        candidates = [gsm7_friendly(full)]
        if sms_length(candidates[0]).segments > 1:
            brief = render(kind, DeliveryChannel.SMS.value, language, {**context, "brief": True}).text
            candidates.append(gsm7_friendly(brief))
        fitted = [fit_sms(text, limit) for text in candidates]
        # Fewest parts first; then a text sent whole over one cut short; then the full wording.
        order = sorted(
            range(len(fitted)),
            key=lambda i: (sms_length(fitted[i]).segments, fitted[i] != candidates[i], i),
        )
        best = fitted[order[0]]
        return best, sms_length(best).segments

    async def _contact_point(
        self,
        tx: Transaction,
        cause: Cause,
        notice: Notice,
        channel: str,
        address: str,
        language: str,
        context: Mapping[str, Any],
        now: datetime,
    ) -> int:
        try:
            normalised = normalise_address(channel, address)
        except InvalidAddressError as exc:
            # Kept as a failed delivery so the council sees who could not be told, and why.
            target = f"{channel}:invalid:{hashlib.sha256(address.encode()).hexdigest()[:12]}"
            if await self._exists(tx, cause, target, DeliveryChannel(channel)):
                return 0
            record = deliveries.new_delivery(
                cause=cause.id,
                correlation_id=cause.correlation_id,
                kind=notice.kind,
                channel=DeliveryChannel(channel),
                target=target,
                recipient="(invalid address)",
                commune_code=notice.commune_code,
                language=language,
                text="",
                now=now,
                ref=notice.ref,
                status=Status.FAILED,
                error=(exc.code, exc.message("en")),
            )
            await deliveries.insert(tx, record, now)
            return 0
        contact = await ensure_contact(
            tx,
            channel,
            normalised,
            now,
            language=language,
            commune_code=notice.commune_code,
            consent_source=cause.id,
        )
        return await self.to_contact(tx, cause, notice, contact, context, now)

    async def to_contact(
        self,
        tx: Transaction,
        cause: Cause,
        notice: Notice,
        contact: Mapping[str, Any],
        context: Mapping[str, Any],
        now: datetime,
        *,
        reply: bool = False,
    ) -> int:
        """One delivery to a citizen's contact point. A ``reply`` answers a message the person
        just sent (STATUS, STOP...): it skips quiet hours and is sent even after an opt-out."""
        channel = DeliveryChannel(contact["channel"])
        if contact.get("opted_out") and not reply:
            return 0
        if await self._exists(tx, cause, contact["id"], channel):
            return 0
        language = contact.get("language") or "km"
        common: dict[str, Any] = {
            "cause": cause.id,
            "correlation_id": cause.correlation_id,
            "kind": notice.kind,
            "channel": channel,
            "target": contact["id"],
            "recipient": contact.get("masked") or mask(channel.value, contact["address"]),
            "commune_code": notice.commune_code,
            "language": language,
            "now": now,
            "ref": notice.ref,
            "quiet_exempt": reply,
            "ignore_opt_out": reply,
            "not_before": notice.not_before,
        }
        if channel not in self.exchange.enabled:
            name = CHANNEL_NAMES.get(channel.value, channel.value)
            error = ("channel.off", f"{name} is not configured on this server")
            record = deliveries.new_delivery(**common, text="", status=Status.FAILED, error=error)
            await deliveries.insert(tx, record, now)
            return 0
        data: dict[str, str] = {}
        if channel is DeliveryChannel.EMAIL and self.exchange.settings.public_url:
            token = unsubscribe_token(self.exchange.settings.secret("identity_secret"), contact["id"])
            data["unsubscribe"] = f"{self.exchange.settings.public_url.rstrip('/')}/unsubscribe/{token}"
            context = {**context, "unsubscribe_url": data["unsubscribe"]}
        rendered = render(notice.kind, channel.value, language, {"brief": False, **context})
        text, segments = rendered.text, None
        if channel is DeliveryChannel.SMS:
            text, segments = self._fewest_segments(notice.kind, language, context, text)
        record = deliveries.new_delivery(
            **common, text=text, subject=rendered.subject, segments=segments, data=data
        )
        await deliveries.insert(tx, record, now)
        return 1
