"""Intake's collections on the storage port, and the few queries it needs."""

from __future__ import annotations

from typing import Any

from services.intake.domain import Village
from services.runtime.stores import Collection, Store, Transaction

NEEDS = Collection(
    "needs",
    unique=("tracking_code", "idempotency_key"),
    indexes=("commune_code", "village_code", "status"),
)
VILLAGES = Collection("villages", indexes=("commune_code",))
COMMUNES = Collection("communes")
META = Collection("meta")

COLLECTIONS = (NEEDS, VILLAGES, COMMUNES, META)


def village_from_doc(doc: dict[str, Any]) -> Village:
    return Village(doc["id"], doc["commune_code"], doc["name"]["km"], doc["name"]["latin"])


async def get_village(store: Store | Transaction, code: str) -> Village | None:
    doc = await store.get("villages", code)
    return village_from_doc(doc) if doc else None
