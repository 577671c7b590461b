"""Notify honours PersonErased: once it has handled the event, its SQLite file (every table,
every row), its outbox and the KHUM_NOTIFY and KHUM_DLQ streams (every message, headers too)
hold the person's phone number in no written form, nor their Telegram chat id, nor what they
wrote; someone else's data is all still there, and so are the anonymous delivery counts."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.envelope import Envelope, uuid7
from contracts.meetings import MEETING_ANNOUNCED, MeetingAnnouncedV1, MeetingDetails, MeetingType, Venue
from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    PERSON_ERASED,
    ContactChannel,
    ContactPoint,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    PersonErasedV1,
    PlaceName,
)
from contracts.subjects import NATIONAL
from services.meetings.domain import meeting_code
from services.notify.domain.contacts import mask
from services.runtime.erasure import Digests
from services.runtime.stores import In
from tests.conftest import wait_for
from tests.support.notify_harness import COMMUNE_NUMBER, MORNING, Harness, notify_harness

_serial = itertools.count(uuid.uuid4().int % 9_000_000 + 1_000_000)
_codes = itertools.count(uuid.uuid4().int % 10**6)
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
COMMUNE = "160101"
UNREADABLE = b"\x00not an event, kept for operators"


@dataclass(frozen=True)
class Person:
    """A citizen with a phone and a Telegram chat, and a sentence only they wrote."""

    national: str  # the number without its leading 0, e.g. 18xxxxxxx
    chat: int
    marker: str

    @property
    def e164(self) -> str:
        return f"+855{self.national}"

    @property
    def local(self) -> str:
        return f"0{self.national}"

    @property
    def spaced(self) -> str:
        return f"0{self.national[:2]} {self.national[2:5]} {self.national[5:]}"

    @property
    def sms_id(self) -> str:
        return f"sms:{self.e164}"

    @property
    def telegram_id(self) -> str:
        return f"telegram:{self.chat}"

    @property
    def mistyped(self) -> str:
        """Their number as someone wrote it down wrong: not a phone number at all."""
        return f"0{self.national[:6]}"

    @property
    def mistyped_target(self) -> str:
        """Where notify files a delivery that could not go to the mistyped number."""
        return f"sms:invalid:{hashlib.sha256(self.mistyped.encode()).hexdigest()[:12]}"

    @property
    def message(self) -> str:
        return f"ស្ពានបាក់ក្បែរផ្ទះខ្ញុំ {self.marker}"

    def forms(self) -> list[str]:
        """Every way notify could have written something of theirs, raw and JSON-escaped."""
        written = [
            self.national,
            self.e164,
            self.local,
            self.spaced,
            mask("sms", self.e164),
            str(self.chat),
            mask("telegram", str(self.chat)),
            self.marker,
            self.message,
            self.mistyped_target,
        ]
        return written + [json.dumps(form)[1:-1] for form in written]

    def contacts(self) -> list[ContactPoint]:
        return [
            ContactPoint(channel=ContactChannel.SMS, address=self.spaced),
            ContactPoint(channel=ContactChannel.TELEGRAM, address=str(self.chat), language="en"),
            ContactPoint(channel=ContactChannel.SMS, address=self.mistyped),
        ]


def person(prefix: str) -> Person:
    serial = next(_serial)
    return Person(f"{prefix}{serial:07d}", 7_000_000_000 + serial, f"mark-{uuid.uuid4().hex[:12]}")


def tracking_code() -> str:
    n = next(_codes) + uuid.uuid4().int % 10**6
    letters = "".join(ALPHABET[(n >> (5 * i)) % 32] for i in range(7))
    return f"{letters[:4]}-{letters[4:]}"


def need(contacts: list[ContactPoint]) -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=tracking_code(),
        commune_code=COMMUNE,
        village_code="16010103",
        village_name=PlaceName(km="កាចាញ", latin="Ka Chanh"),
        description="ស្ពានឆ្លងអូរ ខូចខាតខ្លាំង",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=contacts,
    )


def erasure_of(h: Harness, who: Person, need_ids: list[str]) -> PersonErasedV1:
    digests = Digests(h.exchange.settings.identity_secret.get_secret_value())
    found = [digests.contact("sms", who.e164), digests.contact("telegram", str(who.chat))]
    return PersonErasedV1(
        erasure_id=uuid7(),
        contact_digests=[d for d in found if d is not None],
        need_ids=need_ids,
        commune_codes=[COMMUNE],
        requested_by="u-national-admin",
        erased_at=datetime.now(UTC),
    )


@dataclass
class Notify:
    h: Harness
    db: Path


@pytest.fixture(scope="module")
async def notify(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Notify]:
    folder = Path(tmp_path_factory.mktemp("notify-erasure"))
    async with notify_harness(nats_url, folder) as harness:
        yield Notify(harness, folder / "notify.db")


@pytest.fixture(autouse=True)
def morning(notify: Notify) -> None:
    notify.h.clock.set(MORNING)


# ---------- looking everywhere ----------


def rows_as_text(db: Path) -> list[str]:
    """Every row of every table of the SQLite file, as text (committed state)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = []
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite_master
                found.append(
                    f"{table}: "
                    + " | ".join(v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row)
                )
    assert any(t.startswith("c_deliveries:") for t in found), "the walk must see notify's tables"
    return found


