"""Oversight's rules: what each fact adds to a commune's tally, and how tallies are shown. Pure.

A tally is a flat map of counters per commune and year (``needs``, ``status:funded``,
``group:migrant``, ``riel:paid``...). Every need and meeting is kept as a small document, and
what it adds to its commune's tally is a function of that document alone (its *contribution*):
a change subtracts the old contribution and adds the new one, so a need that moves from
submitted to funded, or a meeting rescheduled into another year, is counted once, where it is
now. Budget amounts are the same: a line or an allocation contributes its current amount; a
ledger entry (never edited) adds its own amount once.

What a reader outside the commune sees is :func:`row`: counts of people in a sensitive group
(disability, IDPoor, indigenous, migrant) under 5 read "<5" (``contracts.privacy``), and in a
comparison :func:`compare` hides one more cell beside a lone hidden one, so that the unit's
total minus the shown cells cannot give the hidden count back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from contracts.local_time import PHNOM_PENH
from contracts.privacy import SENSITIVE_GROUPS, SUPPRESSED, suppress
from services.runtime.errors import DomainError
from services.runtime.identity import ALL_COMMUNES, OVERSIGHT_ROLES, Identity

NOTICE_DAYS = 7
"""A meeting counts as held "with notice" when it was announced at least this long before it
started: the notice meetings require before announcing (``KHUM_MEETINGS_AGENDA_NOTICE_DAYS``)."""

GROUPS = ("women", "youth", "elderly", "disability", "idpoor", "indigenous", "migrant")
ATTENDANCE = ("total", "remote", "women", "men", "youth", "disability", "idpoor", "indigenous", "migrant")
STATUSES = (
    "submitted",
    "validated",
    "prioritised",
    "in_cip",
    "funded",
    "partly_funded",
    "deferred",
    "rejected",
    "referred",
    "in_implementation",
    "completed",
    "verified",
    "merged",
)
CHECK_QUESTIONS = ("built", "works", "used")
SECTORS = ("economic", "social", "natural_resources", "administration_security", "gender", "unknown")

Tally = Counter[str]


class OversightError(DomainError):
    pass


def forbidden() -> OversightError:
    return OversightError(
        "oversight.forbidden",
        "You may not see this place's oversight figures.",
        "អ្នកមិនអាចមើលតួលេខត្រួតពិនិត្យរបស់ទីកន្លែងនេះបានទេ។",
        status=403,
    )


def local_year(moment: datetime) -> int:
    """The year a fact belongs to, as Cambodia's calendar reads it (Asia/Phnom_Penh)."""
    return moment.astimezone(PHNOM_PENH).year


def places_of(commune_code: str) -> dict[str, str]:
    """A commune's district and province codes (its code's 4- and 2-digit prefixes)."""
    return {
        "commune_code": commune_code,
        "district_code": commune_code[:4],
        "province_code": commune_code[:2],
    }


# --- contributions -----------------------------------------------------------------------------


def need_contribution(need: Mapping[str, Any]) -> Tally:
    """What one need adds to its commune's tally: it, its status, its sector and its groups.

    ``groups`` None means nobody's groups were recorded: counted under ``group:unknown``, never
    as "no group". Referred needs also count as referrals received. A duplicate merged into
    another need counts only as merged: its people live on in the need it joined."""
    if need["status"] == "merged":
        return Counter({"status:merged": 1})
    tally: Tally = Counter(
        {"needs": 1, f"status:{need['status']}": 1, f"sector:{need.get('sector') or 'unknown'}": 1}
    )
    groups = need.get("groups")
    if groups is None:
        tally["group:unknown"] += 1
    else:
        for group in groups:
            tally[f"group:{group}"] += 1
    if need.get("referred_to"):
        tally["referrals"] += 1
    return tally


def meeting_contribution(meeting: Mapping[str, Any]) -> Tally:
    """What one meeting adds: announced, held (with notice or not), cancelled, and attendance."""
    tally: Tally = Counter()
    if meeting.get("cancelled"):
        tally["meetings:cancelled"] += 1
        return tally
    if meeting.get("announced_at"):
        tally["meetings:announced"] += 1
    counts = meeting.get("attendance")
    if counts is None:
        return tally
    tally["meetings:held"] += 1
    tally[f"held:{meeting.get('type') or 'other'}"] += 1
    if had_notice(meeting):
        tally["meetings:notice"] += 1
    for name in ATTENDANCE:
        tally[f"attendance:{name}"] += int(counts.get(name, 0))
    return tally


