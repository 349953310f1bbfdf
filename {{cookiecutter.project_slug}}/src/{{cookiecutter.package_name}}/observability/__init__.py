"""Observability for the service: structured logs with request context and redaction.

The public API, for application code:

- ``set_user_context(user_id)``: attach the authenticated user to this request's records.
- ``log_event(logger, "event", **fields)``: log an event with fields, any names allowed.
- ``StepTimer("name")``: time a block or function (``step_timing``).
- ``track_dependency(...)`` / ``http_request(...)``: log calls to other services.
- ``debug_enabled()``: gate expensive debug detail on per-request debug.
- ``run_in_context(fn)`` / ``submit_in_context(executor, fn)``: keep the request ID in threads.
"""

from .context import run_in_context, set_user_context, submit_in_context
from .debug import debug_enabled
from .dependencies import http_request, track_dependency
from .events import log_event
from .timing import StepTimer

__all__ = [
    "StepTimer",
    "debug_enabled",
    "http_request",
    "log_event",
    "run_in_context",
    "set_user_context",
    "submit_in_context",
    "track_dependency",
]
