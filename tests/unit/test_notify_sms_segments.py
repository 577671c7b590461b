"""SMS length is counted the way networks count it: GSM-7 160 in one message and 153 per part;
UCS-2 (Khmer) 70 in one message and 67 per part; escapes and surrogate pairs never split."""

from __future__ import annotations

import unicodedata

import pytest

from services.notify.domain.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    fit_sms,
    sms_length,
    split_text,
)

KHMER = "ផ្លូវលំភូមិកាតែខូចខាតខ្លាំង"  # 27 code points, all in the BMP


def test_the_gsm7_alphabet_has_its_127_characters_and_ten_extensions() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes, one of which is the escape
    assert len(GSM7_EXTENSION) == 10


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_plain_latin_text_fills_160_then_153_per_part(length: int, segments: int) -> None:
    result = sms_length("a" * length)
    assert result.encoding is Encoding.GSM7
    assert (result.units, result.segments) == (length, segments)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_khmer_text_is_ucs2_with_70_then_67_per_part(length: int, segments: int) -> None:
    text = ("ក" * length)[:length]
    result = sms_length(text)
    assert result.encoding is Encoding.UCS2
    assert (result.units, result.segments) == (length, segments)


def test_one_khmer_letter_makes_a_latin_message_ucs2() -> None:
    text = "Tracking code ABCD-EFG " + "ក"
    assert sms_length(text).encoding is Encoding.UCS2
    assert sms_length(text[:-1]).encoding is Encoding.GSM7


def test_extension_characters_take_two_septets() -> None:
    assert sms_length("€" * 80).units == 160
    assert sms_length("€" * 80).segments == 1
    assert sms_length("€" * 80 + "a").segments == 2


def test_an_escape_pair_is_never_split_between_parts() -> None:
    # 152 plain septets then an escape pair: the pair does not fit in part one (153), so it
    # opens part two, as a phone would send it.
    text = "a" * 152 + "€" + "a" * 152
    result = sms_length(text)
    assert result.units == 306
    assert result.segments == 3  # naive division by 153 would say 2


def test_an_emoji_counts_two_units_and_is_never_split() -> None:
    assert sms_length("🙂").units == 2
    text = "ក" * 66 + "🙂" + "ក" * 66  # 134 units: 2 parts if split anywhere, 3 when the pair moves
    assert sms_length(text).units == 134
    assert sms_length(text).segments == 3


def test_a_text_that_fits_is_left_alone() -> None:
    assert fit_sms(KHMER, 1) == KHMER


def test_a_long_khmer_text_is_shortened_to_its_segment_budget_with_an_ellipsis() -> None:
    text = " ".join([KHMER] * 40)
    fitted = fit_sms(text, 2)
    assert sms_length(fitted).segments == 2
    assert fitted.endswith("…")
    assert text.startswith(fitted[:-1].rstrip())


def test_shortening_never_leaves_a_khmer_cluster_half_written() -> None:
    # No spaces at all: the cut must still fall between whole clusters.
    text = "ស្ត្រី" * 40
    fitted = fit_sms(text, 1)[:-1]
    assert fitted
    assert not fitted.endswith("\u17d2")
    next_char = text[len(fitted)]
    assert unicodedata.category(next_char) not in ("Mn", "Mc")


def test_a_latin_text_is_shortened_with_a_gsm_ellipsis_so_it_stays_gsm7() -> None:
    fitted = fit_sms("word " * 100, 1)
    assert fitted.endswith("...")
    assert sms_length(fitted).encoding is Encoding.GSM7
    assert sms_length(fitted).segments == 1


def test_a_segment_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_sms("hello", 0)


def test_split_text_keeps_every_character_and_respects_the_limit() -> None:
    text = "\n".join(f"{n} {KHMER}" for n in range(50))
    parts = split_text(text, 200)
    assert all(len(p) <= 200 for p in parts)
    assert "\n".join(parts) == text


def test_split_text_of_a_short_text_is_the_text() -> None:
    assert split_text("សួស្តី", 4096) == ["សួស្តី"]
