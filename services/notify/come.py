"""``COME <code>`` (``មក <code>``, Telegram ``/come <code>``): a citizen says they will come to
an announced meeting.

Notify keeps the sender in its copy of the meeting (``coming``), so a move or a cancellation
reaches them; queues their reminders (3 days and the morning before, withdrawn if the meeting
moves); publishes AttendanceIntended for meetings to count, with an intention id that is the
same for the same person and meeting (a keyed hash: sending COME twice counts once, and the id
says nothing about who). The reply says what they are counted for, in their language.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, Protocol

from contracts.envelope import new_event
from contracts.meetings import ATTENDANCE_INTENDED, AttendanceIntendedV1, IntentionChannel
from services.notify.deliveries import Cause
from services.notify.domain.meeting_rules import REMINDER_KIND, reminder_times
from services.notify.domain.rules import Notice, ToContacts
from services.notify.meeting_copy import remember
from services.notify.planner import Planner
from services.runtime.outbox import outbox_row
from services.runtime.stores import Transaction

SOURCE = "/khum/notify"
OPEN = ("announced", "rescheduled")
FACTS = ("meeting_type", "title", "code", "place", "starts_at", "ends_at")


class Conversation(Protocol):
    """The inbound message being answered (``inbound._Run``)."""

    tx: Transaction
    now: datetime
    contact: dict[str, Any]
    message_id: str

    async def reply(
        self, kind: str, commune: str | None = None, ref: str | None = None, **context: Any
    ) -> None:
        """Answer the sender, in their language, outside quiet hours' rule."""


def intention_id(secret: str, contact_id: str, meeting_id: str) -> str:
    return hmac.new(secret.encode(), f"{contact_id}|{meeting_id}".encode(), hashlib.sha256).hexdigest()[:32]


async def come(run: Conversation, planner: Planner, secret: str, code: str | None, channel: str) -> str:
    tx, now = run.tx, run.now
    meeting = await tx.find_one("meetings", {"code": code}) if code else None
    if meeting is None or meeting.get("state") not in OPEN or meeting["ends_at"] <= now.isoformat():
        await run.reply("reply_come_unknown", code=code or "")
        return "command:come:unknown"
    facts: dict[str, Any] = {key: meeting.get(key) for key in FACTS}
    commune = meeting["commune_code"]
    await remember(tx, meeting["id"], "coming", [run.contact["id"]])
    intended = AttendanceIntendedV1(
        intention_id=intention_id(secret, run.contact["id"], meeting["id"]),
        meeting_id=meeting["id"],
        commune_code=commune,
        channel=IntentionChannel(channel)
        if channel in {c.value for c in IntentionChannel}
        else IntentionChannel.SMS,
        intended_at=now,
    )
    event = new_event(
        intended,
        event_type=ATTENDANCE_INTENDED,
        source=SOURCE,
        communecode=commune,
        subject=meeting["id"],
        correlationid=run.message_id,
    )
    await tx.add_outbox(outbox_row(event))
    await _reminders(run, planner, meeting, facts, intended.intention_id, now)
    await run.reply("reply_come", commune=commune, ref=meeting["id"], **facts)
    return "command:come"


async def _reminders(
    run: Conversation,
    planner: Planner,
    meeting: dict[str, Any],
    facts: dict[str, Any],
    intention: str,
    now: datetime,
) -> None:
    starts_at = datetime.fromisoformat(meeting["starts_at"])
    for tag, at in reminder_times(starts_at, now):
        notice = Notice(
            REMINDER_KIND,
            ToContacts(()),
            meeting["commune_code"],
            {**facts, "reminder": tag, "reason": None, "emergency_reason": None, "agenda": []},
            ref=meeting["id"],
            meeting_id=meeting["id"],
            not_before=at,
            tag=f"reminder-{tag}",
        )
        context = await planner.context_for(run.tx, notice)
        # One reminder per person, meeting and time, however often they send COME; the cause is
        # published in events, so it names the intention (a keyed hash), never the person.
        cause = Cause(f"come|{intention}|{meeting.get('sequence', 0)}#{tag}", run.message_id)
        await planner.to_contact(run.tx, cause, notice, run.contact, context, now)
