"""Shortening read-aloud and SMS text at word or Khmer cluster boundaries; GSM-7 kept where
plain punctuation allows it; riel and months as people read them."""

from __future__ import annotations

import pytest

from services.notify.domain.sms import Encoding, encoding_of, fit_sms, gsm7_friendly, sms_length
from services.notify.domain.text import clusters, is_boundary, shorten
from services.notify.rendering import month_name, riel

WELL = "ស្ត្រីៗក្នុងភូមិត្រូវដើរទៅដងទឹកពីស្ទឹងឆ្ងាយណាស់រៀងរាល់ព្រឹក"


def test_a_consonant_with_two_subscripts_and_a_vowel_is_one_cluster() -> None:
    # ស + ្ត + ្រ + ី: "woman", five code points, one cluster
    assert clusters("ស្ត្រី") == ["ស្ត្រី"]
    assert clusters("ស្ត្រីៗ") == ["ស្ត្រី", "ៗ"]
    assert not is_boundary("ស្ត្រី", 2)  # after the coeng
    assert not is_boundary("ស្ត្រី", 1)  # before the coeng


@pytest.mark.parametrize("limit", range(4, len(WELL)))
def test_khmer_without_spaces_is_never_cut_inside_a_cluster(limit: int) -> None:
    short = shorten(WELL, limit)
    assert len(short) <= limit and short.endswith("…")
    kept = short[:-1]
    assert WELL.startswith(kept) and is_boundary(WELL, len(kept))
    assert not kept.endswith("\u17d2")


def test_khmer_prefers_a_word_break_near_the_end() -> None:
    text = "ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំងណាស់ក្នុងរដូវវស្សា"
    assert shorten(text, 22) == "ផ្លូវលំភូមិកាតែ…"


def test_latin_text_is_never_cut_mid_word() -> None:
    text = "The bridge to the school washed away in the October floods"
    short = shorten(text, 30)
    assert short == "The bridge to the school…"
    assert shorten("Ka Hal village well", 12) == "Ka Hal…"


def test_a_text_within_the_limit_is_left_alone() -> None:
    assert shorten(WELL, len(WELL)) == WELL


def test_typographic_punctuation_is_made_plain_to_stay_gsm7_but_khmer_is_left_as_written() -> None:
    english = "The \u201cbridge\u201d \u2013 the province\u2019s job\u2026"
    assert encoding_of(english) is Encoding.UCS2
    plain = gsm7_friendly(english)
    assert plain == 'The "bridge" - the province\'s job...'
    assert encoding_of(plain) is Encoding.GSM7
    khmer = "ឃុំ៖ \u201cផ្លូវ\u201d"
    assert gsm7_friendly(khmer) == khmer


def test_a_khmer_sms_cut_to_one_part_keeps_70_units_and_whole_clusters() -> None:
    text = WELL * 3
    fitted = fit_sms(text, 1)
    length = sms_length(fitted)
    assert length.segments == 1 and length.units <= 70
    assert is_boundary(text, len(fitted) - 1)


def test_riel_is_grouped_and_in_khmer_digits_for_khmer() -> None:
    assert riel(12_500_000, "km") == "១២,៥០០,០០០ រៀល"
    assert riel(12_500_000, "en") == "12,500,000 riel"


def test_a_month_reads_as_a_month_and_a_year_as_a_year() -> None:
    assert month_name("2027-03", "km") == "ខែមីនា ឆ្នាំ២០២៧"
    assert month_name("2027-06", "km") == "ខែមិថុនា ឆ្នាំ២០២៧"
    assert month_name("2027-03", "en") == "March 2027"
    assert month_name(2027, "km") == "ឆ្នាំ២០២៧"
    assert [month_name(f"2027-{m:02d}", "km").split()[0] for m in (1, 2, 5, 11, 12)] == [
        "ខែមករា",
        "ខែកុម្ភៈ",
        "ខែឧសភា",
        "ខែវិច្ឆិកា",
        "ខែធ្នូ",
    ]