def answer_contribution(answer: Mapping[str, Any]) -> Tally:
    """A citizen's answer on a completed need: satisfied or not, and a 1-5 rating if given."""
    tally: Tally = Counter({"answers": 1})
    if answer.get("satisfied"):
        tally["answers:satisfied"] += 1
    if answer.get("rating"):
        tally["answers:rated"] += 1
        tally["answers:rating"] += int(answer["rating"])
    return tally


def check_contribution(check: Mapping[str, Any]) -> Tally:
    """A community check of a project: its participants by group, and their 1-5 scores weighted
    by how many gave each (so an average over places is an average over people)."""
    tally: Tally = Counter({"checks": 1})
    for score in check["scores"]:
        people = int(score["participants"])
        tally["checks:participants"] += people
        tally[f"checks:group:{score['group']}"] += people
        for question in CHECK_QUESTIONS:
            tally[f"checks:{question}"] += int(score[question]) * people
    return tally


def _average(total: int, count: int) -> float | None:
    return round(total / count, 1) if count > 0 else None


def had_notice(meeting: Mapping[str, Any]) -> bool:
    announced, starts = meeting.get("announced_at"), meeting.get("starts_at")
    if not announced or not starts:
        return False
    gap = datetime.fromisoformat(starts) - datetime.fromisoformat(announced)
    return gap >= timedelta(days=NOTICE_DAYS)


def apply(counts: Mapping[str, int], removed: Tally, added: Tally) -> dict[str, int]:
    """A tally after one document's old contribution went and its new one came."""
    result = Counter(counts)
    result.subtract(removed)
    result.update(added)
    return {key: value for key, value in result.items() if value != 0}


# --- who sees what -----------------------------------------------------------------------------


def require_overseer(caller: Identity, unit: str | None) -> None:
    """Oversight roles only, and only for a place they act in or oversee (a province admin
    "16" reads "16", "1601" and "160101"; an NGO partner only its communes)."""
    if caller.role not in OVERSIGHT_ROLES or caller.is_public:
        raise forbidden()
    if unit is None:
        return
    if not (unit.isdigit() and len(unit) in (2, 4, 6)):
        raise OversightError(
            "oversight.unit_invalid",
            "A place code has 2 (province), 4 (district) or 6 (commune) digits.",
            "លេខកូដទីកន្លែងមាន ២ (ខេត្ត) ៤ (ស្រុក) ឬ ៦ (ឃុំ) ខ្ទង់។",
            field="unit",
        )
    reaches_inside = any(scope.startswith(unit) for scope in (*caller.communes, *caller.oversees))
    if not (caller.oversees_unit(unit) or reaches_inside):
        raise forbidden()


def home_units(caller: Identity) -> tuple[str, ...]:
    """What a caller compares when it names no place: the provinces for a national admin, else
    its own scopes side by side (a province's districts, an NGO's communes)."""
    scopes = tuple(dict.fromkeys((*caller.communes, *caller.oversees)))
    return () if ALL_COMMUNES in scopes else scopes


WIDTHS = {"province": 2, "district": 4, "commune": 6}


def row_width(unit: str | None, rows: str | None = None) -> int:
    """How many digits a row's code has: ``rows`` (province, district or commune) when it lies
    below ``unit``, else one level down (provinces nationally, a province's districts, a
    district's communes; a commune is its own row)."""
    below = len(unit or "")
    if rows is not None and WIDTHS[rows] > below:
        return WIDTHS[rows]
    return {0: 2, 2: 4}.get(below, 6)


def child_of(commune_code: str, unit: str | None, rows: str | None = None) -> str:
    """The row a commune's figures fall in when ``unit`` is compared."""
    return commune_code[: row_width(unit, rows)]


def is_child(code: str, unit: str | None, rows: str | None = None) -> bool:
    """Whether ``code`` is a row when ``unit`` is compared (places below it, of the row width)."""
    below = len(unit or "")
    width = row_width(unit, rows)
    return width > below and len(code) == width and code.isdigit() and code.startswith(unit or "")


def visible(caller: Identity, commune_code: str) -> bool:
    return caller.oversees_unit(commune_code)


# --- what readers see --------------------------------------------------------------------------


def _shown(count: int, group: str) -> int | str:
    """A count of people (or their needs) in ``group`` as a reader outside the council sees it."""
    return suppress(count, council=False) if group in SENSITIVE_GROUPS else count


