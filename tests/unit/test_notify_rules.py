"""Who hears what (the rules table) and in which words (templates per kind, channel and
language). Khmer renders; SMS receipts fit their segment budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    ContactChannel,
    ContactPoint,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    NeedSupportedV1,
    PlaceName,
)
from contracts.notify import DeliveryChannel
from services.notify.domain.rules import (
    RULES,
    ToAudience,
    ToContacts,
    ToLoudspeakers,
    ToNeedRaisers,
    need_status_changed,
    need_submitted,
    need_supported,
    rules_by_type,
)
from services.notify.domain.sms import Encoding, sms_length
from services.notify.rendering import STATUS_LABELS, TemplateMissingError, render, render_all

WHEN = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
KA_HAL = PlaceName(km="កាតែ", latin="Ka Hal")
SOKHA = ContactPoint(channel=ContactChannel.SMS, address="012 345 678", language="km")


def _need(
    contacts: list[ContactPoint] | None = None, description: str = "ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំង"
) -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id="0190c0de-0000-7000-8000-00000000000a",
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010102",
        village_name=KA_HAL,
        description=description,
        collected_by="u-sophea",
        submitted_at=WHEN,
        contacts=contacts or [],
    )


def _change(status: NeedStatus, reason: str | None = None) -> NeedStatusChangedV1:
    return NeedStatusChangedV1(
        need_id="0190c0de-0000-7000-8000-00000000000a",
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010102",
        previous=NeedStatus.IN_CIP,
        status=status,
        reason=reason,
        actor="budget",
        changed_at=WHEN,
    )


def test_a_need_recorded_goes_to_its_council_in_app_and_by_push() -> None:
    [notice] = need_submitted(_need())
    assert notice.kind == "need_submitted"
    assert notice.target == ToAudience("council:160101", (DeliveryChannel.IN_APP, DeliveryChannel.PUSH))
    assert notice.ref == "ABCD-EFG"


def test_a_need_with_a_consenting_contact_also_sends_a_receipt_to_that_person() -> None:
    council, receipt = need_submitted(_need([SOKHA]))
    assert council.kind == "need_submitted"
    assert receipt.kind == "need_receipt"
    assert receipt.target == ToContacts((SOKHA,))
    assert receipt.need_id == "0190c0de-0000-7000-8000-00000000000a"


def test_a_status_change_goes_to_the_people_who_raised_the_need_with_the_reason() -> None:
    [notice] = need_status_changed(_change(NeedStatus.VALIDATED))
    assert notice.target == ToNeedRaisers("0190c0de-0000-7000-8000-00000000000a")
    assert notice.context["status"] == "validated"


@pytest.mark.parametrize("status", [NeedStatus.FUNDED, NeedStatus.DEFERRED, NeedStatus.REJECTED])
def test_an_outcome_is_also_read_out_on_the_village_loudspeaker(status: NeedStatus) -> None:
    raisers, village = need_status_changed(_change(status, "ថវិកាមិនគ្រប់គ្រាន់"))
    assert village.kind == "need_outcome"
    assert village.target == ToLoudspeakers(("16010102",))
    assert raisers.context["reason"] == "ថវិកាមិនគ្រប់គ្រាន់"


def test_a_supporter_without_a_contact_hears_nothing() -> None:
    support = NeedSupportedV1(
        need_id="n1",
        tracking_code="ABCD-EFG",
        commune_code="160101",
        people_added=2,
        people_total=5,
        supported_at=WHEN,
    )
    assert need_supported(support) == []
    [notice] = need_supported(support.model_copy(update={"contacts": [SOKHA]}))
    assert notice.kind == "need_followed" and notice.target == ToContacts((SOKHA,))


def test_each_event_type_has_one_rule() -> None:
    assert len(rules_by_type()) == len(RULES)
    assert {NEED_SUBMITTED, NEED_STATUS_CHANGED} <= set(rules_by_type())


# ---------- templates ----------

RECEIPT = {
    "tracking_code": "ABCD-EFG",
    "village": {"km": "កាតែ", "latin": "Ka Hal"},
    "excerpt": "ផ្លូវលំ",
    "need": None,
}


def test_the_council_inbox_text_reads_as_before_in_both_languages() -> None:
    text = render_all("need_submitted", "in_app", {**RECEIPT, "excerpt": "ផ្លូវលំ​ភូមិ​កាតែ"})
    assert text["en"] == "New need ABCD-EFG in Ka Hal village: ផ្លូវលំ​ភូមិ​កាតែ"
    assert text["km"] == "តម្រូវការថ្មី ABCD-EFG នៅភូមិកាតែ៖ ផ្លូវលំ​ភូមិ​កាតែ"


def test_the_sms_receipt_in_khmer_is_ucs2_in_two_messages_and_in_english_one() -> None:
    km = render("need_receipt", "sms", "km", RECEIPT).text
    en = render("need_receipt", "sms", "en", RECEIPT).text
    assert "ABCD-EFG" in km and "លេខតាមដាន" in km and "STOP" in km
    assert sms_length(km).encoding is Encoding.UCS2 and sms_length(km).segments == 2
    assert sms_length(en).encoding is Encoding.GSM7 and sms_length(en).segments == 1


def test_an_email_template_gives_a_subject_and_a_body() -> None:
    mail = render("need_receipt", "email", "km", RECEIPT)
    assert mail.subject == "តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា៖ ABCD-EFG"
    assert mail.text.startswith("ជម្រាបសួរ")
    assert "Subject:" not in mail.text


def test_a_status_message_says_the_new_status_and_the_reason_in_khmer() -> None:
    context = {
        "tracking_code": "ABCD-EFG",
        "status": "deferred",
        "previous": "in_cip",
        "reason": "ថវិកាត្រូវបានកាត់បន្ថយ",
        "need": None,
    }
    sms = render("need_status_changed", "sms", "km", context).text
    assert sms == "ឃុំ៖ តម្រូវការ ABCD-EFG ស្ថានភាពថ្មី៖ ពន្យារទៅឆ្នាំក្រោយ។ មូលហេតុ៖ ថវិកាត្រូវបានកាត់បន្ថយ"
    telegram = render("need_status_changed", "telegram", "en", context).text
    assert "New status: deferred to a later year" in telegram
    assert "Reason: ថវិកាត្រូវបានកាត់បន្ថយ" in telegram


def test_a_merged_need_says_which_code_it_continues_as() -> None:
    context = {
        "tracking_code": "ABCD-EFG",
        "status": "merged",
        "previous": "submitted",
        "reason": "same road",
        "need": {"excerpt": "road", "merged_into": "HJKL-MNP", "village": None},
    }
    assert "It continues as HJKL-MNP." in render("need_status_changed", "sms", "en", context).text


def test_a_loudspeaker_script_is_plain_slow_and_said_twice() -> None:
    context = {
        "tracking_code": "ABCD-EFG",
        "status": "funded",
        "previous": "in_cip",
        "reason": None,
        "need": {"excerpt": "ផ្លូវលំភូមិកាតែ", "village": {"km": "កាតែ", "latin": "Ka Hal"}},
    }
    km = render("need_outcome", "loudspeaker", "km", context).text
    assert km.count("ចម្លើយរបស់ក្រុមប្រឹក្សា៖ ទទួលបានថវិកា។") == 2
    assert km.count("(ឈប់បន្តិច)") >= 4
    assert "A B C D - E F G" in km  # the code spelled out, letter by letter
    en = render("need_outcome", "loudspeaker", "en", context).text
    assert en.count("The council's answer: funded.") == 2
    assert "Good day, people of Ka Hal village." in en


@pytest.mark.parametrize(
    ("kind", "channels"),
    [
        ("need_submitted", ("in_app", "push")),
        ("need_receipt", ("sms", "telegram", "email")),
        ("need_status_changed", ("sms", "telegram", "email")),
        ("need_followed", ("sms", "telegram", "email")),
        ("need_outcome", ("loudspeaker",)),
        ("reply_ack", ("sms", "telegram")),
        ("reply_help", ("sms", "telegram")),
        ("reply_stop", ("sms", "telegram")),
        ("reply_start", ("sms", "telegram")),
        ("reply_join", ("sms", "telegram")),
        ("reply_lang", ("sms", "telegram")),
        ("reply_no_commune", ("sms", "telegram")),
        ("reply_status_usage", ("sms", "telegram")),
    ],
)
def test_every_message_renders_in_khmer_and_english_on_every_channel_it_uses(
    kind: str, channels: tuple[str, ...]
) -> None:
    context = {**RECEIPT, "status": "funded", "previous": "in_cip", "reason": None, "people_total": 3}
    for channel in channels:
        km = render(kind, channel, "km", context).text
        en = render(kind, channel, "en", context).text
        assert km and en and km != en
        assert any("\u1780" <= ch <= "\u17ff" for ch in km), (kind, channel)
        if channel == "sms":
            assert sms_length(km).segments <= 3, (kind, len(km))


def test_every_status_has_a_label_in_both_languages() -> None:
    assert set(STATUS_LABELS) == {s.value for s in NeedStatus}
    assert all(set(labels) == {"km", "en"} for labels in STATUS_LABELS.values())


def test_a_missing_template_is_a_clear_error() -> None:
    with pytest.raises(TemplateMissingError):
        render("no_such_kind", "sms", "km", {})


def test_an_unknown_language_falls_back_to_khmer() -> None:
    assert render("reply_stop", "sms", "fr", {}).text == render("reply_stop", "sms", "km", {}).text
