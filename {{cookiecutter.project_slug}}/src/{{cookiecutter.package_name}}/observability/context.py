"""Request-scoped log context: who and what every record belongs to.

One ``ContextVar`` holds an immutable ``LogContext`` for the current request (or nothing,
outside requests, where every field reads ``-``). Context variables follow the request into
``asyncio`` tasks and, through ``run_in_context``/``submit_in_context``, into threads and
executors, which plain thread-locals do not.

A request that came with a valid W3C ``traceparent`` carries its trace context here too: the
trace ID, a span ID of its own (random, 16 hex digits), the caller's span and sampled flag,
and the ``tracestate`` to pass on unchanged (``parse_traceparent``, ``traceparent_header``).

Every record is stamped with the context when it is made (``stamp_records``, a record factory
installed by ``configure_logging``), so a record handed to a queue or another thread before a
sink writes it keeps its request's identity.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import NamedTuple, ParamSpec, TypeVar

from .redaction import MARGIN

# The fields every record carries, in both formats, in this order.
CONTEXT_FIELDS = ("request_id", "user_id", "method", "path")
MISSING = "-"
MAX_REQUEST_ID = 128
MAX_USER_ID = 256
# A letter or digit first: "-" alone would read as "no request" in every line, and an ID
# starting with "-" reads as an option to the runbook's commands (flask logs trace "$RID").
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.:]*\Z")
# W3C Trace Context (https://www.w3.org/TR/trace-context/#traceparent-header): version,
# trace-id, parent-id and trace-flags in lower-case hex. Version 00 is exactly these 55
# characters; a later version may append "-" and more, which this parser ignores.
TRACEPARENT_RE = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?\Z", re.DOTALL)
MAX_TRACEPARENT = 512
# tracestate is passed on unchanged, or not at all: the recommendation allows up to 32
# list-members of at most 256 characters each (plus separators).
MAX_TRACESTATE = 32 * 257
ZERO_TRACE_ID = "0" * 32
ZERO_SPAN_ID = "0" * 16
SAMPLED = 0x01

P = ParamSpec("P")
R = TypeVar("R")


class LogContext(NamedTuple):
    """Immutable; a NamedTuple because one is built for every request (a frozen dataclass
    costs several times more to construct)."""

    request_id: str = MISSING
    user_id: str = MISSING
    method: str = MISSING
    path: str = MISSING
    trace_id: str | None = None
    # Why this request logs at DEBUG: "token", "sampled", or None.
    debug_reason: str | None = None
    # W3C trace context, set only when a valid traceparent came in: this request's own span
    # (16 hex, random), the caller's span, the caller's sampled flag and its tracestate.
    span_id: str | None = None
    parent_span_id: str | None = None
    sampled: bool = False
    tracestate: str | None = None


_current: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar("log_context", default=None)
_EMPTY = LogContext()


def current() -> LogContext:
    return _current.get() or _EMPTY


def bind(context: LogContext) -> contextvars.Token[LogContext | None]:
    return _current.set(context)


def unbind(token: contextvars.Token[LogContext | None]) -> None:
    _current.reset(token)


def set_user_context(user_id: object | None) -> None:
    """Attach the authenticated user to every later record of this request.

    Call it once your auth layer knows who the caller is. ``None`` or ``""`` clears it.
    Outside a request it does nothing, so shared code may call it freely.
    """
    context = _current.get()
    if context is None:
        return
    # Kept a little longer than shown: the formatter redacts, then cuts to MAX_USER_ID, and
    # must see past the cut (a URL password's "@" may lie beyond it).
    user = str(user_id)[: MAX_USER_ID + MARGIN] if user_id not in (None, "") else MISSING
    _current.set(context._replace(user_id=user))


def valid_request_id(raw: str | None) -> str | None:
    """The incoming X-Request-ID if it is 1-128 characters of ``A-Za-z0-9-_.:`` starting
    with a letter or digit, else None."""
    if raw and len(raw) <= MAX_REQUEST_ID and REQUEST_ID_RE.match(raw):
        return raw
    return None


def new_request_id() -> str:
    """A uuid4 as 32 hex digits, built straight from ``os.urandom`` (``uuid.uuid4().hex``
    gives the same thing through two object constructions, at several times the cost on a
    path every request without an incoming ID takes)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


class TraceParent(NamedTuple):
    """A valid incoming ``traceparent``: the trace it belongs to and the caller's span."""

    trace_id: str
    parent_id: str
    sampled: bool