async def stream_messages(
    js: JetStreamContext, stream: str, subjects: str
) -> list[tuple[str, dict[str, str], bytes]]:
    """Every message of a stream on ``subjects``: subject, headers, body."""
    info = await js.stream_info(stream)
    if info.state.messages == 0:
        return []
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0, mem_storage=True
    )
    sub = await js.pull_subscribe(subjects, stream=stream, config=config)
    found: list[tuple[str, dict[str, str], bytes]] = []
    try:
        while True:
            try:
                msgs = await sub.fetch(256, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                break
            found.extend((m.subject, dict(m.headers or {}), m.data) for m in msgs)
            if msgs[-1].metadata.num_pending == 0:
                break
    finally:
        await sub.unsubscribe()
    return found


async def stream_as_text(js: JetStreamContext, stream: str, subjects: str) -> list[str]:
    return [
        f"{subject} {json.dumps(headers, ensure_ascii=False)} {data.decode(errors='replace')}"
        for subject, headers, data in await stream_messages(js, stream, subjects)
    ]


async def stream_files(base: Path, present: Person) -> bytes:
    """The bytes of nats-server's KHUM_NOTIFY and KHUM_DLQ files (the session's server keeps
    them under the test's temporary folder), once ``present`` has reached them: the server
    writes its blocks a moment after it stores a message."""

    async def written() -> bytes | None:
        folders = {
            f.resolve()
            for name in ("KHUM_NOTIFY", "KHUM_DLQ")
            for f in base.glob(f"nats*/js/*/*/streams/{name}")
        }
        assert folders, f"no nats-server stream files under {base}"
        raw = b"".join(f.read_bytes() for folder in folders for f in folder.rglob("*") if f.is_file())
        return raw if present.e164.encode() in raw else None

    result: bytes = await wait_for(written)
    return result


async def stream_states(h: Harness) -> list[tuple[int, int, int]]:
    """How many messages each stream holds, its last sequence, how many were deleted."""
    states = [(await h.js.stream_info(s)).state for s in ("KHUM_NOTIFY", "KHUM_DLQ")]
    return [(state.messages, state.last_seq, state.num_deleted or 0) for state in states]


async def everything(n: Notify) -> list[str]:
    return (
        rows_as_text(n.db)
        + await stream_as_text(n.h.js, "KHUM_NOTIFY", "khum.notify.>")
        + await stream_as_text(n.h.js, "KHUM_DLQ", "khum.dlq.>")
    )


def outside_outbox(texts: list[str]) -> list[str]:
    return [t for t in texts if not t.startswith("outbox:")]


def traces(texts: list[str], who: Person) -> list[str]:
    return [f"{form!r} in {text[:160]}" for text in texts for form in who.forms() if form in text]


# ---------- waiting ----------


async def settled(h: Harness) -> None:
    """Every delivery sent or failed, and every event published."""

    async def done() -> bool:
        await h.dispatch()
        # A loudspeaker script stays queued ("to announce") until a chief reads it out, and a
        # meeting's reminder until its day comes.
        queued = [d async for d in h.store.iterate("deliveries", {"status": "queued"})]
        due = h.clock.now().isoformat()
        busy = sum(
            d["channel"] != "loudspeaker" and d["next_attempt_at"] <= due for d in queued
        ) + await h.store.count("deliveries", {"status": "sending"})
        return busy == 0 and not await h.store.pending_outbox(10) and await h.caught_up()

    await wait_for(done, timeout=30)


async def erased(h: Harness, erasure_id: str, timeout: float = 30) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        record = await h.store.get("erasures", erasure_id)
        return record if record is not None and record["status"] == "done" else None

    result: dict[str, Any] = await wait_for(done, timeout=timeout)
    return result


async def counts(h: Harness) -> Counter[tuple[str, str, str, str]]:
    """What delivery statistics are made of: per channel, kind, status and commune."""
    return Counter(
        [
            (d["channel"], d["kind"], d["status"], d["commune_code"])
            async for d in h.store.iterate("deliveries", {})
        ]
    )


async def known_to_notify(h: Harness, who: Person, *, fail_one: bool) -> NeedSubmittedV1:
    """The person raises a need (a receipt by SMS and Telegram), writes to the commune by SMS
    and Telegram, joins the commune's news; with ``fail_one`` a second need's receipt is refused
    by the provider and becomes a dead letter."""
    raised = need(who.contacts())
    await h.publish(raised, NEED_SUBMITTED, COMMUNE)
    await wait_for(lambda: _dispatched(h, lambda: h.sms.to(who.e164) and h.telegram.to(who.chat)))
    if fail_one:
        await settled(h)
        h.sms.fail_next(400, "invalid_number")
        await h.publish(
            need([ContactPoint(channel=ContactChannel.SMS, address=who.e164)]), NEED_SUBMITTED, COMMUNE
        )
        await wait_for(lambda: h.deliveries(target=who.sms_id, status="failed"))
    for text in (who.message, "JOIN"):
        answer = await h.sms.incoming(who.e164, COMMUNE_NUMBER, text)
        assert answer.status_code == 200, answer.text
    meeting = announcement()
    await h.publish(meeting, MEETING_ANNOUNCED, COMMUNE)
    await wait_for(lambda: h.store.get("meetings", meeting.meeting_id))
    answer = await h.sms.incoming(who.e164, COMMUNE_NUMBER, f"COME {meeting.code}")
    assert answer.json()["outcome"] == "command:come", answer.text
    answer = await h.telegram.user_writes(who.chat, f"Telegram: {who.message}")
    assert answer.json()["outcome"] == "need_message", answer.text
    voice = await h.telegram.deliver(h.telegram.voice_update(who.chat, b"OggS" + who.marker.encode() * 20))
    assert voice.json()["outcome"] == "need_message", voice.text
    await settled(h)
    return raised


def announcement() -> MeetingAnnouncedV1:
    """A meeting of the commune: its notice goes to the subscribers, COME puts them on its list."""
    meeting_id = uuid7()
    starts = MORNING + timedelta(days=10)
    return MeetingAnnouncedV1(
        meeting_id=meeting_id,
        commune_code=COMMUNE,
        details=MeetingDetails(
            type=MeetingType.COMMUNE_PRIORITISATION,
            venue=Venue(village_code="16010101", place="សាលាឃុំ"),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            languages=["km"],
            interpreter_arranged=False,
        ),
        agenda=[],
        ics_uid=f"{meeting_id}@meetings.khum",
        sequence=0,
        announced_by="u-dara",
        announced_at=MORNING,
        code=meeting_code(meeting_id),
    )


async def dead_letters_elsewhere(h: Harness, who: Person) -> None:
    """Dead letters other services' consumers made of the person's events, as the runtime makes
    them: the reason header quotes the error, and a validation error quotes the input."""
    for subject, _, data in await stream_messages(h.js, "KHUM_NOTIFY", "khum.notify.>"):
        if gone_in(data, who):
            await h.js.publish(
                f"khum.dlq.intake-drafts.{subject}",
                data,
                headers={
                    "Khum-Dlq-Reason": f"1 validation error: input_value='{who.e164}'",
                    "Khum-Dlq-Consumer": "intake-drafts",
                    "Khum-Dlq-Subject": subject,
                },
            )
    await h.js.publish(f"khum.dlq.intake-drafts.khum.notify.Garbled.v1.{COMMUNE}", UNREADABLE)


def gone_in(data: bytes, who: Person) -> bool:
    text = data.decode(errors="replace")
    return who.e164 in text or mask("sms", who.e164) in text


async def _dispatched(h: Harness, done: Any) -> bool:
    await h.dispatch()
    return bool(done())


# ---------- the tests ----------


async def test_an_erased_person_is_nowhere_in_notify_and_everyone_else_is_untouched(
    notify: Notify, caplog: pytest.LogCaptureFixture, tmp_path_factory: pytest.TempPathFactory
) -> None:
    h = notify.h
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="services")
    gone, stays = person("18"), person("15")
    raised = await known_to_notify(h, gone, fail_one=True)
    await known_to_notify(h, stays, fail_one=True)
    await dead_letters_elsewhere(h, gone)

    before = await everything(notify)
    assert traces(before, gone), "the person must be findable before, or finding nothing proves nothing"
    assert await h.store.count("voice_notes", {"contact_id": gone.telegram_id}) == 1
    assert any(t.startswith("khum.dlq.") and mask("sms", gone.e164) in t for t in before)
    statistics = await counts(h)
    # Their meeting reminders, still to come, will never be sent: they become failed ones.
    pending = Counter(
        [
            (d["channel"], d["kind"], d["commune_code"])
            for target in (gone.sms_id, gone.telegram_id)
            async for d in h.store.iterate("deliveries", {"target": target, "status": "queued"})
        ]
    )
    assert pending  # the meeting's reminders are there to withdraw
    for (channel, kind, commune), n in pending.items():
        statistics[(channel, kind, "queued", commune)] -= n
        statistics[(channel, kind, "failed", commune)] += n
    theirs = sum([await h.store.count("deliveries", {"target": t}) for t in (gone.sms_id, gone.telegram_id)])
    assert theirs >= 5  # receipts, the refused one, replies by SMS and Telegram
    assert await h.store.count("deliveries", {"target": gone.mistyped_target}) == 1
    others_before = Counter(traces(outside_outbox(before), stays))

    event = erasure_of(h, gone, [raised.need_id])
    await h.publish(event, PERSON_ERASED, NATIONAL)
    record = await erased(h, event.erasure_id)

    after = await everything(notify)
    assert traces(after, gone) == []
    # The other person: every trace still there (the outbox's sent rows are pruned for everyone).
    assert Counter(traces(outside_outbox(after), stays)) == others_before
    assert await h.store.get("contacts", stays.sms_id) is not None
    assert await h.store.get("subscriptions", f"{stays.sms_id}|{COMMUNE}") is not None
    assert await h.store.get("contacts", gone.sms_id) is None
    assert await h.store.get("contacts", gone.telegram_id) is None
    # Their voice (kept for the facilitator to transcribe) went with the rest; the other's stayed.
    assert await h.store.count("voice_notes", {"contact_id": gone.telegram_id}) == 0
    assert await h.store.count("voice_notes", {"contact_id": stays.telegram_id}) == 1
    assert any(data == UNREADABLE for _, _, data in await stream_messages(h.js, "KHUM_DLQ", "khum.dlq.>"))

    assert await counts(h) == statistics  # delivery statistics are what they were (but unsent)
    anonymised = await h.deliveries(target=f"erased:{event.erasure_id}")
    assert len(anonymised) == theirs + 1  # and the one to the mistyped number
    assert {d["recipient"] for d in anonymised} == {"(erased)"} and {d["text"] for d in anonymised} == {""}
    assert record["erased"]["contacts"] == 2 and record["erased"]["deliveries"] == theirs + 1

    copy = await h.store.get("needs", raised.need_id)
    assert copy is not None and copy["contacts"] == []
    # The meetings they were told of or said they would come to no longer list them.
    assert await h.store.count("meeting_people", {"contact_id": In((gone.sms_id, gone.telegram_id))}) == 0
    assert await h.store.count("meeting_people", {"contact_id": stays.sms_id}) >= 1

    # The files themselves, byte for byte, the write-ahead log too: deleted rows are zeroed
    # (secure_delete) and the log is emptied after an erasure; the other person is there.
    raw = b"".join(Path(f"{notify.db}{suffix}").read_bytes() for suffix in ("", "-wal"))
    assert [form for form in gone.forms() if form.encode() in raw] == []
    assert stays.e164.encode() in raw and stays.marker.encode() in raw

    # And the broker's own files: a scrubbed message is overwritten on disk, not only unlisted.
    on_disk = await stream_files(tmp_path_factory.getbasetemp(), stays)
    assert [form for form in gone.forms() if form.encode() in on_disk] == []

    logged = caplog.text
    assert [form for form in gone.forms() if form in logged] == []


