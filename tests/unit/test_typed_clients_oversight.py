"""Oversight's contract holds on both sides: the view its route builds from tallies (with the
small counts of sensitive groups hidden as "<5") is contracts/api/oversight.py's OversightView;
as JSON it parses through the gateway's OversightClient into GraphQL's figures and the CSV; and
the one endpoint the client calls declares that model."""

from __future__ import annotations

import contextlib
import csv
import inspect
import io
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from contracts.needs import NeedStatus
from contracts.privacy import SUPPRESSED
from gateway.clients import Caller, ServiceClient
from gateway.clients.oversight import OversightClient
from gateway.graphql.oversight import figures
from gateway.oversight import csv_of, named_view
from services.oversight import api
from services.oversight.app import create_app
from services.oversight.domain import check_contribution, meeting_contribution, need_contribution
from services.oversight.store import COLLECTIONS, shift
from services.runtime.identity import Identity, Role
from services.runtime.stores import Store
from services.runtime.stores.sqlite import SqliteStore
from tests.support.typed_wire import Transport, route_for

YEAR = 2026
PROVINCE = Identity("sokha", Role.PROVINCE_ADMIN, ("16",))
NAMES = {"1601": "Ka Hal district", "160101": "Ka Chanh", "160102": "Laom"}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SqliteStore(str(tmp_path / "oversight.db"), COLLECTIONS)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def _seed(store: Store) -> None:
    """Two communes' tallies, as oversight's consumers keep them."""
    funded = need_contribution({"status": "funded", "sector": "economic", "groups": ["women", "migrant"]})
    unknown = need_contribution({"status": "submitted", "groups": None})
    meeting = meeting_contribution(
        {
            "announced_at": "2026-03-01T02:00:00+00:00",
            "starts_at": "2026-03-10T02:00:00+00:00",
            "type": "isaf_interface",
            "attendance": {"total": 40, "women": 22, "migrant": 6},
        }
    )
    check = check_contribution(
        {"scores": [{"participants": 3, "group": "women", "built": 4, "works": 5, "used": 3}]}
    )
    async with store.transaction() as tx:
        await shift(tx, None, ("160101", YEAR, funded + meeting + check))
        await shift(tx, None, ("160102", YEAR, unknown + funded + funded))


async def test_the_view_oversight_builds_reaches_graphql_and_the_csv(store: Store) -> None:
    await _seed(store)
    served = await api.view(PROVINCE, SimpleNamespace(store=store), "1601", YEAR, None, ["160103"])
    wire = Transport()
    wire.answer("GET", "/views", served)
    client = OversightClient(cast(ServiceClient, wire))

    view = await client.view(Caller(PROVINCE, "en"), unit="1601", year=YEAR, places=["160103"])
    assert wire.sent == [("GET", "/views", {"unit": "1601", "year": YEAR, "places": ["160103"]}, None)]
    assert [r.code for r in view.rows] == ["160101", "160102", "160103"]  # silent places as zeros
    first = view.rows[0]
    assert first.needs.by_status[NeedStatus.FUNDED] == 1 and first.meetings.held_with_notice == 1
    assert first.needs.by_group["migrant"] == SUPPRESSED and first.meetings.attendance["migrant"] == 6
    assert first.community_check.works == 5.0 and view.total.budget.execution_percent is None

    shown = figures(view.total)
    assert {c.key: c.count for c in shown.needs.by_status}["funded"] == 3
    assert {c.key: c.count for c in shown.needs.by_group}["migrant"] == SUPPRESSED

    named = named_view(view, NAMES.get, PROVINCE)
    assert (named.name, named.level, named.rows_level) == ("Ka Hal district", "district", "commune")
    lines = list(csv.DictReader(io.StringIO(csv_of(named).lstrip("\ufeff"))))
    assert [line["name"] for line in lines] == ["Ka Chanh", "Laom", "160103", "TOTAL"]
    assert lines[0]["status_funded"] == "1" and lines[0]["group_migrant"] == SUPPRESSED
    assert lines[-1]["needs"] == "4" and lines[-1]["check_works"] == "5.0"


async def test_every_endpoint_the_client_calls_declares_a_contracts_model() -> None:
    methods = {
        name
        for name, _ in inspect.getmembers(OversightClient, inspect.iscoroutinefunction)
        if name not in ("call", "send", "close")
    }
    assert methods == {"view"}, "an OversightClient method this test does not call"
    wire = Transport()
    with contextlib.suppress(ValueError):  # the empty answer does not parse: the path is what counts
        await OversightClient(cast(ServiceClient, wire)).view(Caller(PROVINCE))
    [(method, path, _, _)] = wire.sent
    model = route_for(create_app(), method, path).response_model
    assert isinstance(model, type) and model.__module__ == "contracts.api.oversight"
