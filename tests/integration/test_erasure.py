"""Erasing a person: afterwards no store, stream or API holds their personal data, anywhere.

Its own stack, with a local SMS provider on loopback so notify really texts the person (a
receipt) and really receives their SMS (a need draft). Person A raises one need with their
name, attributes and phone; supports another by name only; and texts the commune. Person B
raises the other need. The national administrator erases A. Then every SQLite store (every
table, every row, and the files' bytes), every JetStream stream (every message, and the
broker's files on disk), and the GraphQL API as council, admin and the public are searched for
every form of A's phone, name and message: nothing. B is untouched, and every anonymous count
(people, women, disability, IDPoor) is what it was.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.envelope import new_event, uuid7
from contracts.needs import ContactChannel, ContactPoint
from contracts.notify import INBOUND_MESSAGE_RECEIVED, InboundChannel, InboundMessageReceivedV1
from infra.stack import Stack, free_port
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL, wait_for
from tests.support.http import serve
from tests.support.sms_provider import SmsProvider

SMS_KEY = "sms-key-for-erasure-tests-0123456789"
SMS_SECRET = "sms-webhook-secret-for-erasure-tests-0123456789"
COMMUNE_NUMBER = "+85523999001"

A_PHONE_AS_TYPED = "012 345 678"
A_FORMS = ("+85512345678", "85512345678", "012345678", "012 345 678", "12345678", "+85512•••678")
A_SECOND_PHONE = ("088 123 4567", "+855881234567", "0881234567")
"""A's other number, on the need A supports: the request does not give it, the name finds it."""
A_NAME = "សុខ ស្រីនាង Sok Sreyneang"
A_NAME_PARTS = ("ស្រីនាង", "Sreyneang")
A_MESSAGE = "ផ្លូវទៅសាលារៀនខូចខ្លាំង សូមជួយ Sreyneang"
A_MESSAGE_PARTS = ("ផ្លូវទៅសាលារៀនខូចខ្លាំង", "Sreyneang")
B_PHONE = "+85597765432"
B_NAME = "ចាន់ ដារ៉ា Chan Dara"

NEED = (
    "query($id: ID!) { need(id: $id) { trackingCode people groups { group count } "
    "raisedBy { name consent people groups { group count } } "
    "supporters { name consent people groups { group count } } } }"
)
STATS = "query($c: String!) { needStats(communeCode: $c) { total { needs people groups { group count } } } }"
DRAFTS = "query($c: String!) { needDrafts(communeCode: $c) { id sender text status } }"
ERASE = "mutation($i: ErasePersonInput!) { erasePerson(input: $i) { id people needs drafts } }"
AUDIT = "query { auditLog(first: 20) { edges { node { action target details } } } }"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Stack, SmsProvider]]:
    provider = SmsProvider(SMS_KEY, SMS_SECRET)
    async with serve(provider.app) as sms_url:
        notify_env = {
            "SMS_BASE_URL": sms_url,
            "SMS_API_KEY": SMS_KEY,
            "SMS_WEBHOOK_SECRET": SMS_SECRET,
            "SMS_NUMBERS": json.dumps({COMMUNE_NUMBER: "160101"}),
            "QUIET_CHANNELS": "[]",
        }
        khum = Stack(
            var=tmp_path / "var",
            port=free_port(),
            demo=True,
            extra_env={**UNLIMITED, "notify": notify_env},
        )
        await asyncio.to_thread(khum.start)
        provider.notify_url = khum.processes["notify"].url or ""
        try:
            yield khum, provider
        finally:
            await asyncio.to_thread(khum.stop)


async def _client(stack: Stack, username: str | None = None) -> GraphQL:
    client = GraphQL(stack.url)
    if username:
        await client.login(username)
    return client


def _person(name: str, phone: str | None, **more: Any) -> dict[str, Any]:
    person: dict[str, Any] = {"kind": "person", "name": name, "consent": "verbal", **more}
    if phone:
        person.update({"contactChannel": "sms", "contactAddress": phone})
    return person


async def _submit(client: GraphQL, description: str, raiser: dict[str, Any]) -> dict[str, Any]:
    body = await client.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": "16010101",
                "description": description,
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": raiser,
            }
        },
    )
    assert "errors" not in body, body
    need: dict[str, Any] = body["data"]["submitNeed"]
    return need


def _sqlite_text(db: Path) -> str:
    """Every row of every table, as text (each row starts with its database and table)."""
    rows: list[str] = []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
                rows.append(
                    f"{db.name}/{table}: "
                    + " ".join(
                        bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
                        for v in row
                    )
                )
    return "\n".join(rows)


def _file_traces(paths: list[Path], forms: tuple[str, ...]) -> list[str]:
    """Which files hold which form, byte for byte."""
    found = []
    for path in paths:
        raw = path.read_bytes() if path.is_file() else b""
        found.extend(f"{path.name}: {form}" for form in forms if form.encode() in raw)
    return found


