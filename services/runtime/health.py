"""Liveness and readiness: ``/healthz`` (the process answers), ``/readyz`` (it can do its work).

Ready means the store takes a real write now (a committed probe row: a full disk, a read-only
file or another process's lock make it fail, where a read would still succeed), no real write
was refused for such a cause in the last 30 s without one succeeding since (a small probe can
fit where a need does not), the NATS connection is up, and JetStream answered the bus's last
probe (a node cut off from its cluster keeps the connection but cannot store anything).
Unready answers 503 with the reason per check, so a load balancer stops sending writes that could only fail.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.runtime.http import RETRY_AFTER_SECONDS

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_SECONDS = 8.0


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
        await asyncio.wait_for(store.probe_write(), PROBE_TIMEOUT_SECONDS)
        failure = store.recent_write_failure()
        checks["store"] = "ok" if failure is None else f"unavailable: last write failed: {failure[:200]}"
    except Exception as exc:
        checks["store"] = f"unavailable: {type(exc).__name__}: {str(exc)[:200]}"
    if bus is None or not bus.is_connected:
        checks["nats"] = "unavailable: not connected"
    elif not bus.is_healthy:
        checks["nats"] = f"unavailable: JetStream does not answer or store ({bus.probe_error})"
    else:
        checks["nats"] = "ok"
    ready = all(v == "ok" for v in checks.values())
    headers = {} if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        200 if ready else 503,
        headers=headers,
    )
