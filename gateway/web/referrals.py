"""Triage decisions from the council's needs page (reject, refer) and the district's list of the
referrals it received, for the admins of the district, its province or the nation.

Both go through intake as the signed-in person, so intake's rules and scope checks apply: only
the commune's council decides; only admins covering the district read its list.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.intake import ReferIn, ReferredNeed
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language, translate
from gateway.web import formatting
from gateway.web.council import REFERRAL_TARGET_LABELS, _council, _refuse
from gateway.web.guards import CsrfDep, PageRoute, SessionDep
from gateway.web.needs import SECTOR_ICONS, SECTOR_LABELS
from gateway.web.render import gateway_of, render
from services.runtime.identity import Role

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Accounts that read a district's referrals. Intake checks the scope itself.
REFERRAL_READERS = frozenset({Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN})


@router.post("/council/needs/{need_id}/decide")
async def decide(
    request: Request,
    session: CsrfDep,
    need_id: str,
    commune: Annotated[str, Form(max_length=6)],
    action: Annotated[str, Form(pattern=r"^(reject|refer)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    target: Annotated[str, Form(max_length=40)] = "district",
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Reject with a reason, or refer to a named authority; the citizen is told either way."""
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    try:
        intake = gateway_of(request).clients.intake
        caller = Caller(session.account.identity(), lang)
        if action == "refer":
            # As typed: intake refuses an unknown target or an empty name, in words.
            referral: dict[str, Any] = {"target": target, "name": name, "reason": reason}
            await intake.refer_need(caller, need_id, ReferIn.model_construct(**referral))
        else:
            await intake.reject_need(caller, need_id, reason)
    except ServiceError as exc:
        return _refuse(request, session, lang, 422 if exc.status < 500 else 503, exc.message)
    done = "rejected" if action == "reject" else "referred"
    query = urlencode({"commune": commune_code, "status": "all", "decided": done})
    return RedirectResponse(f"/council/needs?{query}", status_code=303)


@router.get("/district/referrals")
async def district_referrals(request: Request, session: SessionDep, district: str = "") -> Response:
    """Needs the district's communes referred: what the District Integration Workshop takes up."""
    lang = page_language(request)
    account = session.account
    if account.role not in REFERRAL_READERS:
        message = translate(lang, "Only district, province and national admins can see this page.")
        return _refuse(request, session, lang, 403, message)
    districts = [c for c in account.communes if len(c) == 4]
    chosen = district or (districts[0] if districts else "")
    if not (len(chosen) == 4 and chosen.isdigit()):
        return render(
            request, "district_referrals.html", session, district="", referrals=[], total=0, error=None
        )
    try:
        page = await gateway_of(request).clients.intake.referrals(
            Caller(account.identity(), lang), chosen, 100
        )
    except ServiceError as exc:
        status = exc.status if exc.status in (400, 403, 422) else 503
        return render(
            request,
            "district_referrals.html",
            session,
            status,
            district=chosen,
            referrals=[],
            total=0,
            error=exc.message,
        )
    referrals = [_referral_card(r, lang) for r in page.items]
    return render(
        request,
        "district_referrals.html",
        session,
        district=chosen,
        referrals=referrals,
        total=page.total,
        error=None,
    )


def _referral_card(referred: ReferredNeed, lang: str) -> dict[str, Any]:
    """A referral as the district's page shows it, in words."""
    sector = referred.sector
    return {
        "tracking_code": referred.tracking_code,
        "commune_code": referred.commune_code,
        "village_code": referred.village_code,
        "people": referred.people,
        "target": referred.target.value,
        "name": referred.name,
        "reason": referred.reason,
        "target_label": translate(lang, REFERRAL_TARGET_LABELS.get(referred.target, referred.target)),
        "sector_label": SECTOR_ICONS[sector] + " " + translate(lang, SECTOR_LABELS[sector]) if sector else "",
        "when": formatting.local_datetime(referred.at, lang),
        "description": referred.description or translate(lang, "Details are kept private."),
    }
