"""Intake's collections on the storage port, and the few lookups it needs."""

from __future__ import annotations

from typing import Any

from services.intake.domain import NeedError, Village
from services.runtime.identity import Identity
from services.runtime.stores import Collection, Store, Transaction

NEEDS = Collection(
    "needs",
    unique=("tracking_code", "idempotency_key"),
    indexes=("commune_code", "village_code", "status", "sector", "collected_by", "referral_district"),
)
# The gazetteer (services.intake.gazetteer): retired places stay, with ``retired_at`` set.
VILLAGES = Collection("villages", indexes=("commune_code",))
COMMUNES = Collection("communes", indexes=("district_code",))
DISTRICTS = Collection("districts", indexes=("province_code",))
PROVINCES = Collection("provinces")
META = Collection("meta")

COLLECTIONS = (NEEDS, VILLAGES, COMMUNES, DISTRICTS, PROVINCES, META)


class NeedNotFoundError(NeedError):
    def __init__(self, field: str | None = None) -> None:
        super().__init__("need.not_found", "No such need.", "រកមិនឃើញតម្រូវការនេះទេ។", status=404, field=field)


def village_from_doc(doc: dict[str, Any]) -> Village:
    return Village(
        doc["id"],
        doc["commune_code"],
        doc["name"]["km"],
        doc["name"]["latin"],
        retired=doc.get("retired_at") is not None,
    )


async def get_village(store: Store | Transaction, code: str) -> Village | None:
    doc = await store.get("villages", code)
    return village_from_doc(doc) if doc else None


async def load_need(
    store: Store | Transaction, need_id: str, caller: Identity | None, field: str | None = None
) -> dict[str, Any]:
    """A need the caller may see; another commune's need is "not found", never "forbidden"."""
    doc = await store.get("needs", need_id)
    if doc is None or (caller is not None and not caller.covers(doc["commune_code"])):
        raise NeedNotFoundError(field)
    return doc


async def need_by_code(store: Store | Transaction, code: str) -> dict[str, Any]:
    doc = await store.find_one("needs", {"tracking_code": code})
    if doc is None:
        raise NeedNotFoundError("trackingCode")
    return doc
