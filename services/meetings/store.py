"""Meetings' collections on the storage port, and the few reads and writes it needs.

* ``meetings``: one document per meeting (the domain's Meeting as JSON).
* ``calendars``: per commune, the slots of its live meetings (and of other communes' meetings
  at venues in it). The clash check reads it and every change rewrites it in the same
  transaction as the meeting, with the version check: two overlapping meetings can never both
  be committed, whatever the adapter.
* ``agenda_candidates``: the commune's needs, learned from intake's events.
* ``holiday_tables`` (per year), ``commune_profiles`` and ``availability`` (per facilitator and
  commune): what slot suggestions are scored on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from contracts.needs import NeedStatus
from services.meetings.agenda import Candidate
from services.meetings.domain import CalendarEntry, Meeting
from services.meetings.slots import Availability, BusySeason, Holiday
from services.runtime.stores import Collection, In, Store, Transaction

MEETINGS = Collection("meetings", unique=("idempotency_key",), indexes=("commune_code", "state", "type"))
CALENDARS = Collection("calendars")
CANDIDATES = Collection("agenda_candidates", indexes=("commune_code",))
HOLIDAYS = Collection("holiday_tables")
PROFILES = Collection("commune_profiles")
AVAILABILITY = Collection("availability", indexes=("commune_code",))

COLLECTIONS = (MEETINGS, CALENDARS, CANDIDATES, HOLIDAYS, PROFILES, AVAILABILITY)

Reader = Store | Transaction


def meeting_doc(meeting: Meeting, *, idempotency_key: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = meeting.model_dump(mode="json")
    doc["idempotency_key"] = idempotency_key
    return doc


def meeting_of(doc: dict[str, Any]) -> Meeting:
    return Meeting.model_validate(doc)


# ---------- calendars ----------


def _entry_doc(entry: CalendarEntry) -> dict[str, str]:
    return {
        "meeting_id": entry.meeting_id,
        "commune_code": entry.commune_code,
        "venue_key": entry.venue_key,
        "starts_at": entry.starts_at.isoformat(),
        "ends_at": entry.ends_at.isoformat(),
    }


def _entry_of(doc: dict[str, str]) -> CalendarEntry:
    return CalendarEntry(
        doc["meeting_id"],
        doc["commune_code"],
        doc["venue_key"],
        datetime.fromisoformat(doc["starts_at"]),
        datetime.fromisoformat(doc["ends_at"]),
    )


class Calendars:
    """The calendars one change touches, read and written in one transaction."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self._docs: dict[str, dict[str, Any] | None] = {}

    async def load(self, codes: Iterable[str]) -> list[CalendarEntry]:
        entries: dict[tuple[str, str], CalendarEntry] = {}
        for code in codes:
            if code not in self._docs:
                self._docs[code] = await self.tx.get("calendars", code)
            doc = self._docs[code]
            for raw in doc["entries"] if doc else []:
                entry = _entry_of(raw)
                entries[(entry.meeting_id, entry.venue_key)] = entry
        return list(entries.values())

    async def save(self, code: str, entries: Sequence[CalendarEntry]) -> None:
        doc = self._docs.get(code)
        body = {"id": code, "entries": [_entry_doc(e) for e in entries]}
        if doc is None:
            await self.tx.insert("calendars", body)
        else:
            await self.tx.replace("calendars", body, expected_version=doc["version"])

    async def entries_of(self, code: str) -> list[CalendarEntry]:
        doc = self._docs.get(code)
        return [_entry_of(raw) for raw in doc["entries"]] if doc else []


async def read_calendar(store: Reader, codes: Iterable[str]) -> list[CalendarEntry]:
    entries: dict[tuple[str, str], CalendarEntry] = {}
    for code in set(codes):
        doc = await store.get("calendars", code)
        for raw in doc["entries"] if doc else []:
            entry = _entry_of(raw)
            entries[(entry.meeting_id, entry.venue_key)] = entry
    return list(entries.values())


# ---------- agenda candidates ----------


def candidate_of(doc: dict[str, Any]) -> Candidate | None:
    if not doc.get("description"):
        return None  # only a status seen so far; NeedSubmitted has not arrived yet
    return Candidate(
        need_id=doc["id"],
        commune_code=doc["commune_code"],
        village_code=doc["village_code"],
        tracking_code=doc["tracking_code"],
        description=doc["description"],
        status=NeedStatus(doc.get("status") or NeedStatus.SUBMITTED.value),
    )


async def candidates_by_id(store: Store, ids: Iterable[str]) -> dict[str, Candidate]:
    wanted = tuple(sorted({i for i in ids if i}))
    if not wanted:
        return {}
    docs = await store.page("agenda_candidates", {"id": In(wanted)}, limit=len(wanted))
    found = (candidate_of(doc) for doc in docs)
    return {c.need_id: c for c in found if c is not None}


# ---------- what slot suggestions are scored on ----------


def holiday_doc(year: int, holidays: Sequence[Holiday], by: str, at: datetime) -> dict[str, Any]:
    return {
        "id": str(year),
        "year": year,
        "holidays": [
            {
                "kind": h.kind,
                "start": h.start.isoformat(),
                "end": h.end.isoformat(),
                "name_en": h.name_en,
                "name_km": h.name_km,
                "migrants_home": h.migrants_home,
            }
            for h in holidays
        ],
        "updated_by": by,
        "updated_at": at.isoformat(),
    }


def holidays_of(doc: dict[str, Any]) -> list[Holiday]:
    return [
        Holiday(
            kind=h["kind"],
            start=date.fromisoformat(h["start"]),
            end=date.fromisoformat(h["end"]),
            name_en=h["name_en"],
            name_km=h["name_km"],
            migrants_home=h["migrants_home"],
        )
        for h in doc["holidays"]
    ]


def seasons_of(doc: dict[str, Any] | None) -> list[BusySeason]:
    return [
        BusySeason(s["label"], (s["start"][0], s["start"][1]), (s["end"][0], s["end"][1]))
        for s in (doc or {}).get("busy_seasons", [])
    ]


def season_doc(season: BusySeason) -> dict[str, Any]:
    return {"label": season.label, "start": list(season.start), "end": list(season.end)}


def windows_of(doc: dict[str, Any]) -> list[Availability]:
    return [
        Availability(w["weekday"], time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for w in doc["windows"]
    ]


def window_doc(window: Availability) -> dict[str, Any]:
    return {
        "weekday": window.weekday,
        "start": window.start.strftime("%H:%M"),
        "end": window.end.strftime("%H:%M"),
    }
