"""A server span for every request and a client span for every dependency call.

The server span is started by request logging's middleware (``RequestLogging.start_trace``)
before anything of the request is logged, and ended by its summary (a request observer),
after ``request_completed`` is written: so every line of the request, the first and the
summary included, carries this span's ``trace_id`` and ``span_id``, and the span measures
what ``duration_ms`` measures. An incoming ``traceparent`` (and ``tracestate``, baggage:
whatever ``OTEL_PROPAGATORS`` names) is read by OpenTelemetry's propagators, so the span
joins the caller's trace; the line's ``parent_span_id`` is the caller's span, as before.

Attributes follow OpenTelemetry's HTTP conventions, redacted like the log line (the path
goes through the redactor; the query string is left out). The method is one of the known
ones or ``_OTHER`` (the span name ``HTTP``), and the name gains the route template, never
the raw path: names stay few. ``request_id`` is an attribute, so a span leads to
``flask logs trace <request_id>``.

A dependency call (``track_dependency``, ``http_request``) is a client span under the
request's, current while the call runs, so ``http_request`` sends its context downstream
through the propagators; its ID is logged on ``dependency_call`` as ``client_span_id``, the
parent the called service will log.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from ..context import LogContext
from ..dependencies import DependencyCall
from ..redaction import Redactor, safe_url
from ..request_logging import TRACEPARENT_KEY, Environ, trace_context
from .providers import Runtime

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
REQUEST_ID_ATTRIBUTE = "request_id"
MAX_PATH_CHARS = 2048
MAX_METHOD_CHARS = 64
# The request's open server span and the token that made it current, until its summary.
Opened = tuple[Any, contextvars.Token[Context]]  # a span, and the token that made it current


@dataclass
class ServerSpan:
    """The request's open server span: what ``end`` needs, and the tokens that undo ``start``.
    The name is kept here: an unsampled span (``NonRecordingSpan``) has none to read back."""

    span: Any
    name: str
    attached: contextvars.Token[Context]
    opened: contextvars.Token[ServerSpan | None] | None = None


# The request's open server span, until its summary. Reset, not cleared, at the end: a request
# served inside another on the same thread (a test client in a view) gets the outer one back.
_open: contextvars.ContextVar[ServerSpan | None] = contextvars.ContextVar("otel_server_span", default=None)


class EnvironGetter(Getter[Environ]):
    """Reads propagation headers from a WSGI environ (``traceparent`` is ``HTTP_TRACEPARENT``)."""

    def get(self, carrier: Environ, key: str) -> list[str] | None:
        value = carrier.get("HTTP_" + key.upper().replace("-", "_"))
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Environ) -> list[str]:
        return [key[5:].lower().replace("_", "-") for key in carrier if key.startswith("HTTP_")]


ENVIRON = EnvironGetter()


def hex_ids(context: SpanContext) -> tuple[str, str]:
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class ServerSpans:
    """``start`` is the middleware's trace hook; ``end`` a request observer."""

    def __init__(self, runtime: Runtime, redactor: Redactor) -> None:
        self.runtime = runtime
        self.redactor = redactor

    def start(self, environ: Environ, base: LogContext) -> LogContext:
        """Start the request's span and make it current; ``base`` with its IDs."""
        tracer = self.runtime.tracer
        if tracer is None:  # not started in this process: the W3C context alone, as without the extra
            return trace_context(environ, base) if TRACEPARENT_KEY in environ else base
        parent = propagate.extract(environ, getter=ENVIRON)
        method = base.method if base.method in METHODS else "_OTHER"
        attributes: dict[str, str] = {
            "http.request.method": method,
            "url.path": self.redactor.text(base.path, MAX_PATH_CHARS),
            "url.scheme": str(environ.get("wsgi.url_scheme", "http")),
            REQUEST_ID_ATTRIBUTE: base.request_id,
        }
        if method == "_OTHER":
            attributes["http.request.method_original"] = self.redactor.text(base.method, MAX_METHOD_CHARS)
        name = method if method != "_OTHER" else "HTTP"
        span = tracer.start_span(name, context=parent, kind=SpanKind.SERVER, attributes=attributes)
        opened = ServerSpan(span, name, otel_context.attach(trace.set_span_in_context(span, parent)))
        opened.opened = _open.set(opened)
        trace_id, span_id = hex_ids(span.get_span_context())
        caller = trace.get_current_span(parent).get_span_context()
        return base._replace(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=hex_ids(caller)[1] if caller.is_valid else None,
            sampled=span.get_span_context().trace_flags.sampled,
            tracestate=None,  # the propagators carry it
        )

    def end(self, method: str, route: str | None, status: int, duration_ms: float) -> None:
        """After the summary: route, status, end; the span is no longer current, whatever
        happens here (an unsampled span takes the calls and records nothing)."""
        opened = _open.get()
        if opened is None:
            return
        span = opened.span
        try:
            if route is not None:
                span.set_attribute("http.route", route)
                span.update_name(f"{opened.name} {route}" if opened.name != "HTTP" else opened.name)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_attribute("error.type", str(status))
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        finally:
            otel_context.detach(opened.attached)
            if opened.opened is not None:
                _open.reset(opened.opened)


class ClientSpans:
    """The dependency helper's tracing (``dependencies.use_tracing``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def start(self, call: DependencyCall) -> Opened | None:
        tracer = self.runtime.tracer
        if tracer is None:
            return None
        attributes: dict[str, str | int] = {"peer.service": call.dependency}
        if call.url:
            url = safe_url(call.url)
            attributes["url.full"] = url
            attributes["http.request.method"] = call.operation
        span = tracer.start_span(f"{call.dependency} {call.operation}", kind=SpanKind.CLIENT, attributes=attributes)
        call.span_id = hex_ids(span.get_span_context())[1]
        return span, otel_context.attach(trace.set_span_in_context(span))

    def end(self, handle: object, call: DependencyCall) -> None:
        span, token = cast(Opened, handle)  # what start returned
        try:
            if call.status is not None:
                span.set_attribute("http.response.status_code", call.status)
            if call.error is not None or (call.status is not None and call.status >= 500):
                span.set_attribute("error.type", call.error or str(call.status))
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        finally:
            otel_context.detach(token)

    def inject(self, headers: dict[str, str]) -> bool:
        """The current context's propagation headers (the client span's, inside a call)."""
        if self.runtime.tracer is None:
            return False
        propagate.inject(headers)
        return True
