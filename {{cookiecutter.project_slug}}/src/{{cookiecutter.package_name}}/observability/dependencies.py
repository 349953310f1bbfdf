"""Calls to other services, each logged as one ``dependency_call`` record.

``track_dependency`` times any call (a database query, an SDK method) and logs dependency,
``operation`` (the HTTP method or the call's name; ``method`` on every record is the incoming
request's), a safe URL (no userinfo, query or fragment), status, ``duration_ms``,
retries and an error category. ``http_request`` is a small outgoing-HTTP helper on the
standard library that does the same and passes this request's identity downstream, so the
other service's lines join this request's: ``X-Request-ID`` always, and when the request came
with a W3C trace, ``traceparent`` (same trace, this request's span as the parent, the
caller's sampled flag) and the caller's ``tracestate``, unchanged.

With OpenTelemetry on (``otel/``), each call is also a client span under the request's, and
``http_request`` sends that span's context through OpenTelemetry's propagators instead; the
span's ID is logged as ``client_span_id``, the parent the called service logs.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from .context import MISSING, current, traceparent_header
from .redaction import safe_url

log = logging.getLogger("deps")


@dataclass
class DependencyCall:
    """Filled in by the caller inside ``track_dependency`` (status, retries)."""

    dependency: str
    operation: str
    url: str
    status: int | None = None
    retries: int = 0
    error: str | None = None
    # The call's client span, when OpenTelemetry traces it.
    span_id: str | None = None


class CallTracing(Protocol):
    """What traces dependency calls (``otel.spans.ClientSpans``); None, and free, when off."""

    def start(self, call: DependencyCall) -> object | None: ...
    def end(self, handle: object, call: DependencyCall) -> None: ...
    def inject(self, headers: dict[str, str]) -> bool: ...


_tracing: CallTracing | None = None


def use_tracing(tracing: CallTracing | None) -> None:
    """Set by ``register_integrations`` for the process (OpenTelemetry's provider is global too)."""
    global _tracing
    _tracing = tracing


def error_category(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"http_{exc.code // 100}xx"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "timeout"
    if isinstance(exc, OSError):  # ConnectionError and URLError are OSErrors
        return "connection"
    return type(exc).__name__


def log_dependency_call(call: DependencyCall, duration_ms: float) -> None:
    failed = call.error is not None or (call.status is not None and call.status >= 500)
    log.log(
        logging.WARNING if failed else logging.INFO,
        "dependency_call",
        extra={
            "dependency": call.dependency,
            "operation": call.operation,
            "url": safe_url(call.url),
            "status": call.status,
            "duration_ms": duration_ms,
            "retries": call.retries,
            "error": call.error,
            **({"client_span_id": call.span_id} if call.span_id is not None else {}),
        },
    )


@contextmanager
def track_dependency(dependency: str, operation: str, url: str = "") -> Iterator[DependencyCall]:
    """Time the block and log it; set ``call.status``/``call.retries`` inside if known."""
    call = DependencyCall(dependency=dependency, operation=operation, url=url)
    tracing = _tracing
    span = tracing.start(call) if tracing is not None else None
    start = time.perf_counter()
    try:
        yield call
    except BaseException as exc:
        call.error = call.error or error_category(exc)
        raise
    finally:
        try:
            log_dependency_call(call, round((time.perf_counter() - start) * 1000, 2))
        finally:  # the span is ended and no longer current, whatever logging did
            if tracing is not None and span is not None:
                tracing.end(span, call)


def propagation_headers() -> dict[str, str]:
    """Headers that carry this request's identity to a downstream service."""
    context = current()
    headers: dict[str, str] = {}
    if context.request_id != MISSING:
        headers["X-Request-ID"] = context.request_id
    if _tracing is not None and _tracing.inject(headers):
        return headers
    traceparent = traceparent_header(context)
    if traceparent is not None:
        headers["traceparent"] = traceparent
        if context.tracestate is not None:
            headers["tracestate"] = context.tracestate
    return headers


def http_request(
    dependency: str,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """Send one HTTP request with urllib; return (status, body). Errors are logged and raised."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):  # never file:, ftp: or custom schemes
        raise ValueError(f"http_request is for http(s) URLs, not {safe_url(url)!r}")
    request = urllib.request.Request(url, data=body, method=method.upper())  # noqa: S310 - scheme checked above
    with track_dependency(dependency, method.upper(), url) as call:
        # Inside the call: with OpenTelemetry, its client span is the parent sent downstream.
        for name, value in {**propagation_headers(), **(headers or {})}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
                call.status = response.status
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            call.status = exc.code
            raise
