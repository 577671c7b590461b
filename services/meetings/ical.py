"""iCalendar (RFC 5545) files of meetings, for phones' calendars. Pure.

Every meeting keeps one UID for its whole life and raises SEQUENCE on every reschedule and on
cancellation, so a calendar that imported an older copy replaces it. A cancelled meeting's own
file says METHOD:CANCEL; in the commune's feed (METHOD:PUBLISH) it stays, marked CANCELLED, so
subscribed phones drop it too. Times are written in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from contracts.meetings import MeetingState
from services.meetings.domain import ICS_DOMAIN, Meeting
from services.meetings.labels import MEETING_TYPES, language_name, pick, text

PRODID = "-//Khum//Meetings 1.0//KM"
FEED_REFRESH = timedelta(hours=6)

_STATUS = {
    MeetingState.PLANNED: "TENTATIVE",
    MeetingState.CANCELLED: "CANCELLED",
}

_WORDS = {
    "agenda": text("Agenda:", "របៀបវារៈ៖"),
    "minutes": text("{n} min", "{n} នាទី"),
    "languages": text("Languages:", "ភាសា៖"),
    "interpreter": text("an interpreter is arranged", "មានអ្នកបកប្រែ"),
    "accessibility": text("Accessibility:", "ភាពងាយស្រួលសម្រាប់អ្នកចូលរួម៖"),
    "remote": text("Join from afar:", "ចូលរួមពីចម្ងាយ៖"),
    "cancelled": text("Cancelled:", "បានលុបចោល៖"),
    "council": text("Commune council {code}", "ក្រុមប្រឹក្សាឃុំ {code}"),
    "feed": text("Commune meetings {code}", "កិច្ចប្រជុំឃុំ {code}"),
}


def _word(key: str, lang: str, **params: object) -> str:
    return pick(_WORDS[key], lang).format(**params)


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def summary(meeting: Meeting, lang: str) -> str:
    label = pick(MEETING_TYPES[meeting.type], lang)
    return f"{label}: {meeting.title}" if meeting.title else label


def location(meeting: Meeting, lang: str) -> str:
    venue = meeting.venue
    village = venue.village_name_km if lang == "km" else venue.village_name_latin
    return f"{venue.place}, {village or venue.village_code}"


def description(meeting: Meeting, lang: str) -> str:
    lines: list[str] = []
    if meeting.state is MeetingState.CANCELLED and meeting.cancel_reason:
        lines += [f"{_word('cancelled', lang)} {meeting.cancel_reason}", ""]
    if meeting.agenda is not None:
        lines.append(_word("agenda", lang))
        for item in meeting.agenda.items:
            minutes = _word("minutes", lang, n=item.minutes)
            lines.append(f"{item.position}. {item.title} ({minutes}, {item.owner})")
        lines.append("")
    languages = ", ".join(language_name(code, lang) for code in meeting.languages)
    if meeting.interpreter_arranged:
        languages += f" ({_word('interpreter', lang)})"
    lines.append(f"{_word('languages', lang)} {languages}")
    if meeting.accessibility_notes:
        lines.append(f"{_word('accessibility', lang)} {meeting.accessibility_notes}")
    if meeting.remote_link:
        lines.append(f"{_word('remote', lang)} {meeting.remote_link}")
    return "\n".join(lines)


def event(meeting: Meeting, lang: str) -> Event:
    vevent = Event()
    vevent.add("uid", meeting.ics_uid)
    vevent.add("dtstamp", meeting.updated_at)
    vevent.add("created", meeting.created_at)
    vevent.add("last-modified", meeting.updated_at)
    vevent.add("sequence", meeting.sequence)
    vevent.add("dtstart", meeting.starts_at)
    vevent.add("dtend", meeting.ends_at)
    vevent.add("summary", summary(meeting, lang), parameters={"LANGUAGE": lang})
    vevent.add("location", location(meeting, lang), parameters={"LANGUAGE": lang})
    vevent.add("description", description(meeting, lang), parameters={"LANGUAGE": lang})
    vevent.add("status", _STATUS.get(meeting.state, "CONFIRMED"))
    vevent.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:council-{meeting.commune_code}@{ICS_DOMAIN}")
    organizer.params["cn"] = vText(_word("council", lang, code=meeting.commune_code))
    vevent.add("organizer", organizer)
    if meeting.remote_link:
        vevent.add("url", meeting.remote_link)
    return vevent


def meeting_ics(meeting: Meeting, lang: str) -> bytes:
    """One meeting: METHOD:PUBLISH, or METHOD:CANCEL once it is cancelled."""
    cal = _calendar("CANCEL" if meeting.state is MeetingState.CANCELLED else "PUBLISH")
    cal.add_component(event(meeting, lang))
    return bytes(cal.to_ical())


def commune_feed(meetings: Iterable[Meeting], commune_code: str, lang: str) -> bytes:
    """A commune's public meetings as one calendar that phones subscribe to."""
    cal = _calendar("PUBLISH")
    name = _word("feed", lang, code=commune_code)
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.id)):
        cal.add_component(event(meeting, lang))
    return bytes(cal.to_ical())
