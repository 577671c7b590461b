"""intake's contract holds on both sides: what intake's own views make of stored needs and drafts
reads into contracts/api/intake, and every call IntakeClient makes reaches a route of intake that
answers with a model of contracts/api/intake (so its OpenAPI says what the gateway reads)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, get_args

import orjson
import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from contracts.api.intake import (
    ConfirmIn,
    Draft,
    FeedbackIn,
    MergeIn,
    NeedCreate,
    NeedView,
    PersonIn,
    PopulationsIn,
    PublicNeed,
    ReferIn,
    ReferredNeed,
)
from contracts.inclusion import ConsentMethod, Sex
from contracts.needs import ContactChannel, ContactPoint, NeedStatus, ReferralTarget, Sector
from gateway.clients import Caller
from gateway.clients.intake import IntakeClient
from services.intake import domain, triage
from services.intake.app import create_app
from services.intake.domain import SubmitNeed, Village, new_need
from services.intake.drafts import draft_view
from services.intake.inclusion import Attributes, Consent, make_person
from services.intake.referrals import referral_view
from services.intake.views import need_view, public_view
from services.runtime.identity import Identity, Role

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MALIK = Village("16010101", "160101", "ម៉ាលិក", "Malik")
FACILITATOR = Identity("f1", Role.FACILITATOR, ("160101",))
COUNCIL = Identity("c1", Role.COUNCIL_MEMBER, ("160101",))
DISTRICT = Identity("d1", Role.DISTRICT_ADMIN, ("1601",))


def _json(answer: dict[str, Any]) -> bytes:
    """An answer as intake sends it (its stored counts may be keyed by the Group enum)."""
    return orjson.dumps(answer, option=orjson.OPT_NON_STR_KEYS)


def stored_need() -> dict[str, Any]:
    """A need as intake keeps it after a life: raised with consent, supported, validated, referred."""
    raiser = make_person(
        kind="person",
        name="សុខា",
        attributes=Attributes(sex=Sex.FEMALE, idpoor_level=1),
        consent=Consent(ConsentMethod.VERBAL, "f1", NOW),
        contact=ContactPoint(channel=ContactChannel.SMS, address="+85512345678"),
        people=None,
        group_counts=None,
        prefix="raisedBy",
    )
    command = SubmitNeed(
        "16010101", "ស្ពានឆ្លងទន្លេ", Sector.ECONOMIC, "key-12345678", need_type="bridge", raised_by=raiser
    )
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
    group = make_person(
        kind="group",
        name=None,
        attributes=None,
        consent=None,
        contact=None,
        people=12,
        group_counts={"women": 7, "migrant": 2},
        prefix="supporter",
    )
    doc = domain.support({**doc, "version": 1}, group, FACILITATOR, NOW)
    doc = domain.validate(doc, COUNCIL, "seen", NOW)
    return triage.refer(doc, COUNCIL, ReferralTarget.DISTRICT, "District office", "too big", NOW)


@pytest.mark.parametrize("caller", [COUNCIL, FACILITATOR, DISTRICT], ids=["council", "recorder", "other"])
def test_a_need_as_intake_shows_it_reads_into_need_view(caller: Identity) -> None:
    doc = stored_need()
    view = NeedView.model_validate_json(_json(need_view(doc, caller)))
    assert view.status is NeedStatus.REFERRED and view.referral is not None
    assert view.referral.target is ReferralTarget.DISTRICT
    assert [step.to for step in view.history] == [
        NeedStatus.SUBMITTED,
        NeedStatus.VALIDATED,
        NeedStatus.REFERRED,
    ]
    assert view.history[1].from_ is NeedStatus.SUBMITTED
    assert view.people == 13 and view.submitted_at == NOW
    if caller is COUNCIL:
        assert view.raised_by is not None and view.supporters is not None
        assert (
            view.raised_by[0].consent is not None and view.raised_by[0].consent.method is ConsentMethod.VERBAL
        )
        assert view.raised_by[0].attributes is not None and view.raised_by[0].attributes.sex is Sex.FEMALE
        assert view.supporters[0].groups == {"women": 7, "migrant": 2}
    else:
        assert view.raised_by is None and view.groups["migrant"] == "<5"


def test_the_public_view_a_referral_and_a_draft_read_into_their_models() -> None:
    doc = stored_need()
    public = PublicNeed.model_validate_json(_json(public_view(doc)))
    assert public.tracking_code == "ABCD-EFG" and public.people == 13
    referred = ReferredNeed.model_validate_json(_json(referral_view(doc)))
    assert referred.district_code == "1601" and referred.name == "District office"
    draft = {
        "id": "d1",
        "message_id": "m1",
        "commune_code": "160101",
        "channel": "telegram",
        "sender": {"channel": "telegram", "address": "123456789", "language": "km"},
        "text": "voice note",
        "audio": {"audio_id": "a1", "mime_type": "audio/ogg", "size_bytes": 100, "duration_seconds": 4},
        "received_at": NOW.isoformat(),
        "status": "open",
        "need_id": None,
        "closed_by": None,
        "reason": None,
        "version": 1,
    }
    shown = Draft.model_validate_json(_json(draft_view(draft, FACILITATOR)))
    assert shown.sender.address == "••••••789" and shown.audio is not None


def test_a_view_missing_what_the_model_requires_is_refused() -> None:
    """The check above can fail: an answer without ``collected_by`` is not a NeedView."""
    view = need_view(stored_need(), COUNCIL)
    del view["collected_by"]
    with pytest.raises(ValueError, match="collected_by"):
        NeedView.model_validate_json(_json(view))


class _Recorder:
    """A transport that notes each call and answers nothing (the client stops at parsing)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def exchange(self, method: str, path: str, identity: Identity, **_: Any) -> tuple[int, bytes]:
        self.calls.append((method, path))
        raise _Stop


