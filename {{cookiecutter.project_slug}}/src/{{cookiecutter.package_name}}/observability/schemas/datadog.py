"""``LOG_SCHEMA=datadog``: Datadog's reserved and standard attributes.

Every attribute is written under its dotted name (``"http.status_code":200``), which Datadog
reads as the attribute path ``@http.status_code``, exactly like the nested object: its own
default trace remapper reads ``contextMap.dd.trace_id``, a dotted key inside an object, and
its tracer's log injection writes ``dd.trace_id`` as one key. Dotted keys keep this schema a
rename table, the same one ``flask logs`` reads back, and cost less per line than nesting.

The tables below are the whole schema, each field under its Datadog attribute name:
``EVERY_LINE`` (from the fields every event has), ``ANY_EVENT`` and ``BY_EVENT``. Besides:
``service`` (the reserved attribute Datadog takes the log's service from) and ``dd.service``,
``dd.env``, ``dd.version`` (unified service tagging, as Datadog's tracer injects them), and with
a trace ``dd.trace_id`` and ``dd.span_id`` in the form Datadog's tracer writes for log
correlation (``format_trace_id``): the trace ID as 32 lower-case hex digits, or, when its upper
64 bits are zero (a trace begun by a 64-bit tracer), the lower 64 bits in decimal; the span
ID in decimal. A field the tables do not name keeps its name, except one Datadog reads as a
reserved or standard attribute (``status``, ``level``, ``host``, ``source``, ``error``, ...),
written as ``extra_<name>``.
"""

from __future__ import annotations

from itertools import islice

from ..context import MISSING
from ..formatting import SchemaMapper, ServiceIdentity
from .common import (
    BASE_COUNT,
    LOWER_LEVELS,
    MAX_MS,
    SUMMARY_FIELDS,
    CustomNames,
    Event,
    Reader,
    ReadTable,
    field_adder,
    lower_level,
    milliseconds_from_ns,
    upper,
)

NAME = "datadog"
LOWER_64_BITS = (1 << 64) - 1

EVERY_LINE = {
    "ts": "timestamp",
    "level": "status",  # lower case
    "msg": "message",
    "logger": "logger.name",
    "service": "service",  # and dd.service
    "version": "dd.version",
    "env": "dd.env",
    "request_id": "http.request_id",
    "user_id": "usr.id",
    "method": "http.method",
    "path": "http.url_details.path",
    "trace_id": "dd.trace_id",  # Datadog's form, see the module docstring
    "span_id": "dd.span_id",  # decimal
}
ANY_EVENT = {
    "duration_ms": "duration",  # nanoseconds
    "exc_type": "error.kind",
    "exc": "error.stack",  # error.message is taken from its last line
}
BY_EVENT = {
    "request_completed": {
        "status": "http.status_code",
        "size": "network.bytes_written",
    },
    "request_started": {
        "content_length": "network.bytes_read",
    },
    # Custom: the standard http.* attributes describe the request being served.
    "dependency_call": {
        "dependency": "dependency.name",
        "operation": "dependency.operation",
        "url": "dependency.url",
        "status": "dependency.status_code",
        "retries": "dependency.retries",
        "error": "dependency.error",
    },
}
# Reserved attributes, those Datadog's preprocessing reads as date, message, status, service,
# host, trace or span, the standard attribute roots written here, and the custom set: an extra
# field of one of these names becomes extra_<name>.
RESERVED = frozenset(
    {
        "host", "hostname", "service", "status", "severity", "level", "message", "msg", "log", "source",
        "ddsource", "ddtags", "tags", "timestamp", "date", "_timestamp", "Timestamp", "eventTime",
        "published_date", "@timestamp", "syslog", "trace_id", "span_id", "dd", "contextMap", "logger", "http",
        "usr", "network", "error", "duration", "dependency",
    }
)  # fmt: skip
NAMES = {message: {**ANY_EVENT, **fields} for message, fields in BY_EVENT.items()}
DURATION = ANY_EVENT["duration_ms"]
STACK = ANY_EVENT["exc"]
# An extra field's name: its own, or extra_<name> where its first part is reserved (``status``
# or ``http.method`` would be read as, or overwrite, the schema's own attributes).
custom = CustomNames(lambda key: key.partition(".")[0] in RESERVED)
add_fields = field_adder(custom, DURATION, STACK, "error.kind")  # the event's own fields, Datadog names


