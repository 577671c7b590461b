"""Budget's collections on the storage port, documents <-> domain, and the one way to change a budget.

:func:`change` is optimistic concurrency in one place: read the budget and its version, let
the domain decide, then save with ``expected_version``, through the runtime's unit of work. If
another clerk saved in between, the save fails with a version conflict and the command is
decided again on the fresh budget, so two clerks allocating the last riel at the same moment
cannot both get it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import Any

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStatus
from contracts.envelope import new_event
from services.budget.model import (
    Allocation,
    Budget,
    LedgerEntry,
    Line,
    Outcome,
    Project,
    Rate,
    Revision,
    budget_id,
)
from services.budget.projects import Approval, NeedRef
from services.budget.works_docs import check_from_doc, check_to_doc, stage_from_doc, stage_to_doc
from services.runtime.application import BusyError, Committer, UnitOfWork
from services.runtime.outbox import outbox_row
from services.runtime.service import Runtime
from services.runtime.stores import Collection, DuplicateKeyError, In, Store, Transaction

SOURCE = "/khum/budget"

BUDGETS = Collection("budgets", indexes=("commune_code",))
LEDGER = Collection(
    "ledger", unique=("idempotency_key", "reverses"), indexes=("budget_id", "project_id", "allocation_id")
)
REFS = Collection("refs")
NEEDS = Collection("needs", indexes=("commune_code",))
DECISIONS = Collection("decisions", indexes=("commune_code",))
PHOTOS = Collection("photos", indexes=("project_id",))
COLLECTIONS = (BUDGETS, LEDGER, REFS, NEEDS, DECISIONS, PHOTOS)

Decide = Callable[[Budget], Outcome]


# ---------- documents ----------


def budget_to_doc(budget: Budget) -> dict[str, Any]:
    return {
        "id": budget.id,
        "commune_code": budget.commune_code,
        "year": budget.year,
        "lines": [
            {
                "kind": line.kind.value,
                "amount": line.amount,
                "rate": {"riel_per_usd": line.rate.riel_per_usd, "as_of": line.rate.as_of.isoformat()}
                if line.rate
                else None,
                "set_by": line.set_by,
                "set_at": line.set_at.isoformat(),
            }
            for line in budget.lines.values()
        ],
        "projects": [
            {
                "id": p.id,
                "title": p.title,
                "need_ids": list(p.need_ids),
                "estimated_cost": p.estimated_cost,
                "rank": p.rank,
                "status": p.status.value,
                "reason": p.reason,
                "created_by": p.created_by,
                "created_at": p.created_at.isoformat(),
                "stages": [stage_to_doc(s) for s in p.stages],
                "checks": [check_to_doc(c) for c in p.checks],
                "expected_month": p.expected_month,
            }
            for p in budget.projects.values()
        ],
        "allocations": [
            {
                "id": a.id,
                "project_id": a.project_id,
                "line": a.line.value,
                "amount": a.amount,
                "released": a.released,
                "decision_id": a.decision_id,
                "committed": a.committed,
                "paid": a.paid,
                "overrun": a.overrun,
                "made_by": a.made_by,
                "made_at": a.made_at.isoformat(),
            }
            for a in budget.allocations.values()
        ],
        "revisions": [
            {
                "id": r.id,
                "line": r.line.value,
                "previous_amount": r.previous_amount,
                "amount": r.amount,
                "reason": r.reason,
                "uncovered": r.uncovered,
                "at_risk": list(r.at_risk),
                "revised_by": r.revised_by,
                "revised_at": r.revised_at.isoformat(),
            }
            for r in budget.revisions
        ],
    }


def budget_from_doc(doc: dict[str, Any]) -> Budget:
    budget = Budget(doc["commune_code"], int(doc["year"]))
    for raw in doc["lines"]:
        rate = raw.get("rate")
        kind = BudgetLineKind(raw["kind"])
        budget.lines[kind] = Line(
            kind,
            int(raw["amount"]),
            Rate(int(rate["riel_per_usd"]), date.fromisoformat(rate["as_of"])) if rate else None,
            raw["set_by"],
            datetime.fromisoformat(raw["set_at"]),
        )
    for raw in doc["projects"]:
        budget.projects[raw["id"]] = Project(
            raw["id"],
            raw["title"],
            tuple(raw["need_ids"]),
            int(raw["estimated_cost"]),
            raw.get("rank"),
            ProjectStatus(raw["status"]),
            raw.get("reason"),
            raw["created_by"],
            datetime.fromisoformat(raw["created_at"]),
            # Budgets saved before implementation stages existed have neither key.
            [stage_from_doc(s) for s in raw.get("stages", [])],
            [check_from_doc(c) for c in raw.get("checks", [])],
            raw.get("expected_month"),
        )
    for raw in doc["allocations"]:
        budget.allocations[raw["id"]] = Allocation(
            raw["id"],
            raw["project_id"],
            BudgetLineKind(raw["line"]),
            int(raw["amount"]),
            int(raw["released"]),
            raw["decision_id"],
            int(raw["committed"]),
            int(raw["paid"]),
            bool(raw["overrun"]),
            raw["made_by"],
            datetime.fromisoformat(raw["made_at"]),
        )
    for raw in doc["revisions"]:
        budget.revisions.append(
            Revision(
                raw["id"],
                BudgetLineKind(raw["line"]),
                int(raw["previous_amount"]),
                int(raw["amount"]),
                raw["reason"],
                int(raw["uncovered"]),
                tuple(raw["at_risk"]),
                raw["revised_by"],
                datetime.fromisoformat(raw["revised_at"]),
            )
        )
    return budget


def entry_to_doc(entry: LedgerEntry, idempotency_key: str, fingerprint: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "budget_id": budget_id(entry.commune_code, entry.year),
        "commune_code": entry.commune_code,
        "year": entry.year,
        "allocation_id": entry.allocation_id,
        "project_id": entry.project_id,
        "line": entry.line.value,
        "stage": entry.stage.value,
        "amount": entry.amount,
        "payee": entry.payee,
        "reference": entry.reference,
        "spent_on": entry.spent_on.isoformat(),
        "reverses": entry.reverses,
        "reason": entry.reason,
        "overrun_reason": entry.overrun_reason,
        "recorded_by": entry.recorded_by,
        "recorded_at": entry.recorded_at.isoformat(),
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
    }


def entry_from_doc(doc: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        id=doc["id"],
        commune_code=doc["commune_code"],
        year=int(doc["year"]),
        allocation_id=doc["allocation_id"],
        project_id=doc["project_id"],
        line=BudgetLineKind(doc["line"]),
        stage=ExpenditureStage(doc["stage"]),
        amount=int(doc["amount"]),
        payee=doc["payee"],
        reference=doc["reference"],
        spent_on=date.fromisoformat(doc["spent_on"]),
        reverses=doc.get("reverses"),
        reason=doc.get("reason"),
        overrun_reason=doc.get("overrun_reason"),
        recorded_by=doc["recorded_by"],
        recorded_at=datetime.fromisoformat(doc["recorded_at"]),
    )


def approval_from_doc(doc: dict[str, Any]) -> Approval:
    return Approval(
        doc["id"], doc["commune_code"], int(doc["year"]), {n["need_id"]: int(n["rank"]) for n in doc["needs"]}
    )


# ---------- reads ----------


async def load_budget(store: Store, commune_code: str, year: int) -> Budget:
    doc = await store.get("budgets", budget_id(commune_code, year))
    return budget_from_doc(doc) if doc else Budget(commune_code, year)


async def budget_key_of(store: Store, entity_id: str) -> tuple[str, int] | None:
    """The (commune, year) of a project or allocation id."""
    ref = await store.get("refs", entity_id)
    if ref is None:
        return None
    commune, _, year = str(ref["budget_id"]).partition(":")
    return commune, int(year)


async def approvals(store: Store, commune_code: str, year: int) -> list[dict[str, Any]]:
    """The commune's CIP approval decisions for a year, latest first."""
    docs = [
        doc
        async for doc in store.iterate("decisions", {"commune_code": commune_code})
        if int(doc["year"]) == year
    ]
    return sorted(docs, key=lambda d: str(d["decided_at"]), reverse=True)


