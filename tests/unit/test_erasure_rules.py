"""The pure parts of erasure: digests every service agrees on, and what each one cleans."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from services.intake.erasure import _clean_event, _erase_entry, _is_person
from services.meetings.erasure import ERASED_LABEL, _without_person
from services.runtime.erasure import KEEP, Digests

SECRET = "a-shared-secret-of-enough-length-0123456789"
digests = Digests(SECRET)


def test_a_phone_has_one_digest_however_it_is_written() -> None:
    forms = ("012 345 678", "+855 12 345 678", "85512345678", "00855-12-345-678", "(012) 345.678")
    assert len({digests.contact("sms", form) for form in forms}) == 1
    assert digests.contact("sms", "012 345 679") != digests.contact("sms", "012 345 678")
    assert digests.contact("sms", "12") is None


def test_digests_depend_on_the_shared_secret_and_are_not_a_plain_hash() -> None:
    other = Digests("another-secret-of-enough-length-0123456789")
    assert other.contact("sms", "012345678") != digests.contact("sms", "012345678")
    digest = digests.contact("sms", "012345678")
    assert digest is not None and len(digest) == 64 and "85512345678" not in digest


def test_a_khmer_name_matches_across_spacing_case_and_unicode_composition() -> None:
    name = "សុខ ស្រីនាង Sok Sreyneang"
    decomposed = unicodedata.normalize("NFD", "  សុខ  ស្រីនាង SOK sreyneang ")
    assert digests.name(decomposed) == digests.name(name)
    assert digests.name("សុខ ស្រីនាង") != digests.name(name)
    assert digests.name("   ") is None


def test_an_erased_entry_keeps_its_counts_and_nothing_that_says_who() -> None:
    entry = {
        "kind": "person",
        "people": 1,
        "groups": {"women": 1, "disability": 1, "idpoor": 1},
        "name": "សុខ ស្រីនាង",
        "attributes": {"sex": "female", "disability": "severe", "idpoor_level": 1},
        "consent": {"method": "verbal", "recorded_by": "u1", "recorded_at": "2026-11-01T00:00:00+00:00"},
        "contact": {"channel": "sms", "address": "012345678", "language": "km"},
        "added_by": "u1",
    }
    assert _is_person(entry, {digests.contact("sms", "+85512345678") or ""}, None, digests)
    erased = _erase_entry(entry, "e1", datetime(2026, 11, 29, tzinfo=UTC))
    assert erased["groups"] == entry["groups"] and erased["people"] == 1
    assert (erased["name"], erased["attributes"], erased["consent"], erased["contact"]) == (None,) * 4
    assert "012345678" not in json.dumps(erased) and "ស្រីនាង" not in json.dumps(erased, ensure_ascii=False)


def test_a_need_event_loses_only_the_erased_persons_contact() -> None:
    event = {
        "id": "e1",
        "type": "khum.needs.NeedSubmitted.v1",
        "data": {
            "need_id": "n1",
            "contacts": [
                {"channel": "sms", "address": "012 345 678", "language": "km"},
                {"channel": "sms", "address": "+85597765432", "language": "km"},
            ],
        },
    }
    raw = json.dumps(event).encode()
    erased = {digests.contact("sms", "+85512345678") or ""}
    cleaned = _clean_event(raw, erased, digests)
    assert isinstance(cleaned, bytes)
    after = json.loads(cleaned)
    assert after["id"] == "e1" and after["data"]["need_id"] == "n1"
    assert [c["address"] for c in after["data"]["contacts"]] == ["+85597765432"]
    assert _clean_event(cleaned, erased, digests) == KEEP, "a clean copy is kept as it is"
    assert _clean_event(b"{not json", erased, digests) == KEEP


def test_a_meeting_loses_the_noted_name_and_a_named_rsvp_but_keeps_its_counts() -> None:
    meeting = {
        "id": "m1",
        "attendance": {"counts": {"total": 30, "women": 17}, "names": ["សុខ ស្រីនាង", "ចាន់ ដារ៉ា"]},
        "rsvps": [{"label": "សុខ  ស្រីនាង", "counts": {"total": 1}}, {"label": "ក្រុមស្ត្រី", "counts": {}}],
    }
    names = {digests.name("សុខ ស្រីនាង") or ""}
    cleaned = _without_person(meeting, names, digests)
    assert cleaned is not None
    assert cleaned["attendance"]["names"] == ["ចាន់ ដារ៉ា"]
    assert cleaned["attendance"]["counts"] == meeting["attendance"]["counts"]
    assert [r["label"] for r in cleaned["rsvps"]] == [ERASED_LABEL, "ក្រុមស្ត្រី"]
    assert _without_person(cleaned, names, digests) is None
