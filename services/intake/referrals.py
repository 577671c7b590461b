"""Triage decisions over HTTP (reject, refer) and the district's list of referrals received.

The use cases commit the need with its events through the unit of work: NeedStatusChanged
(which notify turns into a message to the citizen) and, for a referral, NeedReferred (for
read models above the commune). The list serves the district, province and national admins
(and integrators): needs referred from the district's communes, with no personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.api.intake import NeedView, ReferIn, ReferralPage, RejectIn
from contracts.envelope import Envelope, new_event
from contracts.needs import NEED_REFERRED, NeedReferredV1, ReferralTarget, Sector
from contracts.privacy import public_description
from services.intake import events, triage
from services.intake.commands import unit_of_work
from services.intake.store import load_need
from services.intake.views import need_view, people_counts
from services.runtime.application import Committer, emit, save
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import ALL_COMMUNES, Identity, Role
from services.runtime.service import RuntimeDep
from services.runtime.stores import Transaction

router = APIRouter(tags=["needs"])

# Roles that read a district's referrals (an NGO partner sees only counts, in oversight).
REFERRAL_READERS = frozenset({Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN, Role.INTEGRATOR})


def need_referred(doc: dict[str, Any], correlation_id: str | None) -> Envelope:
    referral = doc["referral"]
    people, _ = people_counts(doc)
    return new_event(
        NeedReferredV1(
            need_id=doc["id"],
            tracking_code=doc["tracking_code"],
            commune_code=doc["commune_code"],
            district_code=referral["district_code"],
            village_code=doc["village_code"],
            sector=Sector(doc["sector"]) if doc.get("sector") else None,
            need_type=doc.get("need_type"),
            people=people,
            target=ReferralTarget(referral["target"]),
            target_name=referral["name"],
            reason=referral["reason"],
            referred_by=doc["history"][-1]["actor"],
            referred_at=datetime.fromisoformat(referral["at"]),
        ),
        event_type=NEED_REFERRED,
        source=events.SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=correlation_id,
    )


async def reject_need(
    committer: Committer, need_id: str, caller: Identity, reason: str, now: datetime, correlation: str | None
) -> dict[str, Any]:
    async def change(tx: Transaction) -> dict[str, Any]:
        before = await load_need(tx, need_id, caller)
        stored = await save(tx, "needs", before, triage.reject(before, caller, reason, now))
        await emit(tx, [events.status_changed(before, stored, correlation_id=correlation, causation_id=None)])
        return stored

    return await unit_of_work(committer).run(change)


async def refer_need(
    committer: Committer,
    need_id: str,
    caller: Identity,
    body: ReferIn,
    now: datetime,
    correlation: str | None,
) -> dict[str, Any]:
    async def change(tx: Transaction) -> dict[str, Any]:
        before = await load_need(tx, need_id, caller)
        after = triage.refer(before, caller, body.target, body.name, body.reason, now)
        stored = await save(tx, "needs", before, after)
        await emit(
            tx,
            [
                events.status_changed(before, stored, correlation_id=correlation, causation_id=None),
                need_referred(stored, correlation),
            ],
        )
        return stored

    return await unit_of_work(committer).run(change)


@router.post("/needs/{need_id}/reject", response_model=NeedView)
async def reject(
    need_id: str,
    body: RejectIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Council: not a need the commune takes up; the citizen is told why."""
    stored = await reject_need(runtime, need_id, caller, body.reason, datetime.now(UTC), correlation_id)
    return need_view(stored, caller)


@router.post("/needs/{need_id}/refer", response_model=NeedView)
async def refer(
    need_id: str, body: ReferIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """Council: send the need to the district, a line department or an NGO, named, and say why."""
    stored = await refer_need(runtime, need_id, caller, body, datetime.now(UTC), correlation_id)
    return need_view(stored, caller)


def may_read_district(caller: Identity, district: str) -> bool:
    if caller.role not in REFERRAL_READERS:
        return False
    return any(
        scope == ALL_COMMUNES or (len(scope) <= 4 and district.startswith(scope)) for scope in caller.communes
    )


def referral_view(doc: dict[str, Any]) -> dict[str, Any]:
    people, _ = people_counts(doc)
    return {
        "need_id": doc["id"],
        "tracking_code": doc["tracking_code"],
        "commune_code": doc["commune_code"],
        "village_code": doc["village_code"],
        "sector": doc.get("sector"),
        "need_type": doc.get("need_type"),
        "description": public_description(doc.get("need_type"), doc["description"]),
        "people": people,
        "status": doc["status"],
        **{k: doc["referral"][k] for k in ("target", "name", "reason", "at", "district_code")},
    }


@router.get("/referrals", response_model=ReferralPage)
async def list_referrals(
    caller: CallerDep,
    runtime: RuntimeDep,
    district: Annotated[str, Query(pattern=r"^\d{4}$")],
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """Needs the district's communes referred (the newest needs first): what the district received."""
    if not may_read_district(caller, district):
        raise DomainError(
            "auth.forbidden",
            "Only the admins of this district, its province or the nation can see its referrals.",
            "មានតែអ្នកគ្រប់គ្រងស្រុកនេះ ខេត្ត ឬថ្នាក់ជាតិប៉ុណ្ណោះ ដែលអាចមើលការបញ្ជូនរបស់វាបាន។",
            status=403,
        )
    where = {"referral_district": district}
    docs = await runtime.store.page("needs", where, after=after, limit=limit, newest_first=True)
    return {
        "items": [referral_view(d) for d in docs],
        "next_after": docs[-1]["id"] if len(docs) == limit else None,
        "total": await runtime.store.count("needs", where),
    }
