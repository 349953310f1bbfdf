"""``LOG_SCHEMA=gcp``: Google Cloud Logging's structured logging (one JSON object per line on
stdout, as Cloud Run, GKE and the Ops Agent read it).

The special fields Cloud Logging lifts out of ``jsonPayload`` into the log entry:

- every line: ``time`` (RFC 3339), ``severity``, ``message``, and ``logging.googleapis.com/labels``
  with the service's identity (``service``, ``version``, ``env``: indexed, filterable as
  ``labels.service``); with a trace, ``logging.googleapis.com/trace`` as
  ``projects/<GOOGLE_CLOUD_PROJECT>/traces/<trace id>`` and ``logging.googleapis.com/spanId``,
  which link the line to Cloud Trace;
- ``request_completed``: ``httpRequest`` (``requestMethod``, ``requestUrl`` (the path: the
  query is never logged), ``status``, ``latency`` as ``"0.012000s"``, ``responseSize`` as a
  decimal string, the int64 JSON form) and ``logging.googleapis.com/trace_sampled``, so
  Logs Explorer shows it as the request's entry; ``request_started`` has the sampled flag too;
- an ERROR or CRITICAL line with an exception: ``stack_trace`` (the redacted traceback, which
  Error Reporting reads first), ``@type`` (``ReportedErrorEvent``), ``serviceContext`` and
  ``context`` (``httpRequest.method``/``url``, ``user``), so Error Reporting groups it.
  A lower level keeps the traceback as ``stack_trace`` without the Error Reporting fields.

Every other field stays in ``jsonPayload`` under its own name (``logger``, ``request_id``,
``user_id``, ``method``, ``path``, ``duration_ms``, the dependency call's fields, extra
fields), except one that Cloud Logging would treat specially, which becomes ``extra_<name>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from ..context import MISSING
from ..formatting import SchemaMapper, ServiceIdentity
from .common import BASE_COUNT, MAX_MS, SUMMARY_FIELDS, CustomNames, Event, Reader, ReadTable

NAME = "gcp"
ERROR_EVENT_TYPE = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
TRACE = "logging.googleapis.com/trace"
SPAN_ID = "logging.googleapis.com/spanId"
TRACE_SAMPLED = "logging.googleapis.com/trace_sampled"
LABELS = "logging.googleapis.com/labels"
# Fields Cloud Logging or Error Reporting read specially: an extra field of one of these names
# (or under logging.googleapis.com/) becomes extra_<name>.
RESERVED = frozenset(
    {
        "time", "timestamp", "timestampSeconds", "timestampNanos", "severity", "message", "httpRequest",
        "stack_trace", "exception", "serviceContext", "context", "@type", "insertId", "labels",
    }
)  # fmt: skip
REPORTED_LEVELS = frozenset({"ERROR", "CRITICAL"})


def latency(duration_ms: object) -> object:
    """Milliseconds as a protobuf Duration string, in its canonical form with 6 fractional
    digits (microseconds; durations are logged to 10 µs): 12.34 -> ``"0.012340s"``."""
    if isinstance(duration_ms, (int, float)) and not isinstance(duration_ms, bool) and 0 <= duration_ms < MAX_MS:
        return f"{duration_ms / 1000:.6f}s"
    return duration_ms


# The fields every line has, under Cloud Logging's names; the request context keeps its names
# (request_id, user_id, method, path) in jsonPayload, and only when set.
EVERY_LINE = {
    "ts": "time",
    "level": "severity",
    "msg": "message",
    "service": f"{LABELS}.service",
    "version": f"{LABELS}.version",
    "env": f"{LABELS}.env",
    "trace_id": TRACE,  # projects/<GOOGLE_CLOUD_PROJECT>/traces/<trace id>
    "span_id": SPAN_ID,
}
ANY_EVENT = {"exc": "stack_trace"}
BY_EVENT = {
    "request_completed": {
        "method": "httpRequest.requestMethod",
        "path": "httpRequest.requestUrl",
        "status": "httpRequest.status",
        "duration_ms": "httpRequest.latency",  # "0.012000s"
        "size": "httpRequest.responseSize",  # a decimal string: int64 in JSON
        "trace_sampled": TRACE_SAMPLED,
    },
    "request_started": {"trace_sampled": TRACE_SAMPLED},
}
SUMMARY = BY_EVENT["request_completed"]
STARTED = {**ANY_EVENT, **BY_EVENT["request_started"]}
HTTP_REQUEST = {key: name.partition(".")[2] for key, name in SUMMARY.items() if name.startswith("httpRequest.")}


# An extra field's name: its own, or extra_<name> where Cloud Logging reads it specially.
custom = CustomNames(lambda key: key in RESERVED or key.startswith("logging.googleapis.com/"))


def mapper(identity: ServiceIdentity, gcp_project: str = "") -> SchemaMapper:
    """The Cloud Logging mapping; trace names are ``projects/<gcp_project>/traces/<id>``."""
    labels = dict(identity.fields())
    service_context: Event = {key: value for key, value in labels.items() if key != "env"}  # Error Reporting's
    trace_prefix = f"projects/{gcp_project}/traces/"
    fixed = BASE_COUNT + len(labels)
    summary_size = fixed + len(SUMMARY_FIELDS)

    def summary_line(event: Event) -> Event | None:
        """The usual request summary in one go (None for any other event of its size): what
        the general path below writes for it, field for field and in the same order."""
        try:  # the usual request summary (common.py): four fields, in a request, all set
            status, duration, size, content_type = (
                event["status"],
                event["duration_ms"],
                event["size"],
                event["content_type"],
            )
        except KeyError:
            return None
        request_id, user_id, method, path = event["request_id"], event["user_id"], event["method"], event["path"]
        if not isinstance(duration, float) or not 0.0 <= duration < MAX_MS or size is None or content_type is None:
            return None
        if MISSING in (request_id, method, path):
            return None
        out: Event = {
            "time": event["ts"],
            "severity": event["level"],
            "message": "request_completed",
            LABELS: labels,
            "logger": event["logger"],
            "request_id": request_id,
            "httpRequest": {
                "requestMethod": method,
                "requestUrl": path,
                "status": status,
                "latency": f"{duration / 1000:.6f}s",
                "responseSize": str(size),
            },
            "content_type": content_type,
        }
        if user_id != MISSING:
            out["user_id"] = user_id
        return out

    def to_gcp(event: Event) -> Event:
        if len(event) == summary_size and event["msg"] == "request_completed":
            summary = summary_line(event)
            if summary is not None:
                return summary
        level = event["level"]
        message = event["msg"]
        out: Event = {
            "time": event["ts"],
            "severity": level,
            "message": message,
            LABELS: labels,  # the same object on every line: nothing below writes into it
            "logger": event["logger"],
        }
        request_id, user_id, method, path = event["request_id"], event["user_id"], event["method"], event["path"]
        if request_id != MISSING:
            out["request_id"] = request_id
        is_summary = message == "request_completed"
        if not is_summary:
            if method != MISSING:
                out["method"] = method
            if path != MISSING:
                out["path"] = path
        start = fixed
        if "trace_id" in event:
            out[TRACE] = trace_prefix + event["trace_id"]  # type: ignore[operator]
            out[SPAN_ID] = event["span_id"]
            start += 2
        if is_summary:
            out["httpRequest"] = http = {"requestMethod": method, "requestUrl": path}
            add_summary(out, http, islice(event.items(), start, None))
        else:
            names = STARTED if message == "request_started" else ANY_EVENT
            for key, value in islice(event.items(), start, None):
                name = names.get(key)
                out[name if name is not None else custom[key]] = value
        if user_id != MISSING:
            out["user_id"] = user_id
        if "stack_trace" in out and level in REPORTED_LEVELS:
            add_error_report(out, service_context, method, path, user_id)
        return out

    return to_gcp


def add_summary(out: Event, http: Event, fields: Iterator[tuple[str, object]]) -> None:
    """request_completed's own fields (``SUMMARY``): into ``httpRequest``, or ``out``."""
    for key, value in fields:
        if key == "status":
            http["status"] = value
        elif key == "duration_ms":
            # latency(), inlined for the usual float (the event has finite floats only)
            plain = isinstance(value, float) and 0.0 <= value < MAX_MS
            http["latency"] = f"{value / 1000:.6f}s" if plain else latency(value)  # type: ignore[operator]
        elif key == "size":
            if value is not None:
                http["responseSize"] = str(value)
        elif key == "trace_sampled":
            out[TRACE_SAMPLED] = value
        elif key == "exc":
            out["stack_trace"] = value
        else:
            out[custom[key]] = value


