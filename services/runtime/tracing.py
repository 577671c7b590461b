"""OpenTelemetry traces across Khum: gateway -> service -> NATS -> consumer, one trace.

Off by default. ``KHUM_<PROCESS>_TRACE_EXPORT`` turns it on: ``otlp`` sends spans over OTLP/HTTP
(endpoint from the standard ``OTEL_EXPORTER_OTLP_ENDPOINT``), ``jsonl:<path>`` appends them as
JSON lines to a file (for tests and for a quick look without a collector).

Context travels as W3C ``traceparent``: in HTTP headers between gateway and services, and in
the CloudEvents ``traceparent`` extension plus a NATS header on every event.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("khum")


class JsonLinesExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object a line (several processes may share it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            context = span.get_span_context()
            if context is None:
                continue
            lines.append(
                json.dumps(
                    {
                        "name": span.name,
                        "trace_id": format(context.trace_id, "032x"),
                        "span_id": format(context.span_id, "016x"),
                        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
                        "process": span.resource.attributes.get("service.name"),
                        "kind": span.kind.name,
                        "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
                    }
                )
            )
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def setup_tracing(process: str, export: str | None) -> None:
    """Install a tracer provider for this process, or leave tracing off (the default)."""
    if not export:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"khum-{process}"}))
    if export.startswith("jsonl:"):
        path = Path(export.removeprefix("jsonl:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path)))
    elif export == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        raise ValueError(f"unknown trace export {export!r}: use otlp or jsonl:<path>")
    trace.set_tracer_provider(provider)


def tracing_on() -> bool:
    """Whether spans are recorded here (a provider installed by ``setup_tracing`` or an SDK).
    Without one, a span with no parent to pass on does nothing but cost time."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def inject(headers: dict[str, str]) -> dict[str, str]:
    _propagator.inject(headers)
    return headers


@contextmanager
def span_from(traceparent: str | None, name: str, kind: SpanKind, **attributes: Any) -> Iterator[None]:
    """Run a block in a span whose parent is the given ``traceparent`` (if any)."""
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    token = otel_context.attach(parent) if parent is not None else None
    try:
        with _tracer.start_as_current_span(name, kind=kind, attributes=attributes):
            yield
    finally:
        if token is not None:
            otel_context.detach(token)
