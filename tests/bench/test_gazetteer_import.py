"""Benchmark: intake's gazetteer import at start (SQLite). Prints the first, full import of
the country, a second start (unchanged: skipped on the digest), and a newer release that drops
one village in a hundred (retired), against reading and checking the package alone measured in
the same run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.intake.gazetteer import import_gazetteer, import_package
from services.intake.gazetteer_data import build, read_package
from services.intake.store import COLLECTIONS
from services.runtime.stores.sqlite import SqliteStore

pytestmark = pytest.mark.bench


async def test_gazetteer_import_first_start_second_start_and_a_newer_release(tmp_path: Path) -> None:
    began = time.perf_counter()
    gazetteer = read_package()
    parse = time.perf_counter() - began

    store = SqliteStore(str(tmp_path / "intake.db"), COLLECTIONS)
    await store.open()
    try:
        began = time.perf_counter()
        first = await import_package(store)
        full = time.perf_counter() - began

        began = time.perf_counter()
        second = await import_package(store)
        unchanged = time.perf_counter() - began

        villages = list(gazetteer.places["village"].values())
        newer = build(
            "bench newer",
            gazetteer.data_year,
            list(gazetteer.places["province"].values()),
            list(gazetteer.places["district"].values()),
            list(gazetteer.places["commune"].values()),
            [v for i, v in enumerate(villages) if i % 100],
        )
        began = time.perf_counter()
        changed = await import_gazetteer(store, newer)
        retire = time.perf_counter() - began
    finally:
        await store.close()

    print(
        f"\n== gazetteer import ({first.counts['village']} villages, {first.counts['commune']} communes) ==\n"
        f"  read and check the package (baseline)      {parse * 1000:8.1f} ms\n"
        f"  first start: full import                   {full * 1000:8.1f} ms   ratio {full / parse:.1f}x\n"
        f"  second start: unchanged, skipped           {unchanged * 1000:8.1f} ms   ratio {unchanged / parse:.2f}x\n"
        f"  newer release, {changed.retired['village']} villages retired       "
        f"{retire * 1000:8.1f} ms   ratio {retire / parse:.1f}x"
    )
    assert (first.skipped, second.skipped, changed.skipped) == (False, True, False)
    assert changed.retired["village"] == len(villages) - len(newer.places["village"]) > 0
