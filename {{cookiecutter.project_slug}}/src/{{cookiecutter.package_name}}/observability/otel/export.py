"""What OpenTelemetry sends leaves the process redacted, like every log line.

Spans: ``RedactingSpanExporter`` wraps the OTLP exporter and redacts each finished span,
whoever made it (the service, the team's own ``trace.get_tracer`` spans, another
instrumentation): an attribute under a sensitive key (``http.request.header.authorization``,
``db.password``) becomes ``[REDACTED]``; every other string (the span name, event names,
attribute and event values such as ``exception.message`` and ``exception.stacktrace``, the
status description) goes through the service's redactor, URLs with their password and sensitive
query values hidden. Redaction happens on the batch thread, off the request's path.

Logs (``OTEL_LOGS_EXPORTER=otlp``): ``OtlpLogHandler`` sits on the root logger beside the
service's sinks, behind the same per-request debug gate, and sends each record as the same
redacted event the JSON line is made from: the message as the body, the other fields as
attributes (nested values as JSON text), the level as severity, and the request's trace and
span IDs as the record's trace context. OpenTelemetry's own records (an exporter failing) are
not sent back through it: stdout has them, and a failing export must not feed itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, Status, TraceFlags

from ..context import RECORD_ATTRIBUTE, LogContext, current
from ..formatting import EventFormatter
from ..handlers import ReportOnce
from ..redaction import MAX_EXC_CHARS, REDACTED, Redactor
from .providers import Runtime

SEVERITIES = {
    "DEBUG": SeverityNumber.DEBUG,
    "INFO": SeverityNumber.INFO,
    "WARNING": SeverityNumber.WARN,
    "ERROR": SeverityNumber.ERROR,
    "CRITICAL": SeverityNumber.FATAL,
}
# Records of these loggers stay on stdout only: an exporter's failure must not feed itself.
NOT_EXPORTED = ("opentelemetry", "urllib3", "requests")
# Event fields that are the record's own OTLP fields, not attributes.
OWN_FIELDS = frozenset({"ts", "level", "msg", "trace_id", "span_id"})
LONG_TEXT_KEYS = frozenset({"exception.stacktrace", "exc", "stack"})


class AttributeRedactor:
    """Span attributes, names and descriptions through the service's redactor."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def text(self, key: str, value: str) -> str:
        if "://" in value and " " not in value:
            value = self.redactor.url(value)
        if key in LONG_TEXT_KEYS:
            return self.redactor.exception_text(value)
        return self.redactor.text(value, MAX_EXC_CHARS)

    def value(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(key, value)
        if isinstance(value, (tuple, list)):
            return tuple(self.text(key, item) if isinstance(item, str) else item for item in value)
        return value

    def attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        hidden = self.redactor.is_sensitive_key
        return {
            key: REDACTED if hidden(key) and value not in ("", (), None) else self.value(key, value)
            for key, value in (attributes or {}).items()
        }


class RedactingSpanExporter(SpanExporter):
    """Redacts every span, then hands it to the real exporter."""

    def __init__(self, exporter: SpanExporter, redactor: Redactor) -> None:
        self.exporter = exporter
        self.redact = AttributeRedactor(redactor)

    def span(self, span: ReadableSpan) -> ReadableSpan:
        redact = self.redact
        status = span.status
        return ReadableSpan(
            name=redact.text("", span.name),
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=redact.attributes(span.attributes),
            events=[Event(redact.text("", e.name), redact.attributes(e.attributes), e.timestamp) for e in span.events],
            links=[Link(link.context, redact.attributes(link.attributes)) for link in span.links],
            kind=span.kind,
            status=Status(status.status_code, redact.text("", status.description)) if status.description else status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([self.span(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.exporter.force_flush(timeout_millis))


class EventCapture(EventFormatter):
    """The service's formatter stopped before rendering: ``format`` leaves the redacted event
    (the JSON line's fields, in the service's own names) in ``event``. Used under the
    handler's lock, one record at a time."""

    event: dict[str, object]

    def render(self, event: dict[str, object]) -> str:
        self.event = event
        return ""


def attribute(value: object) -> Any:
    """An OTLP attribute value: scalars as they are, anything nested as its JSON text."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def span_context(context: LogContext) -> Any:
    """The record's request trace as an OpenTelemetry context, or None outside a trace."""
    if not context.trace_id or not context.span_id:
        return None
    flags = TraceFlags(TraceFlags.SAMPLED if context.sampled else TraceFlags.DEFAULT)
    parent = SpanContext(int(context.trace_id, 16), int(context.span_id, 16), is_remote=False, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent))


class OtlpLogHandler(ReportOnce, logging.Handler):
    """Sends records to the process's OpenTelemetry logger (``Runtime.logger``)."""

    def __init__(self, runtime: Runtime, formatter: EventFormatter) -> None:
        logging.Handler.__init__(self)
        self.runtime = runtime
        self.capture = EventCapture(formatter.redactor, formatter.identity)

    def emit(self, record: logging.LogRecord) -> None:
        logger = self.runtime.logger
        if logger is None or record.name.startswith(NOT_EXPORTED):
            return
        try:
            self.capture.format(record)
            event = self.capture.event
            context: LogContext = getattr(record, RECORD_ATTRIBUTE, None) or current()
            logger.emit(
                timestamp=int(record.created * 1e9),
                context=span_context(context),
                severity_number=SEVERITIES.get(record.levelname, SeverityNumber.UNSPECIFIED),
                severity_text=record.levelname,
                body=str(event.get("msg", "")),
                attributes={k: attribute(v) for k, v in event.items() if k not in OWN_FIELDS and v is not None},
            )
        except Exception:  # reported once on stderr (ReportOnce); stdout still has the line
            self.handleError(record)

    def sink_name(self) -> str:
        return "OpenTelemetry logs"
