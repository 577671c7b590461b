"""Structured JSON logs with a correlation id on every line.

The correlation id names one user action across processes: the gateway makes one per request
(or takes the caller's ``X-Correlation-Id``), sends it to services, and events carry it on;
consumers put it back in context, so every log line about that action can be found together.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from opentelemetry import trace

CORRELATION_HEADER = "x-correlation-id"
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "process": self.process,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (cid := correlation_id.get()) is not None:
            entry["correlation_id"] = cid
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(process: str, level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(process))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every request's full URL at INFO, and Telegram's Bot API puts the bot token in
    # the URL: the services log their calls to providers themselves, without secrets.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


# A correlation id only has to be unique, not secret: a random prefix per process and a
# counter cost no system call per request (uuid4 read the kernel's random source each time).
_PREFIX = os.urandom(8).hex()
_COUNTER = itertools.count()


def new_correlation_id() -> str:
    return f"{_PREFIX}{next(_COUNTER):016x}"
