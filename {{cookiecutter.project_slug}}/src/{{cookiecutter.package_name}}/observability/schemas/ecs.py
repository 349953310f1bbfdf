"""``LOG_SCHEMA=ecs``: Elastic Common Schema (ECS 8.11), in the layout of the ecs-logging spec.

``@timestamp``, ``log.level`` (lower case), ``message`` and ``ecs.version`` come first, as the
spec requires; every field is written under its dotted ECS name (``"http.request.method"``),
as the spec's own examples write ``trace.id`` and ``service.name`` and Elastic's Java
ecs-logging libraries write everything. Elasticsearch indexes a dotted name exactly like the
nested object (ecs-logging-python nests), and Filebeat's ``ndjson`` parser with
``expand_keys: true`` (Elastic's documented setting for ecs-logging) expands it. Dotted keys
keep this schema a plain rename table, the same one ``flask logs`` reads back, and cost
about a third less per line than building nested objects.

The tables below are the whole schema: ``EVERY_LINE`` (from the fields every event has),
``ANY_EVENT`` (fields any event may have) and ``BY_EVENT`` (the fields of the service's own
events). A field they do not name keeps its name; one named like an ECS field set
(``source``, ``user``, ``error``, ...) would clash with that object's mapping and make
Elasticsearch reject the document, so it is written as ``extra_<name>``.
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

NAME = "ecs"
ECS_VERSION = "8.11.0"

# The fields every line has (the request context and trace only when set).
EVERY_LINE = {
    "ts": "@timestamp",
    "level": "log.level",  # lower case, as ecs-logging writes it
    "msg": "message",
    "logger": "log.logger",
    "service": "service.name",
    "version": "service.version",
    "env": "service.environment",
    "request_id": "http.request.id",
    "user_id": "user.id",
    "method": "http.request.method",
    "path": "url.path",
    "trace_id": "trace.id",
    "span_id": "span.id",
}
# Fields any event may have.
ANY_EVENT = {
    "duration_ms": "event.duration",  # nanoseconds
    "exc_type": "error.type",
    "exc": "error.stack_trace",  # error.message is taken from its last line
}
# The service's own events.
BY_EVENT = {
    "request_completed": {
        "status": "http.response.status_code",
        "size": "http.response.body.bytes",
        "content_type": "http.response.mime_type",
        "parent_span_id": "parent.id",
    },
    "request_started": {
        "content_type": "http.request.mime_type",
        "content_length": "http.request.body.bytes",
        "parent_span_id": "parent.id",
    },
    # A custom field set: ECS has none for an outgoing call (http.* and url.* already
    # describe the request being served).
    "dependency_call": {
        "dependency": "dependency.name",
        "operation": "dependency.operation",
        "url": "dependency.url",
        "status": "dependency.status_code",
        "retries": "dependency.retries",
        "error": "dependency.error",
    },
}
# ECS's top-level fields and field sets, and the custom sets above: an extra field of one of
# these names becomes extra_<name>.
RESERVED = frozenset(
    {
        "@timestamp", "labels", "message", "tags", "agent", "client", "cloud", "container", "data_stream",
        "destination", "device", "dll", "dns", "ecs", "email", "error", "event", "faas", "file", "group", "host",
        "http", "log", "network", "observer", "orchestrator", "organization", "package", "process", "registry",
        "related", "rule", "server", "service", "source", "span", "threat", "tls", "trace", "transaction", "url",
        "user", "user_agent", "vulnerability", "parent", "dependency",
    }
)  # fmt: skip
NAMES = {message: {**ANY_EVENT, **fields} for message, fields in BY_EVENT.items()}
DURATION = ANY_EVENT["duration_ms"]
STACK = ANY_EVENT["exc"]


# An extra field's name: its own, or extra_<name> where its first part is reserved (``error``
# or ``url.path`` would overwrite or clash with the schema's own fields).
custom = CustomNames(lambda key: key.partition(".")[0] in RESERVED)
add_fields = field_adder(custom, DURATION, STACK, "error.type")  # the event's own fields, ECS names


def mapper(identity: ServiceIdentity, gcp_project: str = "") -> SchemaMapper:
    """The ECS mapping for this service's identity (``gcp_project`` is not used here)."""
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
            "@timestamp": event["ts"],
            "log.level": level_of(level) or lower_level(level),  # type: ignore[call-overload]
            "message": "request_completed",
            "ecs.version": ECS_VERSION,
            "log.logger": event["logger"],
            "service.name": identity.name,
            "http.request.id": request_id,
            "http.request.method": method,
            "url.path": path,
            "http.response.status_code": status,
            "event.duration": int(duration * 1_000_000 + 0.5),
            "http.response.body.bytes": size,
            "http.response.mime_type": content_type,
        }
        if user_id != MISSING:
            out["user.id"] = user_id
        if deployment:
            out.update(deployment)
        return out

    def to_ecs(event: Event) -> Event:
        if len(event) == summary_size and event["msg"] == "request_completed":
            summary = summary_line(event)
            if summary is not None:
                return summary
        message = event["msg"]
        level = event["level"]
        out: Event = {
            "@timestamp": event["ts"],
            "log.level": level_of(level) or lower_level(level),  # type: ignore[call-overload]
            "message": message,
            "ecs.version": ECS_VERSION,
            "log.logger": event["logger"],
            "service.name": identity.name,
        }
        if event["request_id"] != MISSING:
            out["http.request.id"] = event["request_id"]
        if event["method"] != MISSING:
            out["http.request.method"] = event["method"]
        if event["path"] != MISSING:
            out["url.path"] = event["path"]
        if "trace_id" in event:
            out["trace.id"] = event["trace_id"]
            out["span.id"] = event["span_id"]
            fields = islice(event.items(), fixed + 2, None)
        else:
            fields = islice(event.items(), fixed, None)
        add_fields(out, names_of(message, ANY_EVENT), fields)  # type: ignore[call-overload]
        if event["user_id"] != MISSING:
            out["user.id"] = event["user_id"]
        if deployment:  # service.version, service.environment: last, when set
            out.update(deployment)
        return out

    return to_ecs


def looks_like(record: dict[str, object]) -> bool:
    return "@timestamp" in record


# Every table read back; ecs.version and error.message (derived) are dropped.
READ: ReadTable = {
    **{name: (field, None) for field, name in EVERY_LINE.items()},
    **{name: (field, None) for fields in (ANY_EVENT, *BY_EVENT.values()) for field, name in fields.items()},
    "log.level": ("level", upper),
    "event.duration": ("duration_ms", milliseconds_from_ns),
    "ecs.version": (None, None),
    "error.message": (None, None),
}
reader = Reader(READ)
