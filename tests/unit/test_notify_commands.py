"""What an inbound message asks for; addresses written once; webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.domain.commands import (
    Command,
    CommandName,
    is_tracking_code,
    normalise_tracking_code,
    parse_command,
)
from services.notify.domain.contacts import (
    InvalidAddressError,
    contact_id,
    mask,
    normalise_address,
    normalise_phone,
    reply_language,
)
from services.notify.domain.signatures import (
    read_unsubscribe_token,
    same_secret,
    sign,
    unsubscribe_token,
    verify,
)

S = CommandName


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("STOP", Command(S.STOP)),
        ("stop.", Command(S.STOP)),
        ("  Stop  ", Command(S.STOP)),
        ("ឈប់", Command(S.STOP)),
        ("ឈប់។", Command(S.STOP)),
        ("/stop", Command(S.STOP)),
        ("/stop@khum_bot", Command(S.STOP)),
        ("START", Command(S.START)),
        ("/start 160101", Command(S.START, "160101")),
        ("STATUS ABCD-EFG", Command(S.STATUS, "ABCD-EFG")),
        ("status abcd efg", Command(S.STATUS, "ABCD-EFG")),
        ("ស្ថានភាព ABCDEFG", Command(S.STATUS, "ABCD-EFG")),
        ("/status@khum_bot ABCD-EFG", Command(S.STATUS, "ABCD-EFG")),
        ("STATUS", Command(S.STATUS)),
        ("JOIN", Command(S.JOIN)),
        ("HELP", Command(S.HELP)),
        ("ជំនួយ", Command(S.HELP)),
        ("LANG EN", Command(S.LANG, "en")),
        ("English", Command(S.LANG, "en")),
        ("ខ្មែរ", Command(S.LANG, "km")),
    ],
)
def test_commands_are_understood_in_english_khmer_and_telegram_form(text: str, command: Command) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "stop the flooding near the school",
        "ឈប់ទឹកជំនន់",  # "stop the flood" as one word: a need, not an opt-out
        "status of the road is bad",
        "help us repair the well",
        "ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំង",
        "",
        "   ",
        "/start not-a-commune",
        "LANG fr",
    ],
)
def test_a_message_about_something_else_is_never_taken_for_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_status_with_a_code_like_attempt_is_still_a_status_command() -> None:
    # An O where a 0 is never used: answered "no such code", not recorded as a need.
    assert parse_command("STATUS ABCO-EFG") == Command(S.STATUS, "ABCO-EFG")
    assert not is_tracking_code("ABCO-EFG")


def test_tracking_codes_are_normalised_and_checked() -> None:
    assert normalise_tracking_code(" abcd efg ") == "ABCD-EFG"
    assert is_tracking_code("ABCD-EFG")
    assert not is_tracking_code("ABCD-EF1")  # 1 is not in the alphabet


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("012 345 678", "+85512345678"),
        ("012-345-6789", "+855123456789"),
        ("+855 12 345 678", "+85512345678"),
        ("85512345678", "+85512345678"),
        ("0085512345678", "+85512345678"),
        ("+66 81 234 5678", "+66812345678"),  # a migrant working in Thailand
    ],
)
def test_phone_numbers_are_written_once_in_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "phone", "+855 12", "0123456789012", "+85512345678901"])
def test_a_number_that_cannot_be_a_phone_is_refused_with_a_clear_error(raw: str) -> None:
    with pytest.raises(InvalidAddressError) as error:
        normalise_phone(raw)
    assert error.value.code == "contact.sms_invalid"
    assert error.value.message("en") == "This is not a valid phone number."
    assert "លេខទូរស័ព្ទ" in error.value.message("km")


def test_other_channels_have_their_own_address_rules() -> None:
    assert normalise_address("telegram", " 777001 ") == "777001"
    assert normalise_address("email", "Sokha@Example.ORG") == "Sokha@example.org"
    with pytest.raises(InvalidAddressError):
        normalise_address("telegram", "@sokha")
    with pytest.raises(InvalidAddressError):
        normalise_address("email", "not an address")


def test_a_contact_is_the_same_contact_however_the_number_was_written() -> None:
    ids = {contact_id("sms", normalise_phone(raw)) for raw in ("012 345 678", "+85512345678", "85512345678")}
    assert ids == {"sms:+85512345678"}


def test_masked_addresses_show_enough_to_recognise_and_no_more() -> None:
    assert mask("sms", "+85512345678") == "+85512•••678"
    assert mask("telegram", "777001") == "Telegram •••001"
    assert mask("email", "sokha@example.org") == "s•••@example.org"


def test_replies_are_in_khmer_unless_the_person_chose_english() -> None:
    assert reply_language(None) == "km"
    assert reply_language("en") == "en"
    assert reply_language("fr") == "km"


NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
SECRET = "webhook-secret-0123456789abcdef0123"


def test_a_signature_made_with_the_secret_is_accepted() -> None:
    body = b'{"id":"SM1","status":"delivered"}'
    header = sign(SECRET, body, int(NOW.timestamp()))
    assert verify(SECRET, header, body, NOW)


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "old timestamp", "future timestamp", "no header", "garbage"],
)
def test_a_signature_that_does_not_match_is_refused(tamper: str) -> None:
    body = b'{"id":"SM1","status":"delivered"}'
    stamp = int(NOW.timestamp())
    header: str | None = sign(SECRET, body, stamp)
    sent_body = body
    if tamper == "wrong secret":
        header = sign("another-secret-0123456789abcdef0123", body, stamp)
    elif tamper == "changed body":
        sent_body = body.replace(b"delivered", b"failed")
    elif tamper == "old timestamp":
        header = sign(SECRET, body, stamp - 301)
    elif tamper == "future timestamp":
        header = sign(SECRET, body, stamp + 301)
    elif tamper == "no header":
        header = None
    else:
        header = "t=abc,v1=zz"
    assert not verify(SECRET, header, sent_body, NOW)


def test_a_rotating_provider_may_send_two_signatures() -> None:
    body = b"{}"
    stamp = int(NOW.timestamp())
    old = sign("old-secret-0123456789abcdef012345", body, stamp).split("v1=")[1]
    new = sign(SECRET, body, stamp).split("v1=")[1]
    assert verify(SECRET, f"t={stamp},v1={old},v1={new}", body, NOW)


def test_telegrams_secret_token_is_compared_exactly() -> None:
    assert same_secret("abc_123", "abc_123")
    assert not same_secret("abc_124", "abc_123")
    assert not same_secret(None, "abc_123")
    assert not same_secret("", "")


def test_an_unsubscribe_token_names_its_contact_and_cannot_be_forged() -> None:
    token = unsubscribe_token(SECRET, "email:sokha@example.org")
    assert read_unsubscribe_token(SECRET, token) == "email:sokha@example.org"
    assert read_unsubscribe_token("another-secret-0123456789abcdef0123", token) is None
    name, _, mac = token.partition(".")
    other = unsubscribe_token(SECRET, "email:dara@example.org").partition(".")[0]
    assert read_unsubscribe_token(SECRET, f"{other}.{mac}") is None  # someone else's address
    for broken in ("", ".", name, f"{name}.", "!!!.???", "x" * 500):
        assert read_unsubscribe_token(SECRET, broken) is None
