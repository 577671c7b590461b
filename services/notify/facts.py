"""What notify learns about a need from the other contexts, so its messages say more than a
status: the rank a prioritisation meeting gave it (meetings' DecisionRecorded), and the CIP
project that answers it, with its title, the riel allocated to it, its year, stage and the month
the council expects it delivered (budget's ProjectStatusChanged, AllocationMade,
AllocationReleased, ProjectExpectedMonthSet).

Kept in notify's own store (``projects``, and ``rank``/``project_id`` on its copy of a need),
applied in the consumer's transaction like the other projections. The budget and meetings
events reach notify on their own consumers, normally before intake's NeedStatusChanged that
they cause. When intake's status comes first, :func:`unexplained` says so and the consumer puts
the event back for a while (``facts_wait_seconds``); after that it says the status without them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from contracts.budget import (
    ALLOCATION_MADE,
    ALLOCATION_RELEASED,
    PROJECT_EXPECTED_MONTH_SET,
    PROJECT_STATUS_CHANGED,
    AllocationMadeV1,
    AllocationReleasedV1,
    ProjectExpectedMonthSetV1,
    ProjectStatusChangedV1,
)
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1
from contracts.needs import NeedStatus, NeedStatusChangedV1
from services.runtime.stores import Transaction


async def _project(tx: Transaction, project_id: str, commune_code: str, year: int) -> dict[str, Any]:
    found = await tx.get("projects", project_id)
    if found is not None:
        return found
    return {
        "id": project_id,
        "commune_code": commune_code,
        "year": year,
        "title": None,
        "need_ids": [],
        "status": None,
        "allocations": {},
        "amount": 0,
        "changed_at": "",
        "expected_month": None,
        "month_set_at": "",
    }


async def _store(tx: Transaction, doc: dict[str, Any], now: datetime) -> None:
    doc = {**doc, "amount": sum(doc["allocations"].values()), "updated_at": now.isoformat()}
    if "version" in doc:
        await tx.replace("projects", doc, expected_version=doc["version"])
    else:
        await tx.insert("projects", doc)


async def _link_needs(tx: Transaction, need_ids: list[str], patch: dict[str, Any], now: datetime) -> None:
    for need_id in need_ids:
        need = await tx.get("needs", need_id)
        if need is None:
            continue  # notify never saw it submitted; nobody to tell about it
        changed = {**need, **patch}
        if changed != need:
            await tx.replace(
                "needs", {**changed, "updated_at": now.isoformat()}, expected_version=need["version"]
            )


async def project_status_changed(tx: Transaction, change: ProjectStatusChangedV1, now: datetime) -> None:
    doc = await _project(tx, change.project_id, change.commune_code, change.year)
    if doc["changed_at"] > change.changed_at.isoformat():
        return  # an older change arriving late
    # The month as it stood at the change, unless a later ProjectExpectedMonthSet arrived first.
    if doc.get("month_set_at", "") <= change.changed_at.isoformat():
        doc = {**doc, "expected_month": change.expected_month}
    doc = {
        **doc,
        "title": change.title or doc["title"],
        "need_ids": list(change.need_ids),
        "status": change.status.value,
        "year": change.year,
        "changed_at": change.changed_at.isoformat(),
    }
    await _store(tx, doc, now)
    await _link_needs(tx, list(change.need_ids), {"project_id": change.project_id}, now)


async def expected_month_set(tx: Transaction, month: ProjectExpectedMonthSetV1, now: datetime) -> None:
    doc = await _project(tx, month.project_id, month.commune_code, month.year)
    if doc.get("month_set_at", "") > month.set_at.isoformat():
        return  # an older month arriving late
    doc = {
        **doc,
        "title": month.title or doc["title"],
        "expected_month": month.expected_month,
        "month_set_at": month.set_at.isoformat(),
    }
    await _store(tx, doc, now)


async def allocation_made(tx: Transaction, made: AllocationMadeV1, now: datetime) -> None:
    doc = await _project(tx, made.project_id, made.commune_code, made.year)
    await _store(tx, {**doc, "allocations": {**doc["allocations"], made.allocation_id: made.amount}}, now)


async def allocation_released(tx: Transaction, released: AllocationReleasedV1, now: datetime) -> None:
    doc = await _project(tx, released.project_id, released.commune_code, released.year)
    allocations = {**doc["allocations"], released.allocation_id: released.remaining}
    await _store(tx, {**doc, "allocations": allocations}, now)


async def decision_recorded(tx: Transaction, decision: DecisionRecordedV1, now: datetime) -> None:
    if decision.kind is not DecisionKind.PRIORITISATION:
        return
    ranked_of = len(decision.needs)
    for ranked in decision.needs:
        await _link_needs(
            tx,
            [ranked.need_id],
            {"rank": ranked.rank, "ranked_of": ranked_of, "rank_year": decision.year},
            now,
        )


class FactsNotYet(Exception):
    """A need's outcome arrived before the facts that explain it: the consumer retries it."""


FUNDING = frozenset({NeedStatus.FUNDED, NeedStatus.PARTLY_FUNDED})


async def unexplained(tx: Transaction, change: NeedStatusChangedV1) -> bool:
    """A prioritised need without its rank, or a funded one without its project, yet."""
    need = await tx.get("needs", change.need_id)
    if need is None:
        return False  # notify never saw it submitted: nobody to tell
    if change.status is NeedStatus.PRIORITISED:
        return need.get("rank") is None
    if change.status in FUNDING:
        return need.get("project_id") is None
    return False


def project_facts(project: dict[str, Any] | None) -> dict[str, Any] | None:
    """The project as templates see it (no allocation ids, amount in whole riel)."""
    if project is None:
        return None
    return {
        "title": project.get("title"),
        "amount": int(project.get("amount") or 0),
        "year": project.get("year"),
        "stage": project.get("status"),
        "expected_month": project.get("expected_month"),
    }


FACTS: dict[str, tuple[type[BaseModel], Any]] = {
    PROJECT_STATUS_CHANGED: (ProjectStatusChangedV1, project_status_changed),
    ALLOCATION_MADE: (AllocationMadeV1, allocation_made),
    ALLOCATION_RELEASED: (AllocationReleasedV1, allocation_released),
    PROJECT_EXPECTED_MONTH_SET: (ProjectExpectedMonthSetV1, expected_month_set),
    DECISION_RECORDED: (DecisionRecordedV1, decision_recorded),
}