async def _stream_text(stack: Stack) -> str:
    """Every message still in every stream, data and headers."""
    nc = await nats.connect(stack.nats_url)
    out: list[str] = []
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.state.messages == 0:
                continue
            sub = await js.pull_subscribe(
                ">",
                stream=info.config.name,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30
                ),
            )
            try:
                for _ in range(100):  # bounded: at most 100 batches of 256
                    try:
                        msgs = await sub.fetch(256, timeout=2)
                    except nats.errors.TimeoutError:
                        break
                    for msg in msgs:
                        out.append(msg.subject + " " + msg.data.decode("utf-8", "replace"))
                        out.append(json.dumps(dict(msg.headers or {}), ensure_ascii=False))
                    if msgs[-1].metadata.num_pending == 0:
                        break
            finally:
                await sub.unsubscribe()
    finally:
        await nc.drain()
    return "\n".join(out)


def _traces(text: str, forms: tuple[str, ...]) -> list[str]:
    return [form for form in forms if form in text]


def _where(text: str, forms: tuple[str, ...]) -> list[str]:
    """The lines (rows, messages) that hold a trace, shortened: what a failure should show."""
    return [line[:300] for line in text.splitlines() if any(form in line for form in forms)]


async def test_an_erased_person_is_found_nowhere_and_the_counts_stay(
    world: tuple[Stack, SmsProvider],
) -> None:
    stack, provider = world
    facilitator = await _client(stack, "sophea")
    council = await _client(stack, "dara")
    admin = await _client(stack, "visal")
    public = await _client(stack)
    try:
        # Person A raises a need with everything; B raises another, which A supports by name.
        a_need = await _submit(
            facilitator,
            "អណ្តូងទឹកស្អាតសម្រាប់ភូមិ",
            _person(A_NAME, A_PHONE_AS_TYPED, sex="female", disability="severe", idpoorLevel=1),
        )
        b_need = await _submit(facilitator, "ស្ពានឆ្លងអូរ", _person(B_NAME, B_PHONE, sex="male"))
        body = await facilitator.execute(
            "mutation($id: ID!, $p: PersonInput!) { supportNeed(id: $id, supporter: $p) { people } }",
            {"id": b_need["id"], "p": _person(A_NAME, A_SECOND_PHONE[0], sex="female", idpoorLevel=2)},
        )
        assert body["data"]["supportNeed"]["people"] == 2, body
        # A texts the commune's number: a draft for the facilitators.
        answer = await provider.incoming("+85512345678", COMMUNE_NUMBER, A_MESSAGE)
        assert answer.status_code == 200, answer.text

        async def drafts() -> list[dict[str, Any]]:
            body = await council.execute(DRAFTS, {"c": "160101"})
            return [d for d in body["data"]["needDrafts"] if A_MESSAGE_PARTS[0] in d["text"]]

        assert await wait_for(drafts, timeout=30)
        await wait_for(lambda: asyncio.sleep(0, result=provider.to("+85512345678")), timeout=30)
        await wait_for(lambda: asyncio.sleep(0, result=provider.to(B_PHONE)), timeout=30)

        async def notify_knows_the_second_number() -> bool:
            return A_SECOND_PHONE[1] in _sqlite_text(stack.var / "notify.db")

        await wait_for(notify_knows_the_second_number, timeout=30)

        stats_before = (await council.execute(STATS, {"c": "160101"}))["data"]["needStats"]
        a_before = (await council.execute(NEED, {"id": a_need["id"]}))["data"]["need"]
        b_before = (await council.execute(NEED, {"id": b_need["id"]}))["data"]["need"]
        assert a_before["raisedBy"][0]["name"] == A_NAME
        everything = await _stream_text(stack) + "".join(
            _sqlite_text(db) for db in sorted(stack.var.glob("*.db"))
        )
        assert _traces(everything, ("+85512345678", A_NAME_PARTS[0], A_MESSAGE_PARTS[0])), (
            "the search must be able to find A before the erasure"
        )

        # Nobody but a national administrator may erase; a bad address is refused in Khmer.
        request = {
            "contacts": [{"channel": "sms", "address": "+855 12 345 678"}],
            "name": "  សុខ ស្រីនាង  SOK sreyneang ",  # as the person says it, not as it was typed
            "trackingCodes": [b_need["trackingCode"]],
        }
        refused = await council.execute(ERASE, {"i": request})
        assert refused["errors"][0]["extensions"]["code"] == "erasure.forbidden", refused
        bad = await admin.execute(ERASE, {"i": {"contacts": [{"channel": "sms", "address": "12"}]}})
        assert bad["errors"][0]["extensions"]["code"] == "contact.sms_invalid", bad
        assert "លេខទូរស័ព្ទ" in bad["errors"][0]["message"]
        empty = await admin.execute(ERASE, {"i": {"name": A_NAME}})
        assert empty["errors"][0]["extensions"]["code"] == "erasure.nothing_to_find", empty

        done = await admin.execute(ERASE, {"i": request})
        assert "errors" not in done, done
        erasure = done["data"]["erasePerson"]
        assert (erasure["people"], erasure["needs"], erasure["drafts"]) == (2, 2, 1)

        # Every service finishes its part within seconds: wait until no store holds A.
        a_forms = (*A_FORMS, *A_SECOND_PHONE, *A_NAME_PARTS, *A_MESSAGE_PARTS)

        def store_text() -> str:
            return "\n".join(_sqlite_text(db) for db in sorted(stack.var.glob("*.db")))

        async def clean() -> bool:
            return not _traces(store_text() + await _stream_text(stack), a_forms)

        try:
            await wait_for(clean, timeout=30)
        finally:
            found = _where(store_text(), a_forms) + _where(await _stream_text(stack), a_forms)
            assert not found, "\n".join(found)

        # The files themselves: SQLite zeroes what it deletes; the broker erases deleted messages.
        databases = [p for p in stack.var.iterdir() if ".db" in p.name]
        assert not (left := _file_traces(databases, a_forms)), left
        broker_files = [p for p in stack.var.rglob("*") if p.is_file() and "jetstream" in str(p)]
        assert broker_files, "the broker keeps its streams under the stack's folder"
        assert _file_traces(broker_files, ("+85512345678", A_MESSAGE_PARTS[0])) == []

        # The API: the council sees counts where A was, the public and the audit log nothing.
        a_after = (await council.execute(NEED, {"id": a_need["id"]}))["data"]["need"]
        b_after = (await council.execute(NEED, {"id": b_need["id"]}))["data"]["need"]
        assert a_after["raisedBy"] == [
            {"name": None, "consent": None, "people": 1, "groups": a_before["raisedBy"][0]["groups"]}
        ]
        assert a_after["groups"] == a_before["groups"] and a_after["people"] == a_before["people"]
        assert b_after["raisedBy"] == b_before["raisedBy"], "B is untouched"
        assert b_after["supporters"][0]["name"] is None
        assert b_after["supporters"][0]["groups"] == b_before["supporters"][0]["groups"]
        stats_after = (await council.execute(STATS, {"c": "160101"}))["data"]["needStats"]
        assert stats_after == stats_before, "anonymous counts stay"
        assert await drafts() == []
        audit = await admin.execute(AUDIT)
        entries = [
            e["node"] for e in audit["data"]["auditLog"]["edges"] if e["node"]["action"] == "person.erased"
        ]
        assert [e["target"] for e in entries] == [erasure["id"]]
        api_text = json.dumps([a_after, b_after, audit, stats_after], ensure_ascii=False)
        for code in (a_need["trackingCode"], b_need["trackingCode"]):
            api_text += (await public.http.get("/track", params={"code": code})).text
            public_need = await public.execute(
                "query($c: String!) { needByTrackingCode(code: $c) { status people } }", {"c": code}
            )
            assert "errors" not in public_need, public_need
            api_text += json.dumps(public_need, ensure_ascii=False)
        api_text += json.dumps(await council.execute(DRAFTS, {"c": "160101"}), ensure_ascii=False)
        assert _traces(api_text, a_forms) == []

        # B's data is all still there.
        remaining = store_text()
        assert B_PHONE in remaining and "ដារ៉ា" in remaining

        # The same request again finds nothing more, and says so.
        again = await admin.execute(ERASE, {"i": request})
        assert again["data"]["erasePerson"]["people"] == 0, again

        # A message A sent before the erasure, still on its way, does not become a draft again;
        # one A sends afterwards is new, and is kept.
        erased_at = datetime.now(UTC)
        nc = await nats.connect(stack.nats_url)
        try:
            js = nc.jetstream()
            for text, when in (("សារចាស់ old", erased_at - timedelta(minutes=1)), ("សារថ្មី new", erased_at)):
                message = InboundMessageReceivedV1(
                    message_id=uuid7(),
                    commune_code="160101",
                    channel=InboundChannel.SMS,
                    sender=ContactPoint(channel=ContactChannel.SMS, address="+85512345678"),
                    text=text,
                    received_at=when + timedelta(minutes=5) if "new" in text else when,
                    provider_message_id=uuid.uuid4().hex,
                )
                event = new_event(
                    message, event_type=INBOUND_MESSAGE_RECEIVED, source="/test", communecode="160101"
                )
                await js.publish(event.nats_subject, event.to_bytes())
        finally:
            await nc.drain()

        async def new_draft_only() -> list[str]:
            body = await council.execute(DRAFTS, {"c": "160101"})
            return [d["text"] for d in body["data"]["needDrafts"] if d["text"] in ("សារចាស់ old", "សារថ្មី new")]

        assert await wait_for(new_draft_only) == ["សារថ្មី new"]
    finally:
        for client in (facilitator, council, admin, public):
            await client.close()
