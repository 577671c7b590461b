"""The budget's GraphQL surface: the names integrators rely on, and money as the Riel scalar."""

from __future__ import annotations

import pytest

from gateway.graphql import build_schema, sdl
from gateway.graphql.budget.riel import RIEL_DESCRIPTION, _parse_riel, _serialize_riel


def test_the_schema_has_the_budget_operations_integrators_rely_on() -> None:
    text = sdl()
    for operation in (
        "setBudgetLine(input: SetBudgetLineInput!): BudgetLine!",
        "reviseBudgetLine(input: ReviseBudgetLineInput!): BudgetRevision!",
        "createProject(input: CreateProjectInput!): Project!",
        "allocate(input: AllocateInput!): Allocation!",
        "releaseAllocation(input: ReleaseAllocationInput!): Allocation!",
        "recordExpenditure(input: RecordExpenditureInput!): LedgerEntry!",
        "budget(communeCode: String!, year: Int!): Budget!",
        "project(id: ID!): Project",
        "transparency(communeCode: String!, year: Int!): Transparency!",
    ):
        assert operation in text, operation


def test_money_is_a_riel_scalar_that_says_why_it_is_a_string() -> None:
    text = sdl()
    assert "scalar Riel" in text
    assert "32-bit" in RIEL_DESCRIPTION and "string of decimal digits" in RIEL_DESCRIPTION
    assert "amount: Riel!" in text


def test_riel_beyond_32_bits_serialises_exactly_as_digits() -> None:
    assert _serialize_riel(12_500_000_000) == "12500000000"
    assert _serialize_riel(-2_000) == "-2000"
    with pytest.raises(TypeError):
        _serialize_riel(1.5)


def test_riel_inputs_pass_their_text_on_for_the_service_to_judge() -> None:
    assert _parse_riel("1,500,000") == "1,500,000"
    assert _parse_riel(2_147_483_648) == 2_147_483_648
    assert (
        _parse_riel(1.5) == 1.5
    )  # refused by the service with budget.amount_not_whole, in the caller's language


async def test_a_riel_that_is_not_a_number_at_all_is_refused_before_any_call() -> None:
    result = await build_schema().execute(
        "mutation($i: SetBudgetLineInput!) { setBudgetLine(input: $i) { amount } }",
        variable_values={"i": {"communeCode": "160101", "year": 2026, "kind": "CCWC", "amount": [1]}},
    )
    assert result.errors is not None
    [error] = result.errors
    assert (error.extensions or {}).get("code") == "budget.amount_invalid"
    assert "ជាលេខគត់" in error.message  # Khmer beside the English