def row(counts: Mapping[str, int]) -> dict[str, Any]:
    """A unit's figures as anyone outside the commune's council may see them."""
    groups = {g: _shown(counts.get(f"group:{g}", 0), g) for g in GROUPS}
    attendance = {a: _shown(counts.get(f"attendance:{a}", 0), a) for a in ATTENDANCE}
    allocated = counts.get("riel:allocated", 0)
    paid = counts.get("riel:paid", 0)
    return {
        "needs": {
            "total": counts.get("needs", 0),
            "by_status": {s: counts.get(f"status:{s}", 0) for s in STATUSES},
            "by_sector": {s: counts.get(f"sector:{s}", 0) for s in SECTORS},
            "by_group": groups,
            "group_unknown": counts.get("group:unknown", 0),
        },
        "meetings": {
            "announced": counts.get("meetings:announced", 0),
            "held": counts.get("meetings:held", 0),
            "held_with_notice": counts.get("meetings:notice", 0),
            "cancelled": counts.get("meetings:cancelled", 0),
            "isaf_held": counts.get("held:isaf_interface", 0),
            "attendance": attendance,
        },
        "budget": {
            "available": counts.get("riel:available", 0),
            "allocated": allocated,
            "committed": counts.get("riel:committed", 0),
            "spent": paid,
            "execution_percent": (paid * 100 // allocated) if allocated > 0 else None,
        },
        "referrals_received": counts.get("referrals", 0),
        "community_check": {
            "verified": counts.get("status:verified", 0),
            "isaf_meetings_held": counts.get("held:isaf_interface", 0),
            "checks": counts.get("checks", 0),
            "participants": counts.get("checks:participants", 0),
            "participants_by_group": {g: _shown(counts.get(f"checks:group:{g}", 0), g) for g in GROUPS},
            **{
                q: _average(counts.get(f"checks:{q}", 0), counts.get("checks:participants", 0))
                for q in CHECK_QUESTIONS
            },
            "answers": counts.get("answers", 0),
            "satisfied": counts.get("answers:satisfied", 0),
            "rating": _average(counts.get("answers:rating", 0), counts.get("answers:rated", 0)),
        },
    }


SECTIONS = ("by_group", "attendance", "check_groups")


def _section(view: dict[str, Any], section: str) -> dict[str, Any]:
    """One column family of suppressible cells in a row."""
    cells: dict[str, Any] = {
        "by_group": view["needs"]["by_group"],
        "attendance": view["meetings"]["attendance"],
        "check_groups": view["community_check"]["participants_by_group"],
    }[section]
    return cells


def compare(children: Mapping[str, Mapping[str, int]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The total and a row per child unit, side by side, with complementary suppression: where
    exactly one child's cell reads "<5" but the total is shown, the smallest other shown cell of
    that column is hidden too, so no subtraction recovers the hidden count."""
    total_counts: Tally = Counter()
    for counts in children.values():
        total_counts.update(counts)
    total = row(total_counts)
    rows = [{"code": code, **row(counts)} for code, counts in sorted(children.items())]
    columns = [
        (section, key) for section in SECTIONS for key in _section(total, section) if key in SENSITIVE_GROUPS
    ]
    for section, key in columns:
        if _section(total, section)[key] == SUPPRESSED:
            continue
        hidden = [r for r in rows if _section(r, section)[key] == SUPPRESSED]
        if len(hidden) != 1:
            continue
        shown = [r for r in rows if _section(r, section)[key] != SUPPRESSED]
        if shown:
            smallest = min(shown, key=lambda r: int(_section(r, section)[key]))
            _section(smallest, section)[key] = SUPPRESSED
        else:
            _section(total, section)[key] = SUPPRESSED
    return total, rows


def group_by_child(
    tallies: Iterable[Mapping[str, Any]], unit: str | None, caller: Identity, rows: str | None = None
) -> dict[str, Tally]:
    """Commune tallies the caller may see, summed per row of the comparison. With no place
    named, a caller with several scopes (an NGO's communes, an admin of two districts) gets a
    row per scope; one scope is compared as that place."""
    scopes = home_units(caller) if unit is None else ()
    children: dict[str, Tally] = {}
    for tally in tallies:
        commune = tally["commune_code"]
        if not commune.startswith(unit or "") or not visible(caller, commune):
            continue
        key = next((s for s in scopes if commune.startswith(s)), None) or child_of(commune, unit, rows)
        children.setdefault(key, Counter()).update(tally["counts"])
    return children


def effective_unit(caller: Identity, unit: str | None) -> str | None:
    """The place compared: the one named, or a caller's single scope (a province admin's
    province), or none (national, or several scopes side by side)."""
    if unit is not None:
        return unit
    scopes = home_units(caller)
    return scopes[0] if len(scopes) == 1 else None
