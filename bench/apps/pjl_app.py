"""Flask + python-json-logger, as a team writes request logging without the template.

Built the way the libraries' documentation shows it:

- Flask's "Logging" page: configure logging with ``dictConfig`` before the app is created.
- python-json-logger's quick start: its ``JsonFormatter`` (the standard library's ``json``)
  on a ``StreamHandler``, fields chosen with a ``%``-style ``format``; extra fields through
  ``extra=``.
- python-json-logger's cookbook, "Request / Trace IDs", solution 2 (after the logging
  cookbook's filter recipe): a ``logging.Filter`` that puts the current request ID on every
  record. The ID lives in a ``ContextVar``, so it is per request under any worker type.
- Flask's ``before_request`` / ``after_request`` hooks: take the client's ``X-Request-ID`` or
  make one, start a timer, and log one summary line per request with method, path, status,
  duration and size, echoing the request ID in the response.

What it does not do, unlike the baked service: check the incoming request ID, redact
anything, log per-request debug or slow requests, or summarise failed and streamed requests.
"""

import logging
import time
import uuid
from contextvars import ContextVar
from logging.config import dictConfig

from flask import Flask, g, request

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


dictConfig(
    {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"level": "INFO", "handlers": ["stdout"]},
    }
)

app = Flask(__name__)
log = logging.getLogger("http")


@app.before_request
def start_request() -> None:
    g.start = time.perf_counter()
    request_id_var.set(request.headers.get("X-Request-ID") or uuid.uuid4().hex)


@app.after_request
def log_request(response):
    log.info(
        "request_completed",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.start) * 1000, 2),
            "size": response.content_length,
        },
    )
    response.headers["X-Request-ID"] = request_id_var.get()
    return response


@app.get("/health")
def health():
    return {"status": "ok"}
