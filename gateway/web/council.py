"""Council pages for the tablet: needs triage and the inclusion dashboard.

Triage lists the commune's needs with filters (village, sector, group, status); confirming a
need and merging duplicates are GraphQL calls from pwa/static/js/council.js. The dashboard
shows needs and the people behind them (those who raised and those who support them) by group
and village, as server-rendered SVG bars and a table, and says plainly who is missing: e.g.
"no needs from IDPoor households in village X in 2026". Everything is read from intake's API
as the signed-in council member, so intake's own scope checks apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.intake import NeedView
from contracts.local_time import PHNOM_PENH
from contracts.needs import NeedStatus, Sector
from gateway.clients import Caller, ServiceError
from gateway.clients.intake import IntakeClient
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session
from gateway.web import formatting, inclusion_view, outcomes_data
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.needs import (
    GROUP_LABELS,
    SECTOR_ICONS,
    SECTOR_LABELS,
    STATUS_ICONS,
    STATUS_LABELS,
    TYPE_LABELS,
    status_words,
)
from gateway.web.render import gateway_of, render
from services.runtime.identity import COUNCIL_ROLES, OVERSIGHT_ROLES

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 50
YEAR_PAGES = 30  # pages of 100 read to count one year's needs; a commune records hundreds a year
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
GROUP_ICONS = {
    "women": "👩",
    "youth": "🧑",
    "elderly": "👵",
    "disability": "♿",
    "idpoor": "🏚️",
    "indigenous": "🏞️",
    "migrant": "🧳",
}
# The groups as they read inside "no needs from ... in village X".
MISSING_GROUP_LABELS = {
    "women": "women",
    "youth": "young people",
    "elderly": "older people",
    "disability": "people with disabilities",
    "idpoor": "IDPoor households",
    "indigenous": "indigenous people",
    "migrant": "migrant workers",
}


MISSING_SENTENCE_LABELS = {
    "group": "No needs from %(group)s in any village in %(year)s.",
    "village": "No needs at all from village %(village)s in %(year)s.",
    "both": "No needs from %(group)s in village %(village)s in %(year)s.",
}
# Where no need is known to come from a group but some needs do not say: not "missing".
UNKNOWN_SENTENCE_LABELS = {
    "group": "Not known whether %(group)s raised needs in %(year)s: %(n)s needs do not say.",
    "both": "In village %(village)s, not known whether %(group)s raised needs in %(year)s: "
    "%(n)s needs do not say.",
}


REFERRAL_TARGET_LABELS = {
    "district": "The district",
    "line_department": "A line department",
    "ngo": "An NGO",
}
DECIDED_LABELS = {
    "rejected": "Rejected. The citizen is told why.",
    "referred": "Referred. The citizen is told where and why; the district sees it in its list.",
}


def number(value: int, lang: str) -> str:
    """A whole number with thousands separators, as the page's language writes it."""
    return formatting.number(value, lang)


def local_date(stamp: str | datetime, lang: str) -> str:
    """A UTC timestamp as a date and time in Phnom Penh, with Khmer month names and digits."""
    return formatting.local_datetime(stamp, lang)


def _count(value: Any) -> int:
    """Group counts are numbers for the council; "<5" (hidden) only reaches other roles."""
    return int(value) if isinstance(value, int) or str(value).isdigit() else 0


def _refuse(request: Request, session: Session | None, lang: str, status: int, message: str) -> Response:
    title = translate(lang, "Not available")
    return render(request, "error.html", session, status, title=title, message=message)


def _council(request: Request, session: Session, commune: str | None) -> tuple[Session, str, str] | Response:
    """The signed-in council member, their language, and the commune the page is about."""
    lang = page_language(request)
    communes = [c for c in session.account.communes if len(c) == 6]
    if session.account.role in OVERSIGHT_ROLES:
        # Admins above the commune and NGO partners have their own view: aggregates compared.
        return RedirectResponse("/oversight", status_code=303)
    if session.account.role not in COUNCIL_ROLES or not communes:
        return _refuse(
            request, session, lang, 403, translate(lang, "Only the commune's council can see this page.")
        )
    chosen = commune or communes[0]
    if chosen not in communes:
        return _refuse(request, session, lang, 403, translate(lang, "This commune is not one of yours."))
    return session, lang, chosen