async def latest_approval(store: Store, commune_code: str, year: int) -> Approval | None:
    docs = await approvals(store, commune_code, year)
    return approval_from_doc(docs[0]) if docs else None


async def approval(store: Store, decision_id: str) -> Approval | None:
    doc = await store.get("decisions", decision_id) if decision_id else None
    return approval_from_doc(doc) if doc else None


async def need_docs(store: Store, need_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = tuple(dict.fromkeys(need_ids))
    if not wanted:
        return {}
    docs = await store.page("needs", {"id": In(wanted)}, limit=len(wanted))
    return {doc["id"]: doc for doc in docs}


async def need_refs(store: Store, need_ids: Iterable[str]) -> dict[str, NeedRef]:
    docs = await need_docs(store, need_ids)
    return {i: NeedRef(i, d["commune_code"]) for i, d in docs.items()}


async def ledger_of(store: Store, where: dict[str, Any]) -> list[LedgerEntry]:
    """Ledger entries in the order they were posted (ids are time-ordered)."""
    return [entry_from_doc(d) async for d in store.iterate("ledger", where)]


# ---------- the one way to change a budget ----------


def budget_busy() -> BusyError:
    return BusyError(
        "budget",
        "The budget is being changed by others right now. Please try again.",
        "ថវិកាកំពុងត្រូវបានកែប្រែដោយអ្នកផ្សេងនៅពេលនេះ។ សូមព្យាយាមម្តងទៀត។",
    )


def unit_of_work(committer: Committer) -> UnitOfWork:
    return UnitOfWork(committer, budget_busy)


def _begun_by_someone_else(exc: DuplicateKeyError) -> bool:
    """The year's budget created by someone else in between: decide again on theirs."""
    return exc.collection == "budgets"


async def change(
    runtime: Runtime,
    commune_code: str,
    year: int,
    decide: Decide,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    ledger_keys: tuple[str, str] | None = None,
    inbox: tuple[str, str] | None = None,
    with_tx: Callable[[Transaction], Awaitable[None]] | None = None,
) -> Outcome | None:
    """Decide on the latest budget and save it with its events; decide again after a conflict.

    The budget is read and decided on before the write transaction opens, so two clerks may
    decide on the same version; the second save then conflicts and decides again.
    ``ledger_keys`` is the (idempotency key, fingerprint) stored with a new ledger entry.
    ``inbox`` is (consumer, event id) for event handlers: nothing happens twice, and None is
    returned when the event was already handled. ``with_tx`` adds the caller's own writes.
    """
    key = budget_id(commune_code, year)

    async def plan() -> Callable[[Transaction], Awaitable[Outcome]]:
        doc = await runtime.store.get("budgets", key)
        outcome = decide(budget_from_doc(doc) if doc else Budget(commune_code, year))

        async def commit(tx: Transaction) -> Outcome:
            if with_tx is not None:
                await with_tx(tx)
            if outcome.changed:
                await _save(tx, doc, outcome, ledger_keys, correlation_id, causation_id)
            return outcome

        return commit

    return await unit_of_work(runtime).plan_then_commit(plan, inbox=inbox, again=_begun_by_someone_else)


async def _save(
    tx: Transaction,
    before: dict[str, Any] | None,
    outcome: Outcome,
    ledger_keys: tuple[str, str] | None,
    correlation_id: str | None,
    causation_id: str | None,
) -> None:
    doc = budget_to_doc(outcome.budget)
    if before is None:
        await tx.insert("budgets", doc)
    else:
        await tx.replace("budgets", doc, expected_version=int(before["version"]))
    for entry in outcome.entries:
        idem, fingerprint = ledger_keys or (f"{entry.id}", "")
        await tx.insert("ledger", entry_to_doc(entry, idem, fingerprint))
    for entity_id, kind in outcome.refs:
        await tx.insert("refs", {"id": entity_id, "kind": kind, "budget_id": outcome.budget.id})
    for emitted in outcome.events:
        envelope = new_event(
            emitted.payload,
            event_type=emitted.event_type,
            source=SOURCE,
            communecode=outcome.budget.commune_code,
            subject=emitted.subject,
            correlationid=correlation_id,
            causationid=causation_id,
        )
        await tx.add_outbox(outbox_row(envelope))
