"""Flask + structlog, as a team writes request logging without the template.

Built the way structlog's documentation shows it:

- "Performance": its production-ready configuration, "as fast as it gets": cached loggers,
  ``make_filtering_bound_logger(logging.INFO)``, ``merge_contextvars`` first, log level,
  exception rendering, an ISO UTC timestamp, ``JSONRenderer(serializer=orjson.dumps)``,
  written by ``BytesLoggerFactory`` (straight to stdout, no standard-library ``logging``).
  orjson is what the baked service uses too.
- "Frameworks" / Flask: configure structlog before creating the app; a ``request_started``
  signal handler clears the context variables and binds the request ID (the client's
  ``X-Request-ID``, or a new one) and request details with ``bind_contextvars``.
- A summary line per request in ``after_request`` (method and path come from the context),
  with status, duration and size, echoing the request ID in the response.

What it does not do, unlike the baked service: check the incoming request ID, redact
anything, log per-request debug or slow requests, or summarise failed and streamed requests.
"""

import logging
import time
import uuid

import orjson
import structlog
from flask import Flask, g, request, request_started

structlog.configure(
    cache_logger_on_first_use=True,
    wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(serializer=orjson.dumps),
    ],
    logger_factory=structlog.BytesLoggerFactory(),
)

app = Flask(__name__)
log = structlog.get_logger("http")


def bind_request_details(sender: Flask, **extras: object) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request.headers.get("X-Request-ID") or uuid.uuid4().hex,
        method=request.method,
        path=request.path,
    )
    g.start = time.perf_counter()


request_started.connect(bind_request_details, app)


@app.after_request
def log_request(response):
    log.info(
        "request_completed",
        status=response.status_code,
        duration_ms=round((time.perf_counter() - g.start) * 1000, 2),
        size=response.content_length,
    )
    response.headers["X-Request-ID"] = structlog.contextvars.get_contextvars()["request_id"]
    return response


@app.get("/health")
def health():
    return {"status": "ok"}
