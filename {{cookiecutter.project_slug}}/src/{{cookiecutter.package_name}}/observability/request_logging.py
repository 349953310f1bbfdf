"""One summary per request, with timings, and the request context around it.

``RequestLogging`` is WSGI middleware around Flask's ``wsgi_app``: it sees every request,
including those Flask answers with an error, and it reads the raw WSGI environ once instead
of going through Flask's request object and per-hook dispatch on the hot path.

On the way in: accept a safe ``X-Request-ID`` or generate one, read the W3C trace context
(a valid ``traceparent`` gives the request its trace ID and a new span ID of its own; the
caller's span and sampled flag and the ``tracestate`` are kept: ``trace_context``), decide
per-request debug, bind the context, and (at DEBUG) log ``request_started`` with the query
string and headers (redacted centrally by key). On the way out: echo the request ID, log
``request_completed`` (INFO; ERROR for 5xx) with status, duration, size, content type and
the route template Flask matched where it differs from the path (``route``), and
``slow_request`` (WARNING) past ``SLOW_REQUEST_MS``; then reset the context, so nothing
leaks into the next request on the same thread. A streamed body (no Content-Length) keeps
the context until the server closes it, and is summarised then, with the bytes it sent: a
body the server closes before its end (the client went away) is ``aborted``, not a failure;
a body that raises is ``stream_failed`` and a 500.

An exception that escapes a request (a failed stream, or one Flask let through) carries the
request's context (``context.remember_context``), so the server's own line about it, logged
after the context was reset (gunicorn's "Error handling request"), still names the request.

The summary goes through ``Pipeline.emit``: the formatter's one entry point makes its line,
written straight to the service's sinks when nothing else would see the record, else
through logging (``pipeline.py``).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from werkzeug.datastructures import EnvironHeaders

from ..config import Settings
from .context import (
    MISSING,
    LogContext,
    bind,
    current,
    new_request_id,
    new_span_id,
    parse_traceparent,
    remember_context,
    unbind,
    valid_request_id,
    valid_tracestate,
)
from .debug import DEBUG_HEADER, debug_reason
from .pipeline import Pipeline

REQUEST_ID_HEADER = "X-Request-ID"


def environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


REQUEST_ID_KEY = environ_key(REQUEST_ID_HEADER)
DEBUG_KEY = environ_key(DEBUG_HEADER)
TRACEPARENT_KEY = environ_key("traceparent")
TRACESTATE_KEY = environ_key("tracestate")
log = logging.getLogger("http")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
# Told of every request summary: (method, route template or None, status, duration_ms).
RequestObserver = Callable[[str, str | None, int, float], None]


def request_path(environ: Environ) -> str:
    """The path as Flask's ``request.path`` shows it (WSGI strings are latin-1 wrapped UTF-8)."""
    raw: str = environ.get("PATH_INFO", "")
    path = raw.encode("latin-1", "replace").decode("utf-8", "replace") if not raw.isascii() else raw
    return path if path.startswith("/") else "/" + path


def plain_int(value: str) -> int | None:
    """ASCII digits as an int, anything else None: ``"²".isdigit()`` is True but ``int("²")``
    raises, and ``int`` reads other scripts' digits too, so ``isdigit`` alone is not enough."""
    return int(value) if value.isdigit() and value.isascii() else None


def matched_route(environ: Environ) -> str | None:
    """The route template Flask matched (``/orders/<int:order_id>``), from the request Flask
    keeps in the environ until it pops its context (so: read when it starts the response);
    None when no rule matched (404, 405)."""
    rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
    route = getattr(rule, "rule", None)
    return route if isinstance(route, str) else None


def response_fields(status_line: str, headers: list[tuple[str, str]]) -> tuple[int, int | None, str | None, bool]:
    """Status, size, content type and whether a Content-Length was set, in one pass."""
    status = int(status_line[:3])
    size: int | None = None
    content_type: str | None = None
    has_length = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-length":
            has_length = True
            size = int(value) if value.isdigit() and value.isascii() else None  # plain_int, inlined
        elif lowered == "content-type":
            content_type = value
    return status, size, content_type, has_length


def trace_context(environ: dict[str, Any], base: LogContext) -> LogContext:
    """``base`` with the request's W3C trace context, if a valid ``traceparent`` came in: its
    trace ID, a new random span ID for this request, the caller's span as the parent, the
    sampled flag, and ``tracestate`` to pass on unchanged. An invalid one changes nothing."""
    parent = parse_traceparent(environ.get(TRACEPARENT_KEY))
    if parent is None:
        return base
    return base._replace(
        trace_id=parent.trace_id,
        span_id=new_span_id(),
        parent_span_id=parent.parent_id,
        sampled=parent.sampled,
        tracestate=valid_tracestate(environ.get(TRACESTATE_KEY)),
    )


