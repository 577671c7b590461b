"""Vocabularies are defined once in contracts/; the gateway's words must cover exactly them."""

from __future__ import annotations

from contracts.needs import NEED_TYPES, Sector
from gateway.i18n import translate
from gateway.web.needs import SECTOR_LABELS, TYPE_LABELS


def test_the_form_labels_every_need_type_intake_accepts_and_no_other() -> None:
    assert set(TYPE_LABELS) == set(Sector)
    for sector in Sector:
        assert list(TYPE_LABELS[sector]) == list(NEED_TYPES[sector]), sector


def test_every_sector_has_a_label_in_khmer() -> None:
    for sector in Sector:
        english = SECTOR_LABELS[sector]
        assert translate("km", english) != english, sector
