"""Notify as a real service in the test process: its FastAPI app served by uvicorn on
127.0.0.1, its own SQLite file, a real nats-server, a fixed clock, and every channel pointed at
a local peer (SMS provider, Telegram Bot API, Web Push service, SMTP server)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from contracts.envelope import Envelope, new_event
from services.notify.app import create_app
from services.notify.channels.webpush_crypto import VapidKey
from services.notify.domain.quiet import FixedClock
from services.notify.exchange import Exchange
from services.notify.settings import NotifySettings
from services.notify.wiring import Collaborators
from services.runtime.identity import Identity, Role
from services.runtime.outbox import OutboxRelay
from services.runtime.service import Runtime
from services.runtime.settings import DEVELOPMENT_SECRET
from services.runtime.stores import Store
from services.runtime.tokens import issue_token
from tests.support.http import serve
from tests.support.push_service import PushService
from tests.support.sms_provider import SmsProvider
from tests.support.smtp import Inbox, smtp_server
from tests.support.telegram_api import TelegramBotApi

MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Phnom Penh
COMMUNE_NUMBER = "+85523900101"
SMS_SECRET = "sms-webhook-secret-0123456789abcdef"
TELEGRAM_SECRET = "telegram_webhook_secret_0123456789"
BOT_TOKEN = "4242:khum-test-bot"


@dataclass
class Harness:
    clock: FixedClock
    sms: SmsProvider
    telegram: TelegramBotApi
    push: PushService
    mail: Inbox
    url: str
    http: httpx.AsyncClient
    exchange: Exchange
    store: Store
    nc: Client
    js: JetStreamContext
    vapid: VapidKey
    collaborators: Collaborators
    runtime: Runtime | None = None

    @asynccontextmanager
    async def relay_paused(self) -> AsyncIterator[None]:
        """Notify's outbox relay stopped, as if NATS were out of reach for it: events stay in
        the outbox, unsent. A fresh relay takes over afterwards."""
        runtime = self.runtime
        assert runtime is not None
        await runtime.relay.stop()
        try:
            yield
        finally:
            runtime.relay = OutboxRelay(runtime.store, runtime.bus, process=runtime.name)
            runtime.relay.start()
            self.collaborators.dispatcher.on_commit = runtime.relay.wake

    async def publish(
        self, payload: BaseModel, event_type: str, commune: str, *, subject: str | None = None
    ) -> Envelope:
        envelope = new_event(
            payload, event_type=event_type, source="/khum/intake", communecode=commune, subject=subject
        )
        await self.republish(envelope)
        return envelope

    async def republish(self, envelope: Envelope) -> None:
        """The same event again, with a new message id: past the broker's dedup window."""
        await self.js.publish(
            envelope.nats_subject,
            envelope.to_bytes(),
            headers={"Nats-Msg-Id": f"{envelope.id}-{uuid.uuid4()}"},
        )

    async def caught_up(self, durable: str = "notify-needs", stream: str = "KHUM_NEEDS") -> bool:
        info = await self.js.consumer_info(stream, durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    async def dispatch(self) -> int:
        return await self.collaborators.dispatcher.run_once()

    def token(self, role: Role, communes: tuple[str, ...], user: str = "u-test") -> dict[str, str]:
        return {"authorization": f"Bearer {issue_token(Identity(user, role, communes), DEVELOPMENT_SECRET)}"}

    async def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        return [doc async for doc in self.store.iterate("deliveries", where)]

    async def events(self, subject: str, limit: int = 500) -> list[dict[str, Any]]:
        """Every event stored on a subject of KHUM_NOTIFY or KHUM_DLQ (envelope and headers)."""
        stream = "KHUM_DLQ" if subject.startswith("khum.dlq.") else "KHUM_NOTIFY"
        sub = await self.js.pull_subscribe(
            subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        )
        found: list[dict[str, Any]] = []
        try:
            while len(found) < limit:
                try:
                    msgs = await sub.fetch(100, timeout=0.5)
                except (nats.errors.TimeoutError, TimeoutError):
                    break
                for msg in msgs:
                    found.append({"event": Envelope.from_bytes(msg.data), "headers": dict(msg.headers or {})})
                    await msg.ack()
        finally:
            await sub.unsubscribe()
        return found


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan; at exit, the relay and consumer loops are cancelled again until
    they have stopped.

    Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that lands just as its wait
    ends (fixed in 3.12): the runtime's loops (``services/runtime/outbox.py``, ``consumer.py``)
    then run on and their ``stop()`` waits forever. Until they check a stop flag, tests nudge.
    """
    async with app.router.lifespan_context(app):
        yield
        runtime = app.state.runtime
        loops = [runtime.relay, *runtime.consumers]

        async def nudge() -> None:
            while True:
                await asyncio.sleep(0.5)
                for loop in loops:
                    task = getattr(loop, "_task", None)
                    if task is not None and not task.done():
                        task.cancel()

        nudger = asyncio.create_task(nudge())
    nudger.cancel()


@asynccontextmanager
async def notify_harness(nats_url: str, folder: Path, **overrides: Any) -> AsyncIterator[Harness]:
    clock = FixedClock(MORNING)
    sms = SmsProvider(api_key="sms-api-key", webhook_secret=SMS_SECRET, clock=lambda: clock.now().timestamp())
    telegram = TelegramBotApi(token=BOT_TOKEN)
    push = PushService(clock=lambda: clock.now().timestamp())
    vapid = VapidKey.generate()
    with smtp_server() as mail:
        async with (
            serve(sms.app) as sms_url,
            serve(telegram.app) as telegram_url,
            serve(push.app) as push_url,
        ):
            push.base_url = push_url
            defaults: dict[str, Any] = dict(
                nats_url=nats_url,
                store_url=f"sqlite:///{folder / 'notify.db'}",
                dispatch_interval_seconds=0.1,
                retry_base_seconds=1.0,
                retry_cap_seconds=8.0,
                max_attempts=3,
                vapid_private_key=vapid.private_setting(),
                vapid_subject="mailto:ops@khum.example",
                push_allow_insecure_endpoints=True,
                sms_base_url=sms_url,
                sms_api_key="sms-api-key",
                sms_webhook_secret=SMS_SECRET,
                sms_numbers={COMMUNE_NUMBER: "160101"},
                telegram_api_base=telegram_url,
                telegram_bot_token=BOT_TOKEN,
                telegram_webhook_secret=TELEGRAM_SECRET,
                smtp_host=mail.host,
                smtp_port=mail.port,
                smtp_from="Khum <notify@khum.example>",
                smtp_security="none",
                # Most tests publish an outcome without its facts and expect it at once; the
                # wait for facts has its own module (test_notify_messages sets it).
                facts_wait_seconds=0.0,
            )
            settings = NotifySettings(**{**defaults, **overrides})  # an override replaces a default
            app = create_app(settings, clock=clock, rng=random.Random(7))
            async with serve(app) as url:
                settings.public_url = url  # known once served; read when e-mails are planned
                async with _lifespan(app):
                    sms.notify_url = url
                    telegram.webhook = {"url": f"{url}/webhooks/telegram", "secret_token": TELEGRAM_SECRET}
                    nc = await nats.connect(nats_url)
                    async with httpx.AsyncClient(base_url=url, timeout=15) as http:
                        try:
                            yield Harness(
                                clock=clock,
                                sms=sms,
                                telegram=telegram,
                                push=push,
                                mail=mail,
                                url=url,
                                http=http,
                                exchange=app.state.exchange,
                                store=app.state.runtime.store,
                                nc=nc,
                                js=nc.jetstream(),
                                vapid=vapid,
                                collaborators=app.state.notify,
                                runtime=app.state.runtime,
                            )
                        finally:
                            await nc.close()