def dd_trace_id(trace_id: object) -> object:
    """Datadog's form of a W3C trace ID (its tracer's ``format_trace_id``)."""
    if isinstance(trace_id, str) and trace_id.startswith("0000000000000000"):
        return str(int(trace_id, 16))
    return trace_id


def dd_span_id(span_id: object) -> object:
    return str(int(span_id, 16)) if isinstance(span_id, str) else span_id


def mapper(identity: ServiceIdentity, gcp_project: str = "") -> SchemaMapper:
    """The Datadog mapping for this service's identity (``gcp_project`` is not used here)."""
    deployment = {EVERY_LINE[key]: value for key, value in identity.fields() if key != "service"}
    fixed = BASE_COUNT + 1 + len(deployment)
    summary_size = fixed + len(SUMMARY_FIELDS)
    names_of = NAMES.get
    level_of = LOWER_LEVELS.get

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
        level = event["level"]
        out: Event = {
            "timestamp": event["ts"],
            "status": level_of(level) or lower_level(level),  # type: ignore[call-overload]
            "message": "request_completed",
            "service": identity.name,
            "logger.name": event["logger"],
            "dd.service": identity.name,
            "http.request_id": request_id,
            "http.method": method,
            "http.url_details.path": path,
            "http.status_code": status,
            "duration": int(duration * 1_000_000 + 0.5),
            "network.bytes_written": size,
            "content_type": content_type,
        }
        if user_id != MISSING:
            out["usr.id"] = user_id
        if deployment:
            out.update(deployment)
        return out

    def to_datadog(event: Event) -> Event:
        if len(event) == summary_size and event["msg"] == "request_completed":
            summary = summary_line(event)
            if summary is not None:
                return summary
        message = event["msg"]
        level = event["level"]
        out: Event = {
            "timestamp": event["ts"],
            "status": level_of(level) or lower_level(level),  # type: ignore[call-overload]
            "message": message,
            "service": identity.name,
            "logger.name": event["logger"],
            "dd.service": identity.name,
        }
        if event["request_id"] != MISSING:
            out["http.request_id"] = event["request_id"]
        if event["method"] != MISSING:
            out["http.method"] = event["method"]
        if event["path"] != MISSING:
            out["http.url_details.path"] = event["path"]
        if "trace_id" in event:
            out["dd.trace_id"] = dd_trace_id(event["trace_id"])
            out["dd.span_id"] = dd_span_id(event["span_id"])
            fields = islice(event.items(), fixed + 2, None)
        else:
            fields = islice(event.items(), fixed, None)
        add_fields(out, names_of(message, ANY_EVENT), fields)  # type: ignore[call-overload]
        if event["user_id"] != MISSING:
            out["usr.id"] = event["user_id"]
        if deployment:  # dd.env, dd.version: last, when set
            out.update(deployment)
        return out

    return to_datadog


def looks_like(record: dict[str, object]) -> bool:
    """A line in Datadog's attributes: ``status`` with its service tag or logger (dotted or nested)."""
    return "status" in record and any(key in record for key in ("dd.service", "logger.name", "dd", "logger"))


def trace_id_from_dd(value: object) -> object:
    """Back to 32 hex digits: decimal is the lower 64 bits of a trace whose upper bits are 0."""
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 20:
        number = int(value)
        return f"{number:032x}" if number <= LOWER_64_BITS else value
    return value


def span_id_from_dd(value: object) -> object:
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 20:
        number = int(value)
        return f"{number:016x}" if number <= LOWER_64_BITS else value
    return value


# Every table read back; dd.service (the same as service) and error.message (derived) dropped.
READ: ReadTable = {
    **{name: (field, None) for field, name in EVERY_LINE.items()},
    **{name: (field, None) for fields in (ANY_EVENT, *BY_EVENT.values()) for field, name in fields.items()},
    "status": ("level", upper),
    "duration": ("duration_ms", milliseconds_from_ns),
    "dd.trace_id": ("trace_id", trace_id_from_dd),
    "dd.span_id": ("span_id", span_id_from_dd),
    "dd.service": (None, None),
    "error.message": (None, None),
}
reader = Reader(READ)