class _Stop(Exception):
    pass


def _api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute]:
    """The app's routes, through the routers it includes (intake includes them unprefixed)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += _api_routes(included.routes)
    return found


CALLER = Caller(COUNCIL, "en")
PERSON = PersonIn.model_construct(kind="person")
CALLS: list[Callable[[IntakeClient], Awaitable[object]]] = [
    lambda c: c.submit_need(CALLER, NeedCreate.model_construct(village_code="16010101")),
    lambda c: c.need(CALLER, "n1"),
    lambda c: c.needs(CALLER, limit=10, commune="160101"),
    lambda c: c.track(CALLER, "ABCD-EFG"),
    lambda c: c.reserve_codes(CALLER, 3),
    lambda c: c.validate_need(CALLER, "n1", None),
    lambda c: c.support_need(CALLER, "n1", PERSON),
    lambda c: c.merge_needs(CALLER, MergeIn.model_construct(survivor_id="n1", merged_id="n2")),
    lambda c: c.record_feedback(CALLER, FeedbackIn.model_construct(code="ABCD-EFG", satisfied=True)),
    lambda c: c.stats(CALLER, "160101"),
    lambda c: c.reject_need(CALLER, "n1", "no"),
    lambda c: c.refer_need(CALLER, "n1", ReferIn.model_construct(target="district", name="x", reason="y")),
    lambda c: c.referrals(CALLER, "1601", 50),
    lambda c: c.drafts(CALLER, "160101"),
    lambda c: c.confirm_draft(CALLER, "d1", ConfirmIn.model_construct(village_code="16010101")),
    lambda c: c.dismiss_draft(CALLER, "d1", "spam"),
    lambda c: c.villages(CALLER),
    lambda c: c.villages_by_code(CALLER, ["16010101"]),
    lambda c: c.communes(CALLER),
    lambda c: c.places(CALLER, parent="16"),
    lambda c: c.gazetteer(CALLER),
    lambda c: c.populations(CALLER, "160101"),
    lambda c: c.record_populations(CALLER, "160101", PopulationsIn.model_construct(rows=[])),
    lambda c: c.erase_person(CALLER, {"name": "x", "tracking_codes": ["ABCD-EFG"]}),
]


async def test_every_call_of_the_client_reaches_a_route_answering_a_contract_model() -> None:
    recorder = _Recorder()
    client = IntakeClient(recorder)  # type: ignore[arg-type]
    for call in CALLS:
        with pytest.raises(_Stop):
            await call(client)
    routes = _api_routes(create_app().routes)
    assert len(recorder.calls) == len(CALLS)
    for method, path in recorder.calls:
        scope = {"type": "http", "method": method, "path": path}
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
        assert route is not None, f"intake has no route for {method} {path}"
        model = route.response_model
        named = get_args(model)[0] if get_args(model) else model
        assert named.__module__.startswith("contracts.api.intake."), f"{method} {path} answers {model}"
