"""Import the national gazetteer (YAML keyed by code, Khmer and Latin names) into intake.

The format is that of the public NCDD/pumi data set: ``communes.yml`` and ``villages.yml``
under one folder, each a mapping of zero-padded codes to ``{name: {km, latin}}``. An import
is one transaction and is skipped when the files have not changed since the last one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.runtime.stores import Store

_COMMUNE = re.compile(r"^\d{6}$")
_VILLAGE = re.compile(r"^\d{8}$")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class GazetteerError(ValueError):
    pass


@dataclass(frozen=True)
class ImportResult:
    communes: int
    villages: int
    skipped: bool


def _read(folder: Path, name: str, key: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise GazetteerError(f"gazetteer file missing: {path}")
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader, C or pure Python
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise GazetteerError(f"{path} has no top-level '{key}' mapping")
    table: dict[str, Any] = data[key]
    return table


def _names(code: str, entry: Any) -> dict[str, str]:
    try:
        name = entry["name"]
        return {"km": str(name["km"]), "latin": str(name["latin"])}
    except (KeyError, TypeError) as exc:
        raise GazetteerError(f"{code}: name.km and name.latin are required") from exc


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("communes.yml", "villages.yml"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


async def import_gazetteer(store: Store, folder: Path) -> ImportResult:
    digest = _digest(folder)
    marker = await store.get("meta", "gazetteer")
    if marker and marker.get("digest") == digest:
        return ImportResult(marker["communes"], marker["villages"], skipped=True)
    communes = _read(folder, "communes.yml", "communes")
    villages = _read(folder, "villages.yml", "villages")
    for code in communes:
        if not isinstance(code, str) or not _COMMUNE.match(code):
            raise GazetteerError(f"commune code {code!r} is not 6 digits as a string")
    for code in villages:
        if not isinstance(code, str) or not _VILLAGE.match(code):
            raise GazetteerError(f"village code {code!r} is not 8 digits as a string")
        if code[:6] not in communes:
            raise GazetteerError(f"village {code} belongs to no known commune")
    async with store.transaction() as tx:
        for code, entry in communes.items():
            await tx.upsert("communes", {"id": code, "name": _names(code, entry)})
        for code, entry in villages.items():
            await tx.upsert("villages", {"id": code, "commune_code": code[:6], "name": _names(code, entry)})
        await tx.upsert(
            "meta",
            {
                "id": "gazetteer",
                "digest": digest,
                "communes": len(communes),
                "villages": len(villages),
            },
        )
    return ImportResult(len(communes), len(villages), skipped=False)
