"""Notice rules for changing an announced meeting. Pure.

People plan around an announced meeting: a farmer leaves the field, a migrant comes home. So a
meeting that was announced keeps the rules it was announced under:

* moving it needs the same notice as announcing it (``agenda_notice_days`` before the new
  start), and the new time must not fall in the night hours the slot scorer counts against
  (ending after 20:30, or starting before 06:00, Phnom Penh time);
* cancelling it needs that notice before the time people were told.

The council may break these only by giving an ``emergency_reason`` (a flood, a funeral): it is
published with the change and read out in every notice, so people see why.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.meetings.domain import REASON_MAX, Meeting, MeetingError, clean_text, local, when_text
from services.meetings.slot_scoring import ends_late

EARLIEST_START = time(6, 0)


def at_night(start: datetime, end: datetime) -> bool:
    return ends_late(start, end) or local(start).time() < EARLIEST_START


def emergency(reason: str | None) -> str | None:
    return clean_text(reason, REASON_MAX, "emergencyReason")


def check_reschedule(
    meeting: Meeting,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    notice_days: int,
    emergency_reason: str | None,
) -> str | None:
    """The cleaned emergency reason (None when none was needed nor given); raises when an
    announced meeting would move too close or into the night without one."""
    given = emergency(emergency_reason)
    if not meeting.was_announced or given is not None:
        return given
    if starts_at < now + timedelta(days=notice_days):
        raise MeetingError(
            "meeting.reschedule_notice_too_short",
            "People were told about this meeting: a new time must be at least {days} days ahead, "
            "as when it was announced ({when} is too soon). In an emergency, give the emergency "
            "reason: it will be told to everyone.",
            "ប្រជាជនបានទទួលដំណឹងអំពីកិច្ចប្រជុំនេះហើយ៖ ពេលវេលាថ្មីត្រូវនៅយ៉ាងតិច {days} ថ្ងៃទៀត "
            "ដូចពេលប្រកាស ({when} ឆាប់ពេក)។ ក្នុងករណីបន្ទាន់ សូមផ្តល់មូលហេតុបន្ទាន់៖ "
            "វានឹងត្រូវប្រាប់ដល់អ្នកទាំងអស់គ្នា។",
            status=409,
            field="startsAt",
            days=notice_days,
            when=when_text(starts_at, ends_at),
        )
    if at_night(starts_at, ends_at):
        raise MeetingError(
            "meeting.reschedule_at_night",
            "{when} is at night: people cannot get home safely after 20:30 or come before 06:00. "
            "Choose a daytime or early-evening time, or give the emergency reason.",
            "{when} ជាពេលយប់៖ ប្រជាជនមិនអាចធ្វើដំណើរទៅផ្ទះវិញដោយសុវត្ថិភាពក្រោយម៉ោង ២០:៣០ "
            "ឬមកមុនម៉ោង ០៦:០០ បានទេ។ សូមជ្រើសរើសពេលថ្ងៃ ឬពេលល្ងាចដំបូង ឬផ្តល់មូលហេតុបន្ទាន់។",
            status=409,
            field="startsAt",
            when=when_text(starts_at, ends_at),
        )
    return None


def check_cancel(
    meeting: Meeting, now: datetime, notice_days: int, emergency_reason: str | None
) -> str | None:
    """Cancelling an announced meeting closer than the notice period needs an emergency reason."""
    given = emergency(emergency_reason)
    if not meeting.was_announced or given is not None:
        return given
    if now > meeting.starts_at - timedelta(days=notice_days):
        raise MeetingError(
            "meeting.cancel_notice_too_short",
            "People were told to come {when}. Cancelling less than {days} days before needs the "
            "emergency reason, which will be told to everyone.",
            "ប្រជាជនត្រូវបានប្រាប់ឱ្យមក {when}។ ការលុបចោលតិចជាង {days} ថ្ងៃមុន ត្រូវការមូលហេតុបន្ទាន់ "
            "ដែលនឹងត្រូវប្រាប់ដល់អ្នកទាំងអស់គ្នា។",
            status=409,
            field="emergencyReason",
            days=notice_days,
            when=when_text(meeting.starts_at, meeting.ends_at),
        )
    return None
