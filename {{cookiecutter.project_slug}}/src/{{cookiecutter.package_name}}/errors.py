"""JSON error handlers, in one place.

Every error answers JSON carrying the request ID, so a user's bug report leads straight to
the logs. An unhandled exception is logged once, at ERROR, with its (redacted) stack; its
text is never sent to the client.
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from .config import Settings
from .observability.context import current

log = logging.getLogger("errors")


def error_body(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message, "request_id": current().request_id}


def handle_http_error(exc: HTTPException) -> tuple[dict[str, str], int, dict[str, str]]:
    name = (exc.name or "error").lower().replace(" ", "_")
    # Keep headers such as Allow (405) or Retry-After (429); the body is ours.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_body(name, exc.description or ""), exc.code or 500, headers


def handle_unexpected_error(exc: Exception) -> tuple[dict[str, str], int]:
    log.error("unhandled_exception", exc_info=exc)
    return error_body("internal_server_error", "The server hit an unexpected error."), 500


def register_errorhandlers(app: Flask, settings: Settings) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
