"""The gateway's Prometheus metrics (``/metrics``): service calls, GraphQL operations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

SERVICE_CALLS = Counter(
    "khum_gateway_service_calls", "HTTP calls from the gateway to a service", ["service", "method"]
)

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