def _intake(request: Request, session: Session, lang: str) -> tuple[IntakeClient, Caller]:
    """intake's client, and the council member as it takes them."""
    return gateway_of(request).clients.intake, Caller(session.account.identity(), lang)


async def _places(
    request: Request, session: Session, lang: str, commune: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Links to the member's communes (by name), and the chosen commune's villages (code -> name)."""
    intake, caller = _intake(request, session, lang)
    villages = await intake.villages(caller)
    khmer = lang == "km"
    names = {v.commune_code: v.commune_name_km if khmer else v.commune_name_latin for v in villages}
    links = [
        {"code": code, "name": names.get(code, code), "current": code == commune}
        for code in session.account.communes
        if len(code) == 6
    ]
    return links, {
        v.code: v.name_km if khmer else v.name_latin for v in villages if v.commune_code == commune
    }


def _options(lang: str, labels: dict[Any, str], icons: dict[Any, str] | None = None) -> list[dict[str, str]]:
    return [
        {"value": str(k), "label": ((icons or {}).get(k, "") + " " + translate(lang, v)).strip()}
        for k, v in labels.items()
    ]


@router.get("/council/needs")
async def triage(
    request: Request,
    session: SessionDep,
    commune: str | None = None,
    village: str = "",
    sector: str = "",
    group: str = "",
    status: str = NeedStatus.SUBMITTED.value,
    after: str | None = None,
    decided: str = "",
) -> Response:
    """New needs to confirm, duplicates to merge; filtered by village, sector, group and status.
    Every value is checked against what the lists offer, and refused at its field, in words."""
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    try:
        commune_links, villages = await _places(request, session, lang, commune_code)
    except ServiceError as exc:
        return _refuse(request, session, lang, 503, exc.message)
    errors: dict[str, str] = {}
    if village and village not in villages:
        errors["village"] = translate(lang, "Choose a village of this commune.")
    if sector and sector not in {s.value for s in Sector}:
        errors["sector"] = translate(lang, "Choose a sector from the list.")
    if group and group not in GROUP_LABELS:
        errors["group"] = translate(lang, "Choose a group from the list.")
    if status and status != "all" and status not in {s.value for s in NeedStatus}:
        errors["status"] = translate(lang, "Choose a status from the list.")
    chosen = {"commune": commune_code, "village": village, "sector": sector, "group": group, "status": status}
    needs: list[dict[str, Any]] = []
    total, next_after = 0, None
    if not errors:
        intake, caller = _intake(request, session, lang)
        try:
            page = await intake.needs(
                caller,
                limit=PAGE_SIZE,
                commune=commune_code,
                village=village or None,
                sector=Sector(sector) if sector else None,
                status=NeedStatus(status) if status and status != "all" else None,
                group=group or None,
                after=after if after and len(after) <= 64 else None,
            )
        except ServiceError as exc:
            if exc.status >= 500:
                return _refuse(request, session, lang, 503, exc.message)
            errors[exc.field or "form"] = exc.message
        else:
            needs = [_card(n, villages, lang) for n in page.items]
            total, next_after = page.total, page.next_after
    more = f"/council/needs?{urlencode({**chosen, 'after': next_after})}" if next_after else None
    return render(
        request,
        "council_needs.html",
        session,
        400 if errors else 200,
        commune=commune_code,
        commune_name=next(c["name"] for c in commune_links if c["current"]),
        commune_links=commune_links,
        chosen=chosen,
        errors=errors,
        villages=[{"value": k, "label": v} for k, v in villages.items()],
        sectors=_options(
            lang, {s.value: SECTOR_LABELS[s] for s in Sector}, {s.value: SECTOR_ICONS[s] for s in Sector}
        ),
        groups=_options(lang, GROUP_LABELS, GROUP_ICONS),
        statuses=_options(lang, STATUS_LABELS, STATUS_ICONS),
        referral_targets=_options(lang, REFERRAL_TARGET_LABELS),
        decided=translate(lang, DECIDED_LABELS[decided]) if decided in DECIDED_LABELS else None,
        needs=needs,
        total=number(total, lang),
        more=more,
    )


def _card(need: NeedView, villages: dict[str, str], lang: str) -> dict[str, Any]:
    sector = need.sector
    need_type = TYPE_LABELS.get(sector, {}).get(need.need_type or "") if sector else None
    groups = [
        {"icon": GROUP_ICONS.get(g, ""), "label": translate(lang, GROUP_LABELS.get(g, g)), "count": _count(n)}
        for g, n in need.groups.items()
        if _count(n) > 0
    ]
    open_to_decide = need.status in (NeedStatus.SUBMITTED, NeedStatus.VALIDATED)
    return {
        "id": need.id,
        "tracking_code": need.tracking_code,
        "status": need.status.value,
        "words": status_words(need, lang),
        "description": need.description or translate(lang, "Details are kept private."),
        "village": villages.get(need.village_code, need.village_code),
        "sector": {"icon": SECTOR_ICONS[sector], "label": translate(lang, SECTOR_LABELS[sector])}
        if sector
        else None,
        "need_type": translate(lang, need_type) if need_type else None,
        "people": number(need.people, lang),
        "groups": groups,
        "when": local_date(need.submitted_at, lang),
        "can_confirm": need.status == NeedStatus.SUBMITTED,
        "can_decide": open_to_decide,
        "referral": need.referral,
        "unknown_groups": [
            translate(lang, GROUP_LABELS[g])
            for g in GROUP_LABELS
            if inclusion_view.group_state(need, g) == "unknown"
        ],
        "can_merge": open_to_decide,
    }


@router.get("/council/dashboard")
async def dashboard(
    request: Request,
    session: SessionDep,
    commune: str | None = None,
    year: str = "",
) -> Response:
    """Who raised needs, who supports them, and who is missing, by group and village."""
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    this_year = datetime.now(PHNOM_PENH).year
    chosen_year = (
        int(year) if year.isdigit() and len(year) == 4 and 2000 <= int(year) <= this_year else this_year
    )
    try:
        commune_links, villages = await _places(request, session, lang, commune_code)
        intake, caller = _intake(request, session, lang)
        stats = await intake.stats(caller, commune_code)
        of_year, complete = await _needs_of_year(request, session, lang, commune_code, chosen_year)
        outcome_rows = await outcomes_data.outcome_rows(
            request, session, lang, commune_code, chosen_year, of_year
        )
    except ServiceError as exc:
        return _refuse(request, session, lang, 503, exc.message)
    table = inclusion_view.village_table(of_year, villages)
    total_groups = {g: _count(n) for g, n in stats.total.groups.items()}
    return render(
        request,
        "dashboard.html",
        session,
        commune=commune_code,
        commune_name=next(c["name"] for c in commune_links if c["current"]),
        commune_links=commune_links,
        year=chosen_year,
        year_label=str(chosen_year).translate(KHMER_DIGITS) if lang == "km" else str(chosen_year),
        years=list(range(this_year, this_year - 5, -1)),
        complete=complete,
        missing=_missing(table, villages, chosen_year, lang),
        unknown=_unknown(table, villages, chosen_year, lang),
        outcomes=[
            {**row, "icon": GROUP_ICONS[row["group"]], "label": translate(lang, GROUP_LABELS[row["group"]])}
            for row in outcome_rows
        ],
        table=[{**row, "code": code, "name": villages[code]} for code, row in table.items()],
        group_heads=[
            {"value": g, "icon": GROUP_ICONS[g], "label": translate(lang, GROUP_LABELS[g])}
            for g in GROUP_LABELS
        ],
        year_needs=number(len(of_year), lang),
        year_people=number(sum(n.people for n in of_year), lang),
        all_needs=number(stats.total.needs, lang),
        all_people=number(stats.total.people, lang),
        group_bars=bars(
            [
                (GROUP_ICONS[g], translate(lang, GROUP_LABELS[g]), total_groups.get(g, 0))
                for g in GROUP_LABELS
            ],
            lang,
        ),
        village_bars=bars([("🏘️", villages.get(k, k), c.needs) for k, c in stats.by_village.items()], lang),
        sector_bars=bars([_sector_bar(k, c.needs, lang) for k, c in stats.by_sector.items()], lang),
        status_bars=bars(
            [
                (STATUS_ICONS.get(k, "•"), translate(lang, STATUS_LABELS.get(k, k)), c.needs)
                for k, c in stats.by_status.items()
            ],
            lang,
        ),
    )


def _sector_bar(key: str, needs: int, lang: str) -> tuple[str, str, int]:
    if key in {s.value for s in Sector}:
        sector = Sector(key)
        return SECTOR_ICONS[sector], translate(lang, SECTOR_LABELS[sector]), needs
    return "•", translate(lang, "No sector chosen"), needs


def bars(rows: list[tuple[str, str, int]], lang: str) -> list[dict[str, Any]]:
    """Horizontal bars scaled to the largest value, as SVG widths out of 100."""
    top = max((value for _, _, value in rows), default=0)
    return [
        {
            "icon": icon,
            "label": label,
            "value": number(value, lang),
            "width": round(100 * value / top, 1) if top else 0,
        }
        for icon, label, value in rows
    ]


def _year_of(need: NeedView) -> int:
    return need.submitted_at.astimezone(PHNOM_PENH).year


async def _needs_of_year(
    request: Request, session: Session, lang: str, commune: str, year: int
) -> tuple[list[NeedView], bool]:
    """The commune's needs recorded in a year (Phnom Penh time), newest first; merged ones left out
    (their people moved to the need they joined). False when the year had more than we read."""
    intake, caller = _intake(request, session, lang)
    found: list[NeedView] = []
    after: str | None = None
    for _ in range(YEAR_PAGES):
        page = await intake.needs(caller, commune=commune, limit=100, after=after)
        items = page.items
        found += [n for n in items if _year_of(n) == year and n.status != NeedStatus.MERGED]
        if page.next_after is None or (items and _year_of(items[-1]) < year):
            return found, True
        after = page.next_after
    return found, False


def _missing(
    table: dict[str, dict[str, Any]], villages: dict[str, str], year: int, lang: str
) -> list[dict[str, str]]:
    """Plain sentences about who raised no need in the year (inclusion_view.missing: never where
    a need does not say). Each names the village and group it is about ("" for all of them)."""
    shown = str(year).translate(KHMER_DIGITS) if lang == "km" else str(year)

    def line(village: str, group: str) -> dict[str, str]:
        sentence = "both" if village and group else ("village" if village else "group")
        words = translate(lang, MISSING_GROUP_LABELS[group]) if group else ""
        text = translate(
            lang,
            MISSING_SENTENCE_LABELS[sentence],
            group=words,
            village=villages.get(village, ""),
            year=shown,
        )
        return {"village": village, "group": group, "text": text}

    return [line(village, group) for village, group in inclusion_view.missing(table)]


def _unknown(
    table: dict[str, dict[str, Any]], villages: dict[str, str], year: int, lang: str
) -> list[dict[str, str]]:
    """Sentences about what is not known: a group no need is known to come from, where some do not say."""
    shown = str(year).translate(KHMER_DIGITS) if lang == "km" else str(year)
    return [
        {
            "village": village,
            "group": group,
            "text": translate(
                lang,
                UNKNOWN_SENTENCE_LABELS["both" if village else "group"],
                group=translate(lang, MISSING_GROUP_LABELS[group]),
                village=villages.get(village, ""),
                year=shown,
                n=number(n, lang),
            ),
        }
        for village, group, n in inclusion_view.not_known(table)
    ]