def add_error_report(out: Event, service_context: Event, method: object, path: object, user_id: object) -> None:
    """What makes Error Reporting take the line as a ReportedErrorEvent: its type, the service,
    and the request it failed in."""
    out["@type"] = ERROR_EVENT_TYPE
    out["serviceContext"] = service_context
    context: Event = {}
    if method != MISSING:
        context["httpRequest"] = {"method": method, "url": path}
    if user_id != MISSING:
        context["user"] = user_id
    out["context"] = context


def looks_like(record: dict[str, object]) -> bool:
    return "severity" in record


def trace_id_of(value: object) -> object:
    """``projects/p/traces/<id>`` -> ``<id>``."""
    return value.rpartition("/traces/")[2] if isinstance(value, str) else value


def milliseconds_from_latency(value: object) -> object:
    if isinstance(value, str) and value.endswith("s"):
        try:
            return round(float(value[:-1]) * 1000, 6)
        except ValueError:
            return value
    return value


def int_from_text(value: object) -> object:
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) < 20:
        return int(value)
    return value


# Every table read back, with the conversions back; the Error Reporting fields are dropped.
READ: ReadTable = {
    **{name: (field, None) for field, name in EVERY_LINE.items()},
    **{name: (field, None) for fields in (ANY_EVENT, *BY_EVENT.values()) for field, name in fields.items()},
    "timestamp": ("ts", None),
    TRACE: ("trace_id", trace_id_of),
    "httpRequest.latency": ("duration_ms", milliseconds_from_latency),
    "httpRequest.responseSize": ("size", int_from_text),
    "@type": (None, None),
    "serviceContext.service": (None, None),
    "serviceContext.version": (None, None),
    "context.httpRequest.method": (None, None),
    "context.httpRequest.url": (None, None),
    "context.user": (None, None),
}
reader = Reader(READ)
