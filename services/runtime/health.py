"""Liveness and readiness: ``/healthz`` (the process answers), ``/readyz`` (store and NATS reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    store = getattr(request.app.state, "store", None)
    bus = getattr(request.app.state, "bus", None)
    try:
        if store is None:
            raise RuntimeError("not started")
        await store.ping()
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unavailable: {type(exc).__name__}"
    checks["nats"] = "ok" if bus is not None and bus.is_connected else "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )
