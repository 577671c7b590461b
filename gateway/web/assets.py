"""Static files under content-hashed names, cached by phones for a year.

A page asks for ``/static/js/app.<digest>.js``; the digest is taken from the file's bytes,
so a changed file gets a new name and a phone never runs yesterday's script with today's
page. Hashed names are immutable (one download per version, no revalidation round trip on
3G); the plain names stay reachable, revalidated each time, for what cannot carry a digest
(the font URL inside the stylesheet, links kept in old installs).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from gateway.i18n import REPO_ROOT

router = APIRouter(include_in_schema=False)

STATIC = REPO_ROOT / "pwa" / "static"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")


@cache
def _files() -> dict[str, Path]:
    """Every servable file by its path under /static/ (sw.js is served at /sw.js)."""
    return {
        path.relative_to(STATIC).as_posix(): path
        for path in STATIC.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".txt") and path.name != "sw.js"
    }


@cache
def digest_of(name: str) -> str:
    return hashlib.sha256(_files()[name].read_bytes()).hexdigest()[:10]


def asset_url(name: str) -> str:
    """The hashed URL of ``name`` (a path under pwa/static/, e.g. ``js/app.js``)."""
    if name not in _files():
        raise KeyError(f"no static file {name}")
    stem, dot, ext = name.rpartition(".")
    return f"/static/{stem}.{digest_of(name)}{dot}{ext}"


@router.get("/static/{name:path}")
async def static_file(name: str) -> FileResponse:
    files = _files()
    if name in files:
        return FileResponse(files[name], headers={"cache-control": REVALIDATE})
    hashed = _HASHED.match(name)
    if hashed:
        plain = hashed["stem"] + hashed["ext"]
        if plain in files and digest_of(plain) == hashed["digest"]:
            return FileResponse(files[plain], headers={"cache-control": IMMUTABLE})
    raise HTTPException(404)
