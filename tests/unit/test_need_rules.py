"""The rules for recording a need and for tracking codes: pure, no I/O."""

from __future__ import annotations

import pytest

from contracts.needs import Sector
from services.intake.domain import NeedError, SubmitNeed, Village, validate_submission
from services.intake.tracking import ALPHABET, InvalidTrackingCode, new_tracking_code, normalise_tracking_code
from services.runtime.identity import Identity, Role

MALIK = Village("16010101", "160101", "ម៉ាលិក", "Malik")
FACILITATOR = Identity("f1", Role.FACILITATOR, ("160101",))


def _command(description: str = "ផ្លូវលំខូច", village: str = "16010101") -> SubmitNeed:
    return SubmitNeed(village, description, Sector.ECONOMIC, "key-12345678")


def test_a_valid_need_is_accepted_with_its_text_trimmed() -> None:
    assert validate_submission(_command("  ផ្លូវលំខូច \n"), MALIK, FACILITATOR) == "ផ្លូវលំខូច"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_description_is_refused(text: str) -> None:
    with pytest.raises(NeedError) as refused:
        validate_submission(_command(text), MALIK, FACILITATOR)
    assert refused.value.code == "need.description_empty"
    assert refused.value.field == "description"
    assert refused.value.message("km") == "សូមរៀបរាប់អំពីតម្រូវការ។"


def test_two_thousand_khmer_characters_are_accepted_and_one_more_is_refused() -> None:
    assert len(validate_submission(_command("ក" * 2000), MALIK, FACILITATOR)) == 2000
    with pytest.raises(NeedError) as refused:
        validate_submission(_command("ក" * 2001), MALIK, FACILITATOR)
    assert refused.value.code == "need.description_too_long"
    assert "2001" in refused.value.message("en")


def test_an_unknown_village_is_refused() -> None:
    with pytest.raises(NeedError) as refused:
        validate_submission(_command(village="99999999"), None, FACILITATOR)
    assert refused.value.code == "need.village_unknown"
    assert "99999999" in refused.value.message("en")


def test_a_village_retired_from_the_gazetteer_is_refused_for_new_needs() -> None:
    retired = Village("16010104", "160101", "លោម", "Loum", retired=True)
    with pytest.raises(NeedError) as refused:
        validate_submission(_command(village="16010104"), retired, FACILITATOR)
    assert (refused.value.code, refused.value.field) == ("need.village_retired", "villageCode")
    assert "16010104" in refused.value.message("en") and "16010104" in refused.value.message("km")
    assert "លែងមាន" in refused.value.message("km")


def test_a_village_outside_the_callers_communes_is_refused_with_403() -> None:
    other = Identity("f2", Role.FACILITATOR, ("210103",))
    with pytest.raises(NeedError) as refused:
        validate_submission(_command(), MALIK, other)
    assert refused.value.code == "need.village_out_of_scope"
    assert refused.value.status == 403


def test_a_province_admin_covers_every_commune_of_the_province() -> None:
    assert Identity("a", Role.PROVINCE_ADMIN, ("16",)).covers("160101")
    assert not Identity("a", Role.PROVINCE_ADMIN, ("16",)).covers("210103")


def test_an_integrator_cannot_record_needs() -> None:
    with pytest.raises(NeedError) as refused:
        validate_submission(_command(), MALIK, Identity("i", Role.INTEGRATOR, ("160101",)))
    assert refused.value.code == "need.not_allowed"


def test_tracking_codes_use_no_ambiguous_characters_and_validate() -> None:
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) > 1990  # 32^6 bodies: collisions are rare, and the store re-draws them
    for code in codes:
        assert len(code) == 8 and code[4] == "-"
        assert not set(code.replace("-", "")) & set("01OI")
        assert set(code.replace("-", "")) <= set(ALPHABET)
        assert normalise_tracking_code(code) == code


def test_a_tracking_code_is_read_as_people_type_it() -> None:
    code = new_tracking_code()
    assert normalise_tracking_code(f"  {code.lower().replace('-', ' ')} ") == code


def test_every_single_character_typo_in_a_tracking_code_is_caught() -> None:
    code = new_tracking_code().replace("-", "")
    for position in range(len(code)):
        for replacement in ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidTrackingCode):
                normalise_tracking_code(typo)


@pytest.mark.parametrize("raw", ["", "ABC", "ABCD-EFGH", "0BCD-EFG", "ABCD-EF!", "កខគឃ-ងចឆ"])
def test_malformed_tracking_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidTrackingCode) as refused:
        normalise_tracking_code(raw)
    assert refused.value.code == "need.tracking_code_invalid"