def trace_fields(context: LogContext) -> list[tuple[str, object]]:
    """What request_started and request_completed add about the caller's span, if traced."""
    if context.parent_span_id is None:
        return []
    return [("parent_span_id", context.parent_span_id), ("trace_sampled", context.sampled)]


class RequestLogging:
    def __init__(self, app: WSGIApp, settings: Settings, pipeline: Pipeline) -> None:
        self.app = app
        self.pipeline = pipeline
        self.slow_ms = settings.slow_request_ms
        self.probe_paths = settings.log_probe_paths
        self.token = settings.debug_log_token
        self.sample_rate = settings.log_sample_rate
        self.debug_possible = settings.per_request_debug_possible
        # The service's one redactor: query strings are redacted by the same policy as lines.
        self.redactor = pipeline.redactor
        # Whether request_started is wanted for every request (http at DEBUG by configuration).
        # With per-request debug possible the loggers run at DEBUG, so isEnabledFor can't say.
        self.started_always = pipeline.policy.level_for(log.name) <= logging.DEBUG
        # What integrations add to see each summary (metrics); empty, so free, when none does.
        self.observers: tuple[RequestObserver, ...] = ()
        # What starts the request's trace instead of the W3C parsing here (OpenTelemetry's
        # server span: otel/spans.py); it returns the context with the span's IDs.
        self.start_trace: Callable[[Environ, LogContext], LogContext] | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start = time.perf_counter()
        raw_id = environ.get(REQUEST_ID_KEY)
        request_id = (raw_id is not None and valid_request_id(raw_id)) or new_request_id()
        sent_token = environ.get(DEBUG_KEY)
        reason = debug_reason(sent_token, self.token, self.sample_rate) if self.debug_possible else None
        method = environ.get("REQUEST_METHOD", MISSING)
        context = LogContext(request_id, MISSING, method, request_path(environ), None, reason)
        if self.start_trace is not None:
            context = self.start_trace(environ, context)
        elif TRACEPARENT_KEY in environ:
            context = trace_context(environ, context)
        token = bind(context)
        response: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID_HEADER, request_id))
            response[:] = [status, headers, matched_route(environ)]
            return start_response(status, headers, exc_info)

        streamed = False
        try:
            rejected_id = raw_id is not None and raw_id != request_id
            if rejected_id or sent_token is not None or reason or self.started_always:
                self.log_start(environ, raw_id, rejected_id, sent_token, reason)
            result = self.app(environ, capture)
            status_line, headers, route = response or ["500 INTERNAL SERVER ERROR", [], None]
            status, size, content_type, has_length = response_fields(status_line, headers)
            if not has_length and status not in BODILESS_STATUSES and environ.get("REQUEST_METHOD") != "HEAD":
                # The body is still to come: finish when the server closes it.
                body = StreamedBody(
                    result, partial(self.finish, start, status, content_type, reason, token, route=route)
                )
                streamed = True
                return body
            self.log_completion(start, status, size, content_type, reason, route=route)
            return result
        except BaseException as error:
            remember_context(error, current())
            self.log_completion(start, 500, None, None, reason, route=response[2] if response else None)
            raise
        finally:
            if not streamed:
                unbind(token)

    def finish(  # noqa: PLR0917 - bound positionally with partial, then called with size/failed/aborted
        self,
        start: float,
        status: int,
        content_type: str | None,
        reason: str | None,
        token: contextvars.Token[LogContext | None],
        size: int,
        failed: bool,
        aborted: bool,
        route: str | None = None,
    ) -> None:
        """End of a streamed body: log with the body's real duration and size, then unbind.

        A failed body is the service's fault: a 500. An aborted one (the server stopped asking
        for chunks, because the client went away) is not: the status the client was being
        sent, at its usual level, marked ``aborted``.
        """
        try:
            self.log_completion(start, 500 if failed else status, size, content_type, reason, aborted, route)
        finally:
            unbind(token)

    def log_start(
        self, environ: Environ, raw_id: str | None, rejected_id: bool, sent_token: str | None, reason: str | None
    ) -> None:
        if rejected_id and raw_id is not None:
            # Length only: the rejected value may be hostile, so it is never echoed.
            log.warning("request_id_rejected", extra={"header_length": len(raw_id)})
        if sent_token is not None and reason != "token":
            log.warning("debug_token_rejected", extra={"configured": bool(self.token)})
        if reason is not None:
            # An audit trail of raised verbosity: that it was on, why, for which request.
            log.info("debug_logging_enabled", extra={"debug_reason": reason})
        if (reason is not None or self.started_always) and log.isEnabledFor(logging.DEBUG):
            length = environ.get("CONTENT_LENGTH", "")  # the client's: may be anything
            headers = dict(EnvironHeaders(environ))
            if rejected_id:
                headers["X-Request-Id"] = "[REJECTED]"  # never echo a rejected value
            log.debug(
                "request_started",
                extra={
                    "query": self.redactor.query(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
                    "headers": headers,
                    "content_type": environ.get("CONTENT_TYPE") or None,
                    "content_length": plain_int(length),
                    **dict(trace_fields(current())),
                },
            )

    def log_completion(  # noqa: PLR0917 - the summary's fields, on the hot path
        self,
        start: float,
        status: int,
        size: int | None,
        content_type: str | None,
        reason: str | None,
        aborted: bool = False,
        route: str | None = None,
    ) -> None:
        """``request_completed`` (and ``slow_request``), through the pipeline's one entry point."""
        elapsed = int((time.perf_counter() - start) * 100_000 + 0.5) / 100  # ms, 2 places; cheaper than round()
        fields: list[tuple[str, object]] = [
            ("status", status),
            ("duration_ms", elapsed),
            ("size", size),
            ("content_type", content_type),
        ]
        if route is not None and route != current().path:
            # Not repeated where it is the path (/health): the summary stays as small as it was.
            fields.append(("route", route))
        if aborted:
            fields.append(("aborted", True))
        if reason is not None:
            fields.append(("debug_reason", reason))
            if reason == "sampled":
                fields.append(("sample_rate", self.sample_rate))
        context = current()
        if context.parent_span_id is not None:
            fields += trace_fields(context)
        self.pipeline.emit(log, self.summary_level(status), "request_completed", fields)
        if self.observers:
            for observe in self.observers:
                observe(context.method, route, status, elapsed)
        if self.slow_ms and elapsed > self.slow_ms:
            log.warning("slow_request", extra={"duration_ms": elapsed, "threshold_ms": self.slow_ms})

    def summary_level(self, status: int) -> int:
        """INFO; ERROR for 5xx. A probe (``LOG_PROBE_PATHS``) that succeeds logs at DEBUG, so an
        orchestrator polling every few seconds does not bury the requests that matter (still
        visible at DEBUG, and for per-request debug); a 503 from it (not ready) at INFO, since
        the readiness check that failed is logged, once, when it started failing."""
        if status < 400 and self.probe_paths and current().path in self.probe_paths:
            return logging.DEBUG
        if status >= 500 and not (status == 503 and current().path in self.probe_paths):
            return logging.ERROR
        return logging.INFO


BODILESS_STATUSES = frozenset({204, 304})


class StreamedBody:
    """Wraps a streamed WSGI body so the request's context stays bound while it is produced,
    and the request is summarised (real duration, bytes handed to the server) when the server
    closes it, as PEP 3333 requires every server to do.

    An iterator object, not a generator, in the shape of Werkzeug's ``ClosingIterator``: a
    server that stops early (the client went away, so its write failed) drops its iterator
    and calls ``close``. A generator would then get ``GeneratorExit`` at its ``yield``, which
    is indistinguishable from the body failing; here nothing is thrown into the wrapper, and
    ``close`` before the end of the body means "aborted". Only an exception raised while the
    wrapped body produces a chunk is a failure (``stream_failed``, a 500).
    """

    __slots__ = ("body", "failed", "finished", "next_chunk", "on_close", "size")

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int, bool, bool], None]) -> None:
        self.body = body
        self.next_chunk = iter(body).__next__
        self.on_close = on_close
        self.size = 0
        self.finished = False
        self.failed = False

    def __iter__(self) -> StreamedBody:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = self.next_chunk()
        except StopIteration:
            self.finished = True
            raise
        except BaseException as error:
            self.failed = True
            remember_context(error, current())
            log.exception("stream_failed")
            raise
        self.size += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close(self.size, self.failed, not (self.finished or self.failed))


def init_request_logging(app: Flask, settings: Settings, pipeline: Pipeline) -> None:
    middleware = RequestLogging(app.wsgi_app, settings, pipeline)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.extensions["request_logging"] = middleware  # where integrations add their observers
