"""What the inclusion dashboard says, computed from what intake and meetings sent (pure).

Three answers per group and need: someone of the group raised or supports it ("yes"); everyone
behind it is known not to be in the group ("no"); or it is not known ("unknown": not asked,
"prefer not to say", a message with no answers). A group is reported missing only where every
need says "no": an unknown is never read as a none.

The outcomes table sets each group's share of needs raised, of meeting attendance, of needs
prioritised and of needs funded beside its share of the population. Counts under
``SMALL_COUNT`` (5) show as "<5" and their shares are left out, for everyone and in the export:
the table is made to be shared beyond the council.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contracts.api.intake import NeedView, Share
from contracts.api.meetings.meeting import MeetingPublic
from contracts.inclusion import Group
from contracts.needs import NeedStatus
from contracts.privacy import SMALL_COUNT, SUPPRESSED

GROUPS = tuple(g.value for g in Group)  # intake's groups, in its order

# Needs that reached prioritisation, and needs the budget funded (intake learns both from events).
FUNDED = frozenset(
    {
        NeedStatus.FUNDED,
        NeedStatus.PARTLY_FUNDED,
        NeedStatus.IN_IMPLEMENTATION,
        NeedStatus.COMPLETED,
        NeedStatus.VERIFIED,
    }
)
PRIORITISED = FUNDED | {NeedStatus.PRIORITISED, NeedStatus.IN_CIP}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int) or str(value).isdigit() else 0


def _hidden(value: Any) -> bool:
    return isinstance(value, str) and value == SUPPRESSED


def group_state(need: NeedView, group: str) -> str:
    """ "yes", "no" or "unknown" for one need and group (a hidden "<5" count reads as unknown)."""
    count = need.groups.get(group, 0)
    if _count(count) > 0:
        return "yes"
    unknown = need.groups_unknown.get(group, 0)
    if _hidden(count) or _hidden(unknown) or _count(unknown) > 0:
        return "unknown"
    return "no"


def was_prioritised(need: NeedView) -> bool:
    if need.status in PRIORITISED:
        return True
    return any(h.to in (NeedStatus.PRIORITISED, NeedStatus.IN_CIP) for h in need.history)


def village_table(needs: Iterable[NeedView], villages: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per village: needs, people, and per group the needs it raised ("groups") and the needs
    that do not say ("unknown")."""
    table: dict[str, dict[str, Any]] = {
        code: {
            "needs": 0,
            "people": 0,
            "groups": dict.fromkeys(GROUPS, 0),
            "unknown": dict.fromkeys(GROUPS, 0),
        }
        for code in villages
    }
    for need in needs:
        row = table.get(need.village_code)
        if row is None:
            continue
        row["needs"] += 1
        row["people"] += need.people
        for group in GROUPS:
            state = group_state(need, group)
            if state == "yes":
                row["groups"][group] += 1
            elif state == "unknown":
                row["unknown"][group] += 1
    return table


def missing(table: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(village, group) pairs of who raised no need, "" meaning all: whole groups first (known
    "no" in every need of every village), then villages with no needs, then a group in a village.
    Where any need does not say, nothing is reported missing."""
    nowhere = [
        g for g in GROUPS if all(row["groups"][g] == 0 and row["unknown"][g] == 0 for row in table.values())
    ]
    found: list[tuple[str, str]] = [("", g) for g in nowhere]
    for code, row in table.items():
        if row["needs"] == 0:
            found.append((code, ""))
            continue
        found += [
            (code, g) for g in GROUPS if g not in nowhere and row["groups"][g] == 0 and row["unknown"][g] == 0
        ]
    return found


def not_known(table: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    """(village, group, needs) where no need is known to come from the group but some do not say:
    "" for the whole commune first, then each village."""
    found: list[tuple[str, str, int]] = []
    for g in GROUPS:
        if all(row["groups"][g] == 0 for row in table.values()):
            unknown = sum(row["unknown"][g] for row in table.values())
            if unknown:
                found.append(("", g, unknown))
    commune_wide = {g for _, g, _ in found}
    for code, row in table.items():
        found += [
            (code, g, row["unknown"][g])
            for g in GROUPS
            if g not in commune_wide and row["groups"][g] == 0 and row["unknown"][g] > 0
        ]
    return found


def _share(part: int, whole: int) -> dict[str, Any]:
    """A count and its share of ``whole``; a small count is hidden with its share."""
    if part < SMALL_COUNT:
        return {"count": SUPPRESSED, "share": None, "of": whole}
    return {"count": part, "share": round(100 * part / whole, 1) if whole else None, "of": whole}


def attendance_totals(meetings: Iterable[MeetingPublic]) -> dict[str, int]:
    """Attendance summed over held meetings: total and per group (meetings count no elderly)."""
    totals = {"total": 0, **dict.fromkeys(GROUPS, 0)}
    for meeting in meetings:
        if meeting.attendance is None:
            continue
        counts = dict(meeting.attendance.counts)
        totals["total"] += _count(counts["total"])
        for group in GROUPS:
            totals[group] += _count(counts.get(group, 0))
    return totals


def outcomes(
    needs: Sequence[NeedView],
    attendance: Mapping[str, int] | None,
    population: Mapping[str, Share],
) -> list[dict[str, Any]]:
    """Per group: share of needs raised, of attendance, of needs prioritised and funded, and of
    the population (where a denominator exists); each need's "unknown" counted apart.
    ``attendance`` None: not available (nothing is shown for it, not a zero)."""
    prioritised = [n for n in needs if was_prioritised(n)]
    funded = [n for n in needs if n.status in FUNDED]
    rows = []
    for group in GROUPS:
        states = [group_state(n, group) for n in needs]
        pop = population.get(group)
        rows.append(
            {
                "group": group,
                "raised": _share(states.count("yes"), len(needs)),
                "raised_unknown": _share(states.count("unknown"), len(needs)),
                "attendance": _share(attendance.get(group, 0), attendance.get("total", 0))
                if attendance is not None and group != "elderly"
                else None,
                "prioritised": _share(
                    sum(group_state(n, group) == "yes" for n in prioritised), len(prioritised)
                ),
                "funded": _share(sum(group_state(n, group) == "yes" for n in funded), len(funded)),
                "population": _share(pop.part, pop.of) if pop and pop.of else None,
            }
        )
    return rows


def _cell(value: Mapping[str, Any] | None) -> tuple[str, str]:
    if value is None:
        return "", ""
    share = value["share"]
    return str(value["count"]), "" if share is None else f"{share:.1f}"


CSV_HEAD = (
    "group",
    "needs_raised",
    "needs_raised_percent",
    "needs_unknown",
    "needs_unknown_percent",
    "attendance",
    "attendance_percent",
    "prioritised",
    "prioritised_percent",
    "funded",
    "funded_percent",
    "population",
    "population_percent",
)


def outcomes_csv(rows: list[dict[str, Any]]) -> str:
    """The outcomes table as CSV (UTF-8, one row per group); hidden counts read "<5"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEAD)
    for row in rows:
        cells: list[str] = [row["group"]]
        for key in ("raised", "raised_unknown", "attendance", "prioritised", "funded", "population"):
            cells += _cell(row[key])
        writer.writerow(cells)
    return out.getvalue()
