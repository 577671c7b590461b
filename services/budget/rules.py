"""Checks every budget command shares: who may act, and what text and dates look like. Pure."""

from __future__ import annotations

from datetime import date

from services.runtime.errors import DomainError
from services.runtime.identity import COUNCIL_ROLES, Identity

REASON_MAX = 2000
TITLE_MAX = 200
PAYEE_MAX = 200
REFERENCE_MAX = 100


class BudgetError(DomainError):
    """A budget rule said no. Nothing was changed."""


def require_manager(who: Identity, commune_code: str) -> None:
    """Only the commune's own council (members, clerk, CCWC focal point) changes its budget."""
    if who.role not in COUNCIL_ROLES:
        raise BudgetError(
            "budget.not_allowed",
            "Only the commune council can change its budget.",
            "មានតែក្រុមប្រឹក្សាឃុំទេ ដែលអាចកែប្រែថវិការបស់ឃុំបាន។",
            status=403,
        )
    require_scope(who, commune_code)


def require_scope(who: Identity, commune_code: str) -> None:
    if not who.covers(commune_code):
        raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)


def reason_text(raw: str | None, field: str = "reason") -> str:
    """A reason is required wherever money moves against a plan: people will be told it."""
    text = (raw or "").strip()
    if not text:
        raise BudgetError(
            "budget.reason_required",
            "Please give a reason. The people affected will be told it.",
            "សូមផ្តល់មូលហេតុ។ អ្នកដែលរងផលប៉ះពាល់នឹងត្រូវបានប្រាប់អំពីវា។",
            field=field,
        )
    return limited(text, REASON_MAX, field)


# How a required field is named in a message, in English and Khmer.
FIELD_LABELS = {
    "title": ("the project title", "ចំណងជើងគម្រោង"),
    "payee": ("who is paid", "អ្នកទទួលប្រាក់"),
    "reference": ("the reference (contract or receipt number)", "លេខយោង (លេខកិច្ចសន្យា ឬបង្កាន់ដៃ)"),
}


def required_text(raw: str | None, field: str, limit: int) -> str:
    text = (raw or "").strip()
    if not text:
        en, km = FIELD_LABELS.get(field, (field, field))
        raise BudgetError(
            "budget.field_required",
            "Please fill in {label_en}.",
            "សូមបំពេញ{label_km}។",
            field=field,
            label_en=en,
            label_km=km,
        )
    return limited(text, limit, field)


def optional_text(raw: str | None, field: str, limit: int) -> str | None:
    text = (raw or "").strip()
    return limited(text, limit, field) if text else None


def limited(text: str, limit: int, field: str) -> str:
    if len(text) > limit:
        raise BudgetError(
            "budget.text_too_long",
            "Too long: {length} characters, at most {limit}.",
            "វែងពេក៖ {length} តួអក្សរ យ៉ាងច្រើនបំផុត {limit}។",
            field=field,
            length=len(text),
            limit=limit,
        )
    return text


def within_year(day: date, year: int, field: str) -> date:
    """The fiscal year runs January to December: money of one year is spent in that year."""
    if day.year != year:
        raise BudgetError(
            "budget.date_outside_year",
            "The date {day} is outside the fiscal year {year} (January to December).",
            "កាលបរិច្ឆេទ {day} នៅក្រៅឆ្នាំសារពើពន្ធ {year} (មករា ដល់ ធ្នូ)។",
            field=field,
            day=day.isoformat(),
            year=year,
        )
    return day
