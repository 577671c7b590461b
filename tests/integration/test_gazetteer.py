"""The gazetteer importer reads the real national data (../shared/data/gazetteer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.gazetteer import GazetteerError, import_gazetteer
from services.intake.store import COLLECTIONS, get_village
from services.runtime.stores.sqlite import SqliteStore
from tests.conftest import SHARED_DATA


async def test_all_14578_villages_of_the_national_gazetteer_are_imported(tmp_path: Path) -> None:
    folder = SHARED_DATA / "gazetteer"
    assert folder.is_dir(), f"the shared data set is missing at {folder}"
    store = SqliteStore(str(tmp_path / "intake.db"), COLLECTIONS)
    await store.open()
    try:
        result = await import_gazetteer(store, folder)
        assert (result.communes, result.villages, result.skipped) == (1652, 14578, False)
        assert await store.count("villages", {}) == 14578
        village = await get_village(store, "16010102")
        assert village is not None
        assert (village.commune_code, village.name_km, village.name_latin) == (
            "160101",
            "កាតែ",
            "Katae",
        )
        assert await get_village(store, "99999999") is None
        again = await import_gazetteer(store, folder)
        assert again.skipped
    finally:
        await store.close()


async def test_a_gazetteer_with_unpadded_codes_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "gz"
    folder.mkdir()
    (folder / "communes.yml").write_text(
        "communes:\n  160101:\n    name: {km: ម៉ាលិក, latin: Malik}\n", encoding="utf-8"
    )
    (folder / "villages.yml").write_text("villages: {}\n", encoding="utf-8")
    store = SqliteStore(str(tmp_path / "intake.db"), COLLECTIONS)
    await store.open()
    try:
        with pytest.raises(GazetteerError, match="not 6 digits as a string"):
            await import_gazetteer(store, folder)
        assert await store.count("communes", {}) == 0
    finally:
        await store.close()
