"""Money in GraphQL, and the budget vocabulary (enums).

Money is the ``Riel`` scalar: whole riel as a string of digits. GraphQL's ``Int`` is 32-bit
(at most 2,147,483,647) and a commune's yearly budget is often more, so an ``Int`` would
overflow.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, NewType

import strawberry
from graphql import GraphQLError

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectDecision, ProjectStatus

RIEL_DESCRIPTION = (
    'Whole riel, as a string of decimal digits, e.g. "12500000000" (a leading minus appears only on '
    "reversing ledger entries). A string because GraphQL's Int is 32-bit (at most 2,147,483,647) and "
    "commune budgets exceed it; read it with a big-integer or decimal type. Inputs take the same string "
    "(thousands separators, the ៛ sign and Khmer digits are tolerated) or a JSON integer; a fraction is "
    "refused with the code budget.amount_not_whole, a negative amount with budget.amount_negative."
)


def _serialize_riel(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Riel must be an int, got {type(value).__name__}")
    return str(value)


def _parse_riel(value: object) -> object:
    """Only the shape is checked here; the budget service reads the amount and gives each
    refusal (fraction, negative, too large) its stable code in the caller's language."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphQLError(
            'Riel is whole riel as a string of digits, e.g. "1500000". / '
            'រៀលត្រូវសរសេរជាលេខគត់ ឧទាហរណ៍ "1500000"។',
            extensions={"code": "budget.amount_invalid"},
        )
    return value


if TYPE_CHECKING:
    Riel = int
else:
    # Strawberry prefers StrawberryConfig.scalar_map, which the schema root does not take yet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        Riel = strawberry.scalar(
            NewType("Riel", int),
            name="Riel",
            description=RIEL_DESCRIPTION,
            serialize=_serialize_riel,
            parse_value=_parse_riel,
        )

strawberry.enum(BudgetLineKind, description="A line of a commune's budget (where its money comes from).")
strawberry.enum(ExpenditureStage, description="Committed (money promised) or paid (money out).")
strawberry.enum(
    ProjectStatus, description="Where a CIP project stands, decided by its money and the council."
)
strawberry.enum(ProjectDecision, description="What the council decides for a project it cannot fund now.")
