"""The CloudEvents envelope, UUIDv7 ids and the tolerant reader."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.envelope import Envelope, new_event, uuid7
from contracts.needs import NEED_SUBMITTED, NeedSubmittedV1
from contracts.notify import NotificationQueuedV1
from contracts.registry import UnreadableEvent, read_event


def _need() -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010101",
        description="ផ្លូវលំ",
        collected_by="f1",
        submitted_at=datetime.now(UTC),
    )


def test_uuid7_ids_are_version_7_and_sort_by_time() -> None:
    ids = [uuid7() for _ in range(200)]
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
    # the 48-bit millisecond prefix never goes backwards
    prefixes = [value[:13] for value in ids]
    assert prefixes == sorted(prefixes)


def test_an_event_carries_cloudevents_attributes_and_its_subject_ends_in_the_commune() -> None:
    event = new_event(_need(), event_type=NEED_SUBMITTED, source="/khum/intake", communecode="160101")
    wire = json.loads(event.to_bytes())
    assert wire["specversion"] == "1.0"
    assert wire["type"] == "khum.needs.NeedSubmitted.v1"
    assert wire["datacontenttype"] == "application/json"
    assert event.nats_subject == "khum.needs.NeedSubmitted.v1.160101"
    assert wire["data"]["description"] == "ផ្លូវលំ"


def test_producers_are_strict_about_payload_fields() -> None:
    with pytest.raises(ValidationError):
        NeedSubmittedV1.model_validate({**_need().model_dump(), "surprise": 1})


def test_consumers_read_tolerantly_and_ignore_new_fields() -> None:
    event = new_event(_need(), event_type=NEED_SUBMITTED, source="/khum/intake", communecode="160101")
    wire = json.loads(event.to_bytes())
    wire["data"]["added_in_a_later_minor"] = "ignored"
    wire["futureattribute"] = "ignored"
    envelope, need = read_event(json.dumps(wire).encode(), NeedSubmittedV1)
    assert envelope.id == event.id
    assert need.description == "ផ្លូវលំ"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'{"specversion": "1.0"}'],
)
def test_an_unreadable_envelope_is_reported_as_such(raw: bytes) -> None:
    with pytest.raises(UnreadableEvent, match="invalid envelope"):
        read_event(raw, NeedSubmittedV1)


def test_an_event_of_another_type_is_not_read_as_this_one() -> None:
    event = new_event(_need(), event_type=NEED_SUBMITTED, source="/khum/intake", communecode="160101")
    with pytest.raises(UnreadableEvent, match="unexpected event type"):
        read_event(event.to_bytes(), NotificationQueuedV1)


def test_an_envelope_needs_a_timezone_and_a_six_digit_commune() -> None:
    base = {"id": "x", "source": "/s", "type": NEED_SUBMITTED, "data": {}}
    with pytest.raises(ValidationError):
        Envelope.model_validate({**base, "time": "2026-01-01T00:00:00", "communecode": "160101"})
    with pytest.raises(ValidationError):
        Envelope.model_validate({**base, "time": "2026-01-01T00:00:00Z", "communecode": "1601"})
