"""One summary per request, with timings, and the request context around it.

Before each request: accept a safe ``X-Request-ID`` or generate one, read ``traceparent``,
decide per-request debug, bind the context, and (at DEBUG) log ``request_started`` with the
query string and headers (redacted centrally by key). After it: echo the request ID, log
``request_completed`` (INFO; ERROR for 5xx) with status, duration, size and content type, and
``slow_request`` (WARNING) past ``SLOW_REQUEST_MS``. The context is reset at teardown, so
nothing leaks into the next request on the same thread.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from ..config import Settings
from .context import LogContext, bind, current, new_request_id, trace_id_from, unbind, valid_request_id
from .debug import DEBUG_HEADER, debug_reason

REQUEST_ID_HEADER = "X-Request-ID"
log = logging.getLogger("http")


def duration_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def init_request_logging(app: Flask, settings: Settings) -> None:
    slow_ms = settings.slow_request_ms
    token = settings.debug_log_token
    sample_rate = settings.log_sample_rate

    @app.before_request
    def start_request() -> None:
        g.request_start = time.perf_counter()
        headers = request.headers
        raw_id = headers.get(REQUEST_ID_HEADER)
        request_id = valid_request_id(raw_id) or new_request_id()
        sent_token = headers.get(DEBUG_HEADER)
        reason = debug_reason(sent_token, token, request_id, sample_rate)
        g.log_context_token = bind(
            LogContext(
                request_id=request_id,
                method=request.method,
                path=request.path,
                trace_id=trace_id_from(headers.get("traceparent")),
                debug_reason=reason,
            )
        )
        if raw_id is not None and raw_id != request_id:
            # Length only: the rejected value may be hostile, so it is never echoed.
            log.warning("request_id_rejected", extra={"header_length": len(raw_id)})
        if sent_token is not None and reason != "token":
            log.warning("debug_token_rejected", extra={"configured": bool(token)})
        if reason is not None:
            # An audit trail of raised verbosity: that it was on, why, for which request.
            log.info("debug_logging_enabled", extra={"debug_reason": reason})
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "request_started",
                extra={
                    "query": request.args.to_dict(flat=False),
                    "headers": dict(headers),
                    "content_type": request.content_type,
                    "content_length": request.content_length,
                },
            )

    @app.after_request
    def complete_request(response: Response) -> Response:
        context = current()
        response.headers[REQUEST_ID_HEADER] = context.request_id
        start = g.get("request_start")
        elapsed = duration_ms(start) if start is not None else None
        status = response.status_code
        fields: dict[str, object] = {
            "status": status,
            "duration_ms": elapsed,
            "size": response.content_length,
            "content_type": response.content_type,
        }
        if context.debug_reason is not None:
            fields["debug_reason"] = context.debug_reason
            if context.debug_reason == "sampled":
                fields["sample_rate"] = sample_rate
        log.log(logging.ERROR if status >= 500 else logging.INFO, "request_completed", extra=fields)
        if slow_ms and elapsed is not None and elapsed > slow_ms:
            log.warning("slow_request", extra={"duration_ms": elapsed, "threshold_ms": slow_ms})
        return response

    @app.teardown_request
    def end_request(_exc: BaseException | None) -> None:
        token_ = g.pop("log_context_token", None)
        if token_ is not None:
            unbind(token_)
