"""A project's expected month as people write it. Pure.

A month is ``YYYY-MM`` (an ``<input type=month>`` sends that), read with Khmer digits too
(``២០២៧-០៦``) and kept in ASCII digits. It is a real month, and never before the project's
CIP year: a 2027 project cannot be expected in 2026.
"""

from __future__ import annotations

import re

from services.budget.rules import BudgetError

KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
MONTH_INPUT = re.compile(r"([0-9]{4})\s*[-/.]\s*([0-9]{1,2})")
INPUT_MAX = 40
LATEST_YEAR = 2100


def expected_month(raw: object, year: int) -> str | None:
    """``raw`` as ``YYYY-MM`` (ASCII), None when empty; refused with a stable code otherwise."""
    if raw is None:
        return None
    text = str(raw).strip().translate(KHMER_DIGITS)
    if not text:
        return None
    found = MONTH_INPUT.fullmatch(text) if len(text) <= INPUT_MAX else None
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) > LATEST_YEAR:
        raise BudgetError(
            "budget.expected_month_invalid",
            "“{value}” is not a month: write the year and the month, e.g. 2027-06.",
            "«{value}» មិនមែនជាខែទេ៖ សូមសរសេរឆ្នាំ និងខែ ឧទាហរណ៍ ២០២៧-០៦។",
            field="expectedMonth",
            value=str(raw)[:INPUT_MAX],
        )
    month = f"{int(found[1]):04d}-{int(found[2]):02d}"
    if int(found[1]) < year:
        raise BudgetError(
            "budget.expected_month_before_year",
            "The expected month {month} is before the project's CIP year {year}.",
            "ខែរំពឹងទុក {month} នៅមុនឆ្នាំកម្មវិធីវិនិយោគឃុំ {year} របស់គម្រោង។",
            field="expectedMonth",
            month=month,
            year=year,
        )
    return month
