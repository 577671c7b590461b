"""Triage decisions beyond confirming: reject with a reason, refer to a named authority. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.needs import NeedStatus, ReferralTarget, Sector
from services.intake import triage
from services.intake.domain import NeedError, SubmitNeed, Village, new_need
from services.intake.lifecycle import TransitionError
from services.runtime.identity import Identity, Role

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MALIK = Village("16010101", "160101", "ម៉ាលិក", "Malik")
FACILITATOR = Identity("f1", Role.FACILITATOR, ("160101",))
COUNCIL = Identity("c1", Role.COUNCIL_MEMBER, ("160101",))
OTHER_COUNCIL = Identity("c2", Role.COUNCIL_MEMBER, ("210103",))


def fresh() -> dict[str, object]:
    command = SubmitNeed("16010101", "ស្ពានឆ្លងទន្លេសេសាន", Sector.ECONOMIC, "key-12345678", need_type="bridge")
    doc = new_need(
        command,
        MALIK,
        FACILITATOR,
        need_id="n1",
        tracking_code="ABCD-EFG",
        idempotency_key="f1:key-12345678",
        description=command.description,
        now=NOW,
    )
    return {**doc, "version": 1}


def test_a_referral_names_where_the_need_went_and_why_and_keeps_its_district() -> None:
    referred = triage.refer(
        fresh(), COUNCIL, ReferralTarget.LINE_DEPARTMENT, "  មន្ទីរសាធារណការ  ខេត្ត ", "ស្ពានធំពេក", NOW
    )
    assert referred["status"] == NeedStatus.REFERRED
    assert referred["status_reason"] == "មន្ទីរសាធារណការ ខេត្ត: ស្ពានធំពេក"
    assert referred["referral"] == {
        "target": "line_department",
        "name": "មន្ទីរសាធារណការ ខេត្ត",
        "reason": "ស្ពានធំពេក",
        "at": NOW.isoformat(),
        "district_code": "1601",
    }
    assert referred["referral_district"] == "1601"
    assert referred["history"][-1]["source"] == "council" and referred["history"][-1]["actor"] == "c1"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_referral_without_a_name_is_refused_at_the_name(name: str) -> None:
    with pytest.raises(NeedError) as refused:
        triage.refer(fresh(), COUNCIL, ReferralTarget.NGO, name, "why", NOW)
    assert (refused.value.code, refused.value.field) == ("need.referral_name_invalid", "name")
    assert "ឈ្មោះ" in refused.value.message("km")


@pytest.mark.parametrize("decide", ["reject", "refer"])
def test_the_citizen_must_be_told_why(decide: str) -> None:
    with pytest.raises(TransitionError) as refused:
        if decide == "reject":
            triage.reject(fresh(), COUNCIL, "  ", NOW)
        else:
            triage.refer(fresh(), COUNCIL, ReferralTarget.DISTRICT, "Ou Ya Dav district", " ", NOW)
    assert refused.value.code == "need.reason_required"


@pytest.mark.parametrize("caller", [FACILITATOR, OTHER_COUNCIL])
def test_only_the_communes_council_decides(caller: Identity) -> None:
    with pytest.raises(NeedError) as refused:
        triage.reject(fresh(), caller, "not ours", NOW)
    assert refused.value.code == "need.council_only"
    with pytest.raises(NeedError):
        triage.refer(fresh(), caller, ReferralTarget.DISTRICT, "District office", "not ours", NOW)


def test_a_rejected_or_referred_need_cannot_be_decided_again() -> None:
    rejected = triage.reject(fresh(), COUNCIL, "ស្ទួន", NOW)
    assert rejected["status"] == NeedStatus.REJECTED and rejected["status_reason"] == "ស្ទួន"
    with pytest.raises(TransitionError):
        triage.refer(rejected, COUNCIL, ReferralTarget.DISTRICT, "District office", "why", NOW)
    referred = triage.refer(fresh(), COUNCIL, ReferralTarget.NGO, "CARE Cambodia", "water project", NOW)
    with pytest.raises(TransitionError):
        triage.reject(referred, COUNCIL, "why", NOW)
