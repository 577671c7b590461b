"""Committed contract files must match the code: event JSON Schemas and the GraphQL SDL.
Regenerate them with `make schemas` when a change is intended."""

from __future__ import annotations

from contracts.export import ASYNCAPI_PATH, SCHEMA_DIR, asyncapi_document, rendered_asyncapi, rendered_schemas
from contracts.registry import EVENTS
from gateway.export_schema import SDL_PATH
from gateway.graphql import sdl


def test_committed_event_schemas_match_the_code() -> None:
    wanted = rendered_schemas()
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.json")}
    assert sorted(committed) == sorted(wanted), "run `make schemas`"
    for name, text in wanted.items():
        assert committed[name] == text, f"{name} drifted from the code: run `make schemas`"


def test_every_event_has_a_committed_schema() -> None:
    names = set(rendered_schemas())
    assert {
        "envelope.json",
        "khum.needs.NeedSubmitted.v1.json",
        "khum.notify.NotificationQueued.v1.json",
    } <= names


def test_committed_graphql_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), "run `make schemas`"


def test_the_schema_has_the_operations_integrators_rely_on() -> None:
    text = sdl()
    for operation in ("submitNeed(", "login(", "notifications(", "notificationAdded("):
        assert operation in text


def test_committed_asyncapi_document_matches_the_events() -> None:
    assert ASYNCAPI_PATH.read_text(encoding="utf-8") == rendered_asyncapi(), "run `make schemas`"


def test_the_asyncapi_document_has_a_channel_per_event_with_the_commune_last() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {f"{event_type}.{{communecode}}" for event_type in EVENTS}


def test_committed_openapi_documents_match_the_services() -> None:
    from services.export_openapi import OPENAPI_DIR, rendered

    for name, text in rendered().items():
        path = OPENAPI_DIR / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, (
            f"{name} drifted: run `make schemas`"
        )