async def test_once_erased_the_person_hears_nothing_more_about_their_need(notify: Notify) -> None:
    h = notify.h
    gone, stays = person("18"), person("15")
    raised = need([*gone.contacts(), ContactPoint(channel=ContactChannel.SMS, address=stays.e164)])
    await h.publish(raised, NEED_SUBMITTED, COMMUNE)
    await settled(h)
    event = erasure_of(h, gone, [raised.need_id])
    await h.publish(event, PERSON_ERASED, NATIONAL)
    await erased(h, event.erasure_id)
    texts, chats = len(h.sms.to(gone.e164)), len(h.telegram.to(gone.chat))

    change = NeedStatusChangedV1(
        need_id=raised.need_id,
        tracking_code=raised.tracking_code,
        commune_code=COMMUNE,
        village_code=raised.village_code,
        previous=NeedStatus.SUBMITTED,
        status=NeedStatus.VALIDATED,
        actor="u-dara",
        changed_at=MORNING,
    )
    await h.publish(change, NEED_STATUS_CHANGED, COMMUNE)
    await wait_for(lambda: _dispatched(h, lambda: len(h.sms.to(stays.e164)) == 2))
    await settled(h)
    assert (len(h.sms.to(gone.e164)), len(h.telegram.to(gone.chat))) == (texts, chats)


