"""Messenger's webhook signature, contact addresses of a Page's people, and every message a
citizen can receive having a text on every channel they can write from (a channel without one
would make notify retry the event until it is dead-lettered)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from contracts.needs import ContactChannel
from services.notify.domain.contacts import mask
from services.notify.domain.messenger import hub_signature, verify_hub_signature
from services.notify.rendering import environment, template_names
from services.notify.voice import sniff_type, voice_label
from services.runtime.contacts import InvalidAddressError, normalise_address

SECRET = "0123456789abcdef0123456789abcdef"
TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "notify" / "templates"
# Kinds sent to a citizen's own contact point (not the loudspeaker, not staff e-mail footers).
CITIZEN_KINDS = sorted(
    p.name
    for p in TEMPLATES.iterdir()
    if p.is_dir() and any((p / f"{c}.km.txt").exists() for c in ("sms", "telegram", "default"))
)


def test_a_body_signed_with_the_app_secret_passes_and_any_change_fails() -> None:
    body = b'{"object":"page","entry":[{"id":"1","messaging":[]}]}'
    header = hub_signature(SECRET, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_hub_signature(SECRET, header, body)
    assert not verify_hub_signature(SECRET, header, body + b" ")
    assert not verify_hub_signature("another-secret", header, body)
    assert not verify_hub_signature(SECRET, header.replace("sha256=", "sha1="), body)
    assert not verify_hub_signature(SECRET, None, body)
    assert not verify_hub_signature("", header, body)


def test_a_messenger_address_names_the_page_and_the_person() -> None:
    assert normalise_address("facebook", " 104500000160101:7000000001 ") == "104500000160101:7000000001"
    for bad in ("7000000001", "page:7000000001", "1:2:3", ""):
        with pytest.raises(InvalidAddressError) as caught:
            normalise_address("facebook", bad)
        assert caught.value.code == "contact.facebook_invalid"
        assert "Messenger" in caught.value.message("en") and "Messenger" in caught.value.message("km")
    assert mask("facebook", "104500000160101:7000000001") == "Messenger •••001"


@pytest.mark.parametrize("kind", CITIZEN_KINDS)
@pytest.mark.parametrize("channel", [c.value for c in ContactChannel])
@pytest.mark.parametrize("lang", ["km", "en"])
def test_every_citizen_message_has_a_text_on_every_contact_channel(
    kind: str, channel: str, lang: str
) -> None:
    emailed = (TEMPLATES / kind / "default.km.txt").exists() or (TEMPLATES / kind / "email.km.txt").exists()
    if channel == "email" and not emailed:
        pytest.skip(f"{kind} is not sent by e-mail")  # SMS/Telegram replies to commands
    try:
        environment().select_template(list(template_names(kind, channel, lang)))
    except TemplateNotFound:
        pytest.fail(f"no {lang} text for {kind} on {channel}")


def test_a_voice_notes_draft_text_says_what_it_is_in_khmer_first() -> None:
    label = voice_label(12)
    assert label.startswith("🎤 សារសំឡេង 12") and "voice note, 12 s" in label


def test_a_loosely_labelled_file_is_known_by_its_first_bytes() -> None:
    assert sniff_type(b"\x00\x00\x00\x20ftypM4A rest", "video/mp4") == "audio/mp4"
    assert sniff_type(b"OggS\x00rest", "application/octet-stream") == "audio/ogg"
    assert sniff_type(b"ID3\x04rest", "") == "audio/mpeg"
    assert sniff_type(b"<html>", "text/html") == "text/html"  # then refused as not audio
    assert sniff_type(b"OggS", "audio/ogg") == "audio/ogg"
    assert voice_label(None) == "🎤 សារសំឡេង · voice note"
