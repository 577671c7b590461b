"""When the council expects a project delivered: set or clear its expected month. Pure.

Optional: a project without one is expected within its CIP year, and messages say the year.
The month is read by :mod:`services.budget.months`.
"""

from __future__ import annotations

import copy

from contracts.budget import PROJECT_EXPECTED_MONTH_SET, ProjectExpectedMonthSetV1
from services.budget.model import Act, Budget, Emitted, Outcome
from services.budget.months import expected_month
from services.budget.projects import require_project
from services.budget.rules import require_manager


def set_expected_month(budget: Budget, act: Act, project_id: str, raw: object) -> Outcome:
    """Set (or clear, with an empty value) the month the council expects the project delivered."""
    require_manager(act.who, budget.commune_code)
    project = require_project(budget, project_id)
    month = expected_month(raw, budget.year)
    if month == project.expected_month:
        return Outcome(budget, result=project_id, changed=False)
    after = copy.deepcopy(budget)
    changed = after.projects[project_id]
    changed.expected_month = month
    event = ProjectExpectedMonthSetV1(
        project_id=project_id,
        commune_code=after.commune_code,
        year=after.year,
        title=changed.title,
        need_ids=list(changed.need_ids),
        previous=project.expected_month,
        expected_month=month,
        set_by=act.who.user_id,
        set_at=act.now,
    )
    return Outcome(after, result=project_id, events=[Emitted(PROJECT_EXPECTED_MONTH_SET, event, project_id)])
