"""Intake's data migrations: stored needs brought to the standard questions at start.

The mapping (``upgrade_person``), stated once:

* disability severity -> a Washington Group answer whose domain was not kept
  (``contracts.inclusion.SEVERITY_TO_WG``: severe -> cannot do at all, medium -> a lot of
  difficulty, both meeting the cut-off; mild -> some difficulty, which leaves disability unknown);
* indigenous group as typed -> a code of the list (``contracts.inclusion.normalise_indigenous``:
  "Tompuon", "tampuan", "ទំពួន" -> tampuan), anything unlisted -> "other" with its words kept;
* ``known`` (of how many people each group is known) added: a person's answers say what is
  known (``inclusion.known_of``); a count says its group is known only where it is above zero,
  because the old forms stored a blank and a 0 alike. Whatever was not recorded is unknown,
  never "none";
* group counts and the need's ``g_<group>`` filter flags recomputed from the above.

It runs on the storage port, so the SQLite and MongoDB adapters migrate alike; a need is
rewritten at its loaded version (a concurrent change wins and the need is read again), and the
mapping is idempotent, so replicas starting together, or a start interrupted half-way, are safe.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from contracts.inclusion import INDIGENOUS_OTHER, SEVERITY_TO_WG, Sex, normalise_indigenous
from services.intake.domain import group_flags
from services.intake.inclusion import AgeBand, Attributes, MigrantStatus, counts_of, known_of
from services.runtime.application import BusyError, UnitOfWork
from services.runtime.stores import Store, Transaction

log = logging.getLogger(__name__)

INCLUSION_SCHEMA = "inclusion_schema"
INCLUSION_VERSION = 2  # 1: severity, free-text indigenous group, no ``known``; 2: standard questions
BATCH = 200


def _attributes(stored: dict[str, Any]) -> dict[str, Any]:
    attributes = dict(stored)
    severity = attributes.pop("disability", None)
    if severity is not None and "wg_any_domain" not in attributes:
        attributes["wg_any_domain"] = SEVERITY_TO_WG[severity].value
    typed = attributes.get("indigenous_group")
    if typed is not None:
        code, other = normalise_indigenous(typed)
        if code is None:
            attributes.pop("indigenous_group")
        else:
            attributes["indigenous_group"] = code
            if code == INDIGENOUS_OTHER and other:
                attributes["indigenous_other"] = other
    return attributes


def _as_domain(attributes: dict[str, Any]) -> Attributes:
    return Attributes(
        sex=Sex(attributes["sex"]) if attributes.get("sex") else None,
        age_band=AgeBand(attributes["age_band"]) if attributes.get("age_band") else None,
        idpoor_level=attributes.get("idpoor_level"),
        indigenous_group=attributes.get("indigenous_group"),
        migrant_status=MigrantStatus(attributes["migrant_status"])
        if attributes.get("migrant_status")
        else None,
        wg=attributes.get("wg"),
        wg_any_domain=attributes.get("wg_any_domain"),
        indigenous_other=attributes.get("indigenous_other"),
    )


def upgrade_person(person: dict[str, Any]) -> dict[str, Any]:
    """One raiser or supporter in the current shape (see the module's mapping)."""
    if person.get("attributes"):
        attributes = _attributes(person["attributes"])
        domain = _as_domain(attributes)
        return {
            **person,
            "attributes": attributes,
            "groups": {str(g): n for g, n in counts_of(domain).items()},
            "known": {str(g): n for g, n in known_of(domain).items()},
        }
    if "known" in person:
        return person
    groups = {g: n for g, n in person.get("groups", {}).items() if n}
    return {**person, "groups": groups, "known": {g: person["people"] for g in groups}}


def upgrade_need(doc: dict[str, Any]) -> dict[str, Any]:
    raised = [upgrade_person(p) for p in doc.get("raised_by", [])]
    supporters = [upgrade_person(p) for p in doc.get("supporters", [])]
    kept = {k: v for k, v in doc.items() if not k.startswith("g_")}
    return {**kept, "raised_by": raised, "supporters": supporters, **group_flags(raised + supporters)}


async def migrate(store: Store) -> int:
    """Bring every stored need to the current shape; return how many were rewritten."""
    meta = await store.get("meta", INCLUSION_SCHEMA)
    if meta is not None and meta.get("value", 0) >= INCLUSION_VERSION:
        return 0
    pending: list[str] = []
    async for doc in store.iterate("needs", {}):
        if upgrade_need(doc) != doc:
            pending.append(doc["id"])
    uow = UnitOfWork(_StoreCommitter(store), _busy)
    rewritten = 0
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]

        async def rewrite(tx: Transaction, ids: list[str] = batch) -> int:
            return await _rewrite(tx, ids)

        rewritten += await uow.run(rewrite)

    async def record(tx: Transaction) -> None:
        current = await tx.get("meta", INCLUSION_SCHEMA)
        doc = {"id": INCLUSION_SCHEMA, "value": INCLUSION_VERSION}
        if current is None:
            await tx.insert("meta", doc)
        elif current.get("value", 0) < INCLUSION_VERSION:
            await tx.replace("meta", doc, expected_version=current["version"])

    # Another replica recording it first is as good (its insert wins: look again, then it is there).
    await uow.run(record, again=lambda exc: exc.field == "id")
    if rewritten:
        log.info("inclusion data migrated to version %d: %d needs rewritten", INCLUSION_VERSION, rewritten)
    return rewritten


async def _rewrite(tx: Transaction, ids: list[str]) -> int:
    done = 0
    for need_id in ids:
        doc = await tx.get("needs", need_id)
        if doc is None:
            continue
        upgraded = upgrade_need(doc)
        if upgraded != doc:
            await tx.replace("needs", upgraded, expected_version=doc["version"])
            done += 1
    return done


@dataclass(frozen=True)
class _StoreCommitter:
    """The unit of work on a bare store: at start nothing waits in the outbox to be woken for."""

    store: Store

    def unit_of_work(self) -> AbstractAsyncContextManager[Transaction]:
        return self.store.transaction()


def _busy() -> BusyError:
    return BusyError(
        "intake.migration",
        "Needs kept changing during the migration.",
        "តម្រូវការបានផ្លាស់ប្តូរជាបន្តបន្ទាប់ក្នុងពេលធ្វើបច្ចុប្បន្នភាព។",
    )