def parse_traceparent(header: str | None) -> TraceParent | None:
    """The W3C ``traceparent`` header, or None where the recommendation says to ignore it.

    Ignored: a version that is not two lower-case hex digits, or is ``ff``; version ``00``
    that is not exactly ``00-<32 hex>-<16 hex>-<2 hex>`` (extra fields included); a later
    version shorter than 55 characters or not followed by ``-`` after them; upper-case hex;
    an all-zero trace-id or parent-id. Surrounding spaces and tabs (HTTP's optional
    whitespace) are not part of the value. Several ``traceparent`` headers reach WSGI joined
    by commas, which no valid value contains, so they are ignored too.
    """
    if not header or len(header) > MAX_TRACEPARENT:
        return None
    value = header.strip(" \t")
    match = TRACEPARENT_RE.match(value)
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == ZERO_TRACE_ID or parent_id == ZERO_SPAN_ID:
        return None
    return TraceParent(trace_id, parent_id, bool(int(flags, 16) & SAMPLED))


def trace_id_from(traceparent: str | None) -> str | None:
    """The trace ID of a valid W3C ``traceparent`` header, else None."""
    parsed = parse_traceparent(traceparent)
    return parsed.trace_id if parsed is not None else None


def valid_tracestate(header: str | None) -> str | None:
    """The incoming ``tracestate``, to pass on unchanged: printable ASCII within the size the
    recommendation allows; anything else is dropped whole (a vendor's entry is never cut)."""
    if header and len(header) <= MAX_TRACESTATE and header.isascii() and header.isprintable():
        return header
    return None


def new_span_id() -> str:
    """A random span ID: 16 lower-case hex digits, never all zero (which is invalid)."""
    span_id = os.urandom(8).hex()
    while span_id == ZERO_SPAN_ID:  # pragma: no cover - one chance in 2**64
        span_id = os.urandom(8).hex()
    return span_id


def traceparent_header(context: LogContext) -> str | None:
    """The ``traceparent`` to send downstream: this request's trace, this request's span as
    the parent, version 00 and the caller's sampled flag (the other flags are reserved, so 0)."""
    if context.trace_id is None or context.span_id is None:
        return None
    return f"00-{context.trace_id}-{context.span_id}-{'01' if context.sampled else '00'}"


# The record attribute the record factory stamps (see ``stamp_records``); same-named extras
# such as ``request_id`` are renamed by the formatter.
RECORD_ATTRIBUTE = "_log_context"
# Where an exception that escaped a request keeps that request's context (``remember_context``).
EXCEPTION_CONTEXT = "_request_log_context"


def remember_context(error: BaseException, context: LogContext) -> None:
    """Attach ``context`` to an exception leaving a request.

    The server logs it only after the request's context was reset: gunicorn closes the body
    (which ends the request) before it logs "Error handling request". The context travels
    with the exception object, not in a variable, so it reaches exactly the records that
    carry this exception, and nothing after or elsewhere. The first request to tag an
    exception keeps it.
    """
    attributes = getattr(error, "__dict__", None)
    if attributes is not None and context.request_id is not MISSING:
        attributes.setdefault(EXCEPTION_CONTEXT, context)


def record_context(exc_info: object) -> LogContext:
    """The context a record made now belongs to: the current request's; outside any request,
    that of the request an exception it carries escaped from."""
    context = _current.get()
    if context is None:
        error = exc_info[1] if isinstance(exc_info, tuple) else None
        context = getattr(error, EXCEPTION_CONTEXT, None) or _EMPTY
    return context


def stamp_records() -> None:
    """Make every LogRecord carry the context of the moment it is made.

    Stamping where the record is made, not where a sink writes it, keeps the request's
    identity on records that cross threads first (a ``QueueHandler`` in front of the sinks,
    as the logging cookbook recommends for slow sinks). The factory wraps whatever factory
    is in force (OpenTelemetry's, for one), once: calling this again changes nothing.
    """
    wrapped = logging.getLogRecordFactory()
    if getattr(wrapped, STAMPS_CONTEXT, False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = wrapped(*args, **kwargs)
        context = _current.get()  # record_context's usual case, without the call
        record._log_context = context if context is not None else record_context(record.exc_info)
        return record

    setattr(factory, STAMPS_CONTEXT, True)
    logging.setLogRecordFactory(factory)


STAMPS_CONTEXT = "_stamps_log_context"


def is_stamping(factory: object) -> bool:
    return getattr(factory, STAMPS_CONTEXT, False)


def run_in_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``fn`` so that, run on any thread, it sees this moment's request context.

    ``threading.Thread(target=run_in_context(work)).start()`` logs with the request's ID.
    """
    snapshot = contextvars.copy_context()

    def runner(*args: P.args, **kwargs: P.kwargs) -> R:
        return snapshot.copy().run(fn, *args, **kwargs)

    return runner


def submit_in_context(executor: Executor, fn: Callable[..., R], /, *args: object, **kwargs: object) -> Future[R]:
    """``executor.submit`` that carries the request context into the worker thread."""
    return executor.submit(run_in_context(fn), *args, **kwargs)
