"""Prometheus metrics for every Khum process (``/metrics``).

Counters move as work happens (requests, events published, consumed, dead-lettered); the
gauges that describe a backlog (outbox rows waiting, consumer lag, dead letters stored) are
read when Prometheus scrapes, so they are never stale.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "khum_http_requests", "HTTP requests served", ["process", "method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "khum_http_request_seconds",
    "HTTP request latency",
    ["process", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter("khum_events_published", "Events the outbox relay published", ["process"])
EVENTS_CONSUMED = Counter(
    "khum_events_consumed", "Events handled by a consumer, by outcome", ["consumer", "outcome"]
)
OUTBOX_BACKLOG = Gauge("khum_outbox_backlog", "Outbox rows committed but not yet published", ["process"])
CONSUMER_LAG = Gauge("khum_consumer_lag", "Messages a durable consumer has not yet received", ["consumer"])
CONSUMER_UNACKED = Gauge("khum_consumer_unacked", "Messages delivered but not yet acknowledged", ["consumer"])
DLQ_SIZE = Gauge("khum_dead_letters", "Messages in the dead-letter stream KHUM_DLQ")

router = APIRouter(include_in_schema=False)

BACKLOG_CAP = 10_000


async def refresh_gauges(runtime: Any) -> None:
    """Read backlogs now: outbox rows waiting, each consumer's lag, the dead-letter count."""
    try:
        OUTBOX_BACKLOG.labels(runtime.name).set(len(await runtime.store.pending_outbox(BACKLOG_CAP)))
    except Exception:
        log.debug("outbox backlog unavailable", exc_info=True)
    if not runtime.bus.is_connected:
        return
    for consumer in runtime.consumers:
        try:
            info = await runtime.bus.js.consumer_info(consumer.spec.stream, consumer.spec.durable)
            CONSUMER_LAG.labels(consumer.spec.durable).set(info.num_pending or 0)
            CONSUMER_UNACKED.labels(consumer.spec.durable).set(info.num_ack_pending or 0)
        except Exception:
            log.debug("consumer info unavailable", exc_info=True)
    try:
        DLQ_SIZE.set((await runtime.bus.js.stream_info("KHUM_DLQ")).state.messages)
    except Exception:
        log.debug("dead-letter stream info unavailable", exc_info=True)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        await refresh_gauges(runtime)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