async def test_the_same_person_erased_event_twice_changes_nothing(notify: Notify) -> None:
    h = notify.h
    gone = person("18")
    raised = await known_to_notify(h, gone, fail_one=False)
    event = erasure_of(h, gone, [raised.need_id])
    envelope = await h.publish(event, PERSON_ERASED, NATIONAL)
    await erased(h, event.erasure_id)
    await settled(h)
    rows = rows_as_text(notify.db)
    streams = await stream_states(h)

    await h.republish(envelope)
    again = Envelope.model_validate({**envelope.model_dump(), "id": uuid7()})  # intake sending it anew
    await h.republish(again)
    await settled(h)

    assert rows_as_text(notify.db) == rows
    assert await stream_states(h) == streams


async def test_an_unsent_event_naming_the_person_is_published_then_scrubbed_never_left_behind(
    notify: Notify,
) -> None:
    """NATS out of reach for notify's relay: the person's message waits in the outbox. The
    erasure cannot withdraw it, so it waits for the relay (retrying), then scrubs."""
    h = notify.h
    gone = person("18")
    raised = await known_to_notify(h, gone, fail_one=False)
    event = erasure_of(h, gone, [raised.need_id])
    async with h.relay_paused():
        late = f"{gone.message} (late)"
        await h.sms.incoming(gone.e164, COMMUNE_NUMBER, late)
        assert any(gone.marker in row.payload.decode() for row in await h.store.pending_outbox(100))
        await h.publish(event, PERSON_ERASED, NATIONAL)

        async def begun() -> dict[str, Any] | None:
            return await h.store.get("erasures", event.erasure_id)

        await wait_for(begun)
        assert await h.store.get("contacts", gone.sms_id) is None  # the store part is done at once
        await wait_for(lambda: _failed_at_least_once(h), timeout=20)
        record = await h.store.get("erasures", event.erasure_id)
        assert record is not None and record["status"] == "scrubbing"  # not done while it waits
    await erased(h, event.erasure_id, timeout=60)
    await settled(h)
    assert traces(await everything(notify), gone) == []


async def _failed_at_least_once(h: Harness) -> bool:
    assert h.runtime is not None
    [consumer] = [c for c in h.runtime.consumers if c.spec.durable == "notify-needs"]
    info = await h.js.consumer_info(consumer.spec.stream, consumer.spec.durable)
    return bool(info.num_redelivered)
