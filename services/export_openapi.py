"""Write each service's OpenAPI document to contracts/openapi/<service>.json (``make schemas``).

The apps are built without starting them (no store, no NATS); a test fails on drift.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

OPENAPI_DIR = Path(__file__).resolve().parents[1] / "contracts" / "openapi"
SERVICES = ("intake", "meetings", "budget", "notify", "oversight")


def openapi_documents() -> dict[str, dict[str, Any]]:
    from services.budget.app import create_app as budget
    from services.intake.app import create_app as intake
    from services.meetings.app import create_app as meetings
    from services.notify.app import create_app as notify
    from services.oversight.app import create_app as oversight

    apps: dict[str, Callable[[], FastAPI]] = {
        "intake": intake,
        "meetings": meetings,
        "budget": budget,
        "notify": notify,
        "oversight": oversight,
    }
    return {name: factory().openapi() for name, factory in apps.items()}


def rendered() -> dict[str, str]:
    return {
        f"{name}.json": json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for name, document in openapi_documents().items()
    }


def main() -> int:
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (OPENAPI_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(SERVICES)} OpenAPI documents to {OPENAPI_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
