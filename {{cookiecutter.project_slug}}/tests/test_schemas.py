"""LOG_SCHEMA: each backend's fields, checked line by line against its field reference.

Golden lines: one per schema and event kind (request summary, error with its stack,
dependency call, step), each field checked against the backend's reference:

- ecs: Elastic Common Schema 8.11 field reference (https://www.elastic.co/guide/en/ecs/8.11/)
  and the ecs-logging spec (https://github.com/elastic/ecs-logging/tree/main/spec); the
  ``ecs-logging`` library's own output is compared where it is installed;
- gcp: Cloud Logging's structured logging special fields
  (https://cloud.google.com/logging/docs/structured-logging), LogEntry's HttpRequest
  (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#httprequest) and
  Error Reporting's log entry format
  (https://cloud.google.com/error-reporting/docs/formatting-error-messages); the
  ``google-cloud-logging`` library's structured handler is compared where it is installed;
- datadog: Datadog's reserved and default standard attributes
  (https://docs.datadoghq.com/standard-attributes/) and log-trace correlation
  (https://docs.datadoghq.com/tracing/other_telemetry/connect_logs_and_traces/python/);
  ``ddtrace``'s own trace ID form is compared where it is installed.

Then what must hold in every schema: redaction is the same, extra fields keep working, a
line read back by ``flask logs`` gives the service's own fields, and the service's real
pipeline (create_app, the request summary's shortcut included) writes the schema.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability.context import LogContext
from {{ cookiecutter.package_name }}.observability.formatting import JsonFormatter, ServiceIdentity, render_json
from {{ cookiecutter.package_name }}.observability.redaction import Redactor
from {{ cookiecutter.package_name }}.observability.schemas import SCHEMAS, mapper_for, schema_of, to_native
from {{ cookiecutter.package_name }}.observability.schemas.datadog import dd_trace_id

from gunicorn_helpers import BASE_OVERRIDES

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "53995c3f42cd8ad8"  # this request's span
PARENT = "00f067aa0ba902b7"  # the caller's
CREATED = 1795547354.1234  # 2026-11-24T19:09:14.123Z
TS = "2026-11-24T19:09:14.123Z"
IDENTITY = ServiceIdentity("orders", "1.4.2", "prod")
CONTEXT = LogContext("req-1", "user-7", "POST", "/checkout", TRACE, None, SPAN, PARENT, True, None)
EXC = (
    'Traceback (most recent call last):\n  File "app.py", line 7, in checkout\n    raise KeyError("missing")\n'
    "KeyError: 'missing'"
)
# The four kinds of event, as EventFormatter.line receives them.
EVENTS: dict[str, tuple[object, ...]] = {
    "summary": (
        "INFO",
        "http",
        "request_completed",
        [
            ("status", 200),
            ("duration_ms", 12.34),
            ("size", 16),
            ("content_type", "application/json"),
            ("parent_span_id", PARENT),
            ("trace_sampled", True),
        ],
        None,
        None,
    ),
    "error": ("ERROR", "errors", "unhandled_exception", [], "KeyError", EXC),
    "dependency": (
        "WARNING",
        "deps",
        "dependency_call",
        [
            ("dependency", "inventory"),
            ("operation", "GET"),
            ("url", "http://inventory.internal/items"),
            ("status", 503),
            ("duration_ms", 4.5),
            ("retries", 1),
            ("error", "http_5xx"),
        ],
        None,
        None,
    ),
    "step": ("INFO", "timing", "step_timing", [("step", "price_order"), ("duration_ms", 2.5)], None, None),
}
CONTEXT_ECS = {
    "http.request.id": "req-1",  # ECS 8.11 http.request.id (keyword): X-Request-ID
    "http.request.method": "POST",  # http.request.method (keyword), as received
    "url.path": "/checkout",  # url.path (wildcard)
    "trace.id": TRACE,  # trace.id (keyword): the W3C trace-id, as Elastic APM writes it
    "span.id": SPAN,  # span.id (keyword)
}
HEAD_ECS = {
    "@timestamp": TS,  # base field, first (ecs-logging spec)
    "ecs.version": "8.11.0",  # 4th key (ecs-logging spec)
    "log.logger": None,  # log.logger (keyword)
    "service.name": "orders",  # service.name, service.version, service.environment (keyword)
    "service.version": "1.4.2",
    "service.environment": "prod",
}


# usr.id; then unified service tagging's env and version, when set
DATADOG_LAST = {"usr.id": "user-7", "dd.version": "1.4.2", "dd.env": "prod"}


def datadog_head(status: str, message: str, logger: str) -> dict[str, object]:
    return {
        "timestamp": TS,  # reserved: the log's date (ISO 8601)
        "status": status,  # reserved: the log's status, lower case
        "message": message,  # reserved
        "service": "orders",  # reserved: the log's service
        "logger.name": logger,  # logger.name
        "dd.service": "orders",  # unified service tagging, as ddtrace injects it
        "http.request_id": "req-1",  # http.request_id
        "http.method": "POST",  # http.method
        "http.url_details.path": "/checkout",  # http.url_details.path
        # log-trace correlation, as ddtrace writes it: the 128-bit trace ID in hex, the span ID in decimal
        "dd.trace_id": TRACE,
        "dd.span_id": "6023947403358210776",
    }


ECS_LAST = {"user.id": "user-7", "service.version": "1.4.2", "service.environment": "prod"}


def ecs_head(level: str, message: str, logger: str) -> dict[str, object]:
    # @timestamp, log.level, message, ecs.version: the order the ecs-logging spec requires.
    return {
        "@timestamp": TS,
        "log.level": level,
        "message": message,
        "ecs.version": "8.11.0",
        "log.logger": logger,
        "service.name": "orders",
        **CONTEXT_ECS,
    }


GOLDEN: dict[str, dict[str, dict[str, object]]] = {
    "native": {
        "summary": {
            "ts": TS,
            "level": "INFO",
            "logger": "http",
            "msg": "request_completed",
            "request_id": "req-1",
            "user_id": "user-7",
            "method": "POST",
            "path": "/checkout",
            "service": "orders",
            "version": "1.4.2",
            "env": "prod",
            "trace_id": TRACE,
            "span_id": SPAN,
            "status": 200,
            "duration_ms": 12.34,
            "size": 16,
            "content_type": "application/json",
            "parent_span_id": PARENT,
            "trace_sampled": True,
        },
    },
    "ecs": {
        "summary": {
            **ecs_head("info", "request_completed", "http"),  # log.level in lower case, as ecs-logging
            "http.response.status_code": 200,  # http.response.status_code (long)
            "event.duration": 12340000,  # event.duration (long): nanoseconds
            "http.response.body.bytes": 16,  # http.response.body.bytes (long)
            "http.response.mime_type": "application/json",  # http.response.mime_type (keyword)
            "parent.id": PARENT,  # the caller's span, as Elastic APM names it
            "trace_sampled": True,  # custom
            **ECS_LAST,  # user.id, then service.version, service.environment when set
        },
        "error": {
            **ecs_head("error", "unhandled_exception", "errors"),
            "error.type": "KeyError",  # error.type: the exception's class, as ecs-logging
            "error.message": "'missing'",  # error.message: str(exception), as ecs-logging
            "error.stack_trace": EXC,  # error.stack_trace (wildcard, plain text)
            **ECS_LAST,
        },
        "dependency": {
            **ecs_head("warning", "dependency_call", "deps"),
            # a custom field set: http.* and url.* describe the request being served
            "dependency.name": "inventory",
            "dependency.operation": "GET",
            "dependency.url": "http://inventory.internal/items",
            "dependency.status_code": 503,
            "event.duration": 4500000,
            "dependency.retries": 1,
            "dependency.error": "http_5xx",
            **ECS_LAST,
        },
        "step": {
            **ecs_head("info", "step_timing", "timing"),
            "step": "price_order",  # custom
            "event.duration": 2500000,
            **ECS_LAST,
        },
    },
    "gcp": {
        "summary": {
            "time": TS,  # special field: the entry's timestamp (RFC 3339)
            "severity": "INFO",  # special field: a LogSeverity name
            "message": "request_completed",  # the entry's summary line
            "logging.googleapis.com/labels": {"service": "orders", "version": "1.4.2", "env": "prod"},
            "logger": "http",
            "request_id": "req-1",
            "logging.googleapis.com/trace": f"projects/my-project/traces/{TRACE}",  # the trace's resource name
            "logging.googleapis.com/spanId": SPAN,  # 16 hex digits
            "httpRequest": {  # LogEntry.httpRequest
                "requestMethod": "POST",
                "requestUrl": "/checkout",
                "status": 200,  # integer
                "latency": "0.012340s",  # Duration: seconds, 6 fractional digits (canonical), "s"
                "responseSize": "16",  # int64: a decimal string in JSON
            },
            "content_type": "application/json",
            "parent_span_id": PARENT,
            "logging.googleapis.com/trace_sampled": True,  # boolean
            "user_id": "user-7",
        },
        "error": {
            "time": TS,
            "severity": "ERROR",
            "message": "unhandled_exception",
            "logging.googleapis.com/labels": {"service": "orders", "version": "1.4.2", "env": "prod"},
            "logger": "errors",
            "request_id": "req-1",
            "method": "POST",
            "path": "/checkout",
            "logging.googleapis.com/trace": f"projects/my-project/traces/{TRACE}",
            "logging.googleapis.com/spanId": SPAN,
            "exc_type": "KeyError",
            "stack_trace": EXC,  # Error Reporting reads stack_trace first
            "user_id": "user-7",
            # Error Reporting: a ReportedErrorEvent with its service and the request it failed in
            "@type": "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent",
            "serviceContext": {"service": "orders", "version": "1.4.2"},
            "context": {"httpRequest": {"method": "POST", "url": "/checkout"}, "user": "user-7"},
        },
        "dependency": {
            "time": TS,
            "severity": "WARNING",
            "message": "dependency_call",
            "logging.googleapis.com/labels": {"service": "orders", "version": "1.4.2", "env": "prod"},
            "logger": "deps",
            "request_id": "req-1",
            "method": "POST",
            "path": "/checkout",
            "logging.googleapis.com/trace": f"projects/my-project/traces/{TRACE}",
            "logging.googleapis.com/spanId": SPAN,
            "dependency": "inventory",  # jsonPayload: the service's own fields
            "operation": "GET",
            "url": "http://inventory.internal/items",
            "status": 503,
            "duration_ms": 4.5,
            "retries": 1,
            "error": "http_5xx",
            "user_id": "user-7",
        },
        "step": {
            "time": TS,
            "severity": "INFO",
            "message": "step_timing",
            "logging.googleapis.com/labels": {"service": "orders", "version": "1.4.2", "env": "prod"},
            "logger": "timing",
            "request_id": "req-1",
            "method": "POST",
            "path": "/checkout",
            "logging.googleapis.com/trace": f"projects/my-project/traces/{TRACE}",
            "logging.googleapis.com/spanId": SPAN,
            "step": "price_order",
            "duration_ms": 2.5,
            "user_id": "user-7",
        },
    },
    "datadog": {
        "summary": {
            **datadog_head("info", "request_completed", "http"),
            "http.status_code": 200,  # http.status_code
            "duration": 12340000,  # duration: nanoseconds
            "network.bytes_written": 16,  # network.bytes_written: server to client
            "content_type": "application/json",
            "parent_span_id": PARENT,
            "trace_sampled": True,
            **DATADOG_LAST,
        },
        "error": {
            **datadog_head("error", "unhandled_exception", "errors"),
            # error.kind, error.message, error.stack: what Error Tracking groups on
            "error.kind": "KeyError",
            "error.message": "'missing'",
            "error.stack": EXC,
            **DATADOG_LAST,
        },
        "dependency": {
            **datadog_head("warning", "dependency_call", "deps"),
            # custom: the standard http.* attributes describe the request being served
            "dependency.name": "inventory",
            "dependency.operation": "GET",
            "dependency.url": "http://inventory.internal/items",
            "dependency.status_code": 503,
            "duration": 4500000,
            "dependency.retries": 1,
            "dependency.error": "http_5xx",
            **DATADOG_LAST,
        },
        "step": {
            **datadog_head("info", "step_timing", "timing"),
            "step": "price_order",
            "duration": 2500000,
            **DATADOG_LAST,
        },
    },
}
CASES = [(schema, kind) for schema in GOLDEN for kind in GOLDEN[schema]]


def formatter(schema: str, identity: ServiceIdentity = IDENTITY, redactor: Redactor | None = None) -> JsonFormatter:
    return JsonFormatter(redactor or Redactor(), identity, mapper_for(schema, identity, "my-project"))


def line(schema: str, kind: str, context: LogContext = CONTEXT) -> str:
    level, logger, message, extras, exc_type, exc = EVENTS[kind]
    return formatter(schema).line(CREATED, level, logger, message, context, extras, exc_type, exc)  # type: ignore[arg-type]


@pytest.mark.parametrize(("schema", "kind"), CASES)
def test_golden_lines(schema: str, kind: str) -> None:
    written = line(schema, kind)
    assert json.loads(written) == GOLDEN[schema][kind]
    assert written == render_json(GOLDEN[schema][kind])  # the order too


def test_ecs_lines_start_as_the_ecs_logging_spec_requires() -> None:
    for kind in EVENTS:
        assert list(json.loads(line("ecs", kind)))[:4] == ["@timestamp", "log.level", "message", "ecs.version"]


def expanded(record: dict[str, object]) -> dict[str, object]:
    """What Elasticsearch indexes (dotted names as objects); fails where a name is both a
    value and an object (a document Elasticsearch would reject)."""
    out: dict[str, object] = {}
    for key, value in record.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
            assert isinstance(node, dict), f"{key} is under a value"
        assert leaf not in node or isinstance(value, dict), f"{key} written twice"
        node[leaf] = value
    return out


@pytest.mark.parametrize("kind", list(EVENTS))
def test_ecs_names_match_the_ecs_logging_library(kind: str) -> None:
    """ecs-logging's StdlibFormatter, given the same record (our ECS names as its extras),
    writes the same field names, and the same values for the fields it fills itself."""
    ecs_logging = pytest.importorskip("ecs_logging")
    ours = json.loads(line("ecs", kind))
    level, logger, message, _extras, exc_type, _exc = EVENTS[kind]
    record = logging.makeLogRecord(
        {
            "name": logger,
            "levelname": level,
            "levelno": logging.getLevelName(level),
            "msg": message,
            "created": CREATED,
            "msecs": 123.4,
        }
    )
    own = {
        "@timestamp",
        "log.level",
        "message",
        "ecs.version",
        "log.logger",
        "error.type",
        "error.message",
        "error.stack_trace",
    }
    for key, value in ours.items():
        if key not in own:
            setattr(record, key, value)
    if exc_type:
        try:
            raise KeyError("missing")
        except KeyError as error:
            record.exc_info = (type(error), error, error.__traceback__)
    theirs = json.loads(ecs_logging.StdlibFormatter(exclude_fields=["log.origin", "process"]).format(record))
    assert list(theirs)[:3] == list(ours)[:3]  # the order the spec fixes; ecs-logging sorts the rest
    flat_theirs = flatten(theirs)
    assert set(ours) - {"log.original"} <= set(flat_theirs) | {"ecs.version"}
    for key in ("@timestamp", "log.level", "message", "log.logger", "error.type", "error.message"):
        assert (key in ours) == (key in flat_theirs), key
        if key in ours:
            assert ours[key] == flat_theirs[key], key
    assert re.fullmatch(r"\d+\.\d+\.\d+", ours["ecs.version"])
    expanded(ours)


def flatten(value: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, item in value.items():
        if isinstance(item, dict) and item:
            flat.update(flatten(item, f"{prefix}{key}."))
        else:
            flat[prefix + key] = item
    return flat


@pytest.mark.parametrize(
    ("trace_id", "expected"),
    [
        (TRACE, TRACE),
        ("0000000000000000" + "00000000000abcde", str(0xABCDE)),
        ("0000000000000001" + "0" * 16, "0000000000000001" + "0" * 16),
    ],
)
def test_datadog_trace_ids_are_in_the_form_its_tracer_writes(trace_id: str, expected: str) -> None:
    assert dd_trace_id(trace_id) == expected
    formats = pytest.importorskip("ddtrace.internal.utils.formats")
    assert formats.format_trace_id(int(trace_id, 16)) == expected


def test_gcp_trace_fields_match_the_google_cloud_logging_library() -> None:
    """Google's own handler, in a Flask request with the same traceparent, names the trace as
    projects/<project>/traces/<id>, and uses the same special keys and value forms."""
    handlers = pytest.importorskip("google.cloud.logging_v2.handlers")
    import io

    stream = io.StringIO()
    handler = handlers.StructuredLogHandler(stream=stream, project_id="my-project")
    reference = Flask("reference")
    with reference.test_request_context("/checkout", method="POST", headers={"traceparent": f"00-{TRACE}-{PARENT}-01"}):
        record = logging.makeLogRecord({"name": "http", "levelname": "INFO", "levelno": 20, "msg": "request_completed"})
        for gcp_filter in handler.filters:
            gcp_filter.filter(record)
        theirs = json.loads(handler.format(record))
    ours = json.loads(line("gcp", "summary"))
    for key in (
        "logging.googleapis.com/trace",
        "logging.googleapis.com/spanId",
        "logging.googleapis.com/trace_sampled",
    ):
        assert key in theirs
    assert theirs["logging.googleapis.com/trace"] == ours["logging.googleapis.com/trace"]
    assert theirs["logging.googleapis.com/trace_sampled"] is ours["logging.googleapis.com/trace_sampled"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", theirs["logging.googleapis.com/spanId"])  # the caller's there, ours here
    assert theirs["severity"] == ours["severity"]
    assert theirs["message"] == ours["message"]
    assert set(ours["httpRequest"]) <= HTTP_REQUEST_FIELDS
    assert set(theirs["httpRequest"]) <= HTTP_REQUEST_FIELDS
    assert theirs["httpRequest"]["requestMethod"] == ours["httpRequest"]["requestMethod"]


# LogEntry.httpRequest's fields (Cloud Logging API reference).
HTTP_REQUEST_FIELDS = {
    "requestMethod", "requestUrl", "requestSize", "status", "responseSize", "userAgent", "remoteIp", "serverIp",
    "referer", "latency", "cacheLookup", "cacheHit", "cacheValidatedWithOriginServer", "cacheFillBytes", "protocol",
}  # fmt: skip


def test_gcp_error_reporting_fields_only_on_errors() -> None:
    """Error Reporting takes an entry with @type ReportedErrorEvent as an error: only ERROR and
    CRITICAL lines with an exception get it; a warning keeps its traceback in stack_trace."""
    warned = json.loads(formatter("gcp").line(CREATED, "WARNING", "app", "retrying", CONTEXT, [], "KeyError", EXC))
    assert warned["stack_trace"] == EXC
    assert "@type" not in warned
    assert "serviceContext" not in warned
    critical = json.loads(formatter("gcp").line(CREATED, "CRITICAL", "app", "down", LogContext(), [], "KeyError", EXC))
    assert critical["@type"].endswith("ReportedErrorEvent")
    assert critical["serviceContext"] == {"service": "orders", "version": "1.4.2"}
    assert critical["context"] == {}  # outside a request: no request, no user


@pytest.mark.parametrize("schema", list(SCHEMAS))
@pytest.mark.parametrize(
    "fields",
    [
        [("status", 200), ("duration_ms", 12.34), ("size", 16), ("content_type", "application/json")],
        [("status", 204), ("duration_ms", 0.0), ("size", None), ("content_type", None)],
        [("status", 500), ("duration_ms", 7), ("size", 0), ("content_type", "text/plain")],
        [("status", 200), ("duration_ms", "nan"), ("size", 2**70), ("content_type", "x")],
    ],
    ids=["usual", "no-body", "int-duration", "odd-values"],
)
@pytest.mark.parametrize("identity", [IDENTITY, ServiceIdentity("orders")], ids=["deployment", "name-only"])
@pytest.mark.parametrize("user", ["user-7", "-"])
def test_the_summary_shortcut_writes_what_the_general_path_writes(
    schema: str, fields: list, identity: ServiceIdentity, user: str
) -> None:
    """An untraced request_completed with its four usual fields (the line every request writes)
    is built in one go, not by each schema's general loop; the line is the same, order included."""
    untraced = LogContext("req-1", user, "POST", "/checkout")
    writer = formatter(schema, identity)
    short = json.loads(writer.line(CREATED, "INFO", "http", "request_completed", untraced, fields))
    general = json.loads(writer.line(CREATED, "INFO", "http", "request_completed", untraced, [*fields, ("zz", 1)]))
    assert general.pop("zz") == 1
    assert short == general
    assert list(short) == list(general)
    assert json.dumps(short, sort_keys=False) == json.dumps(general, sort_keys=False)


@pytest.mark.parametrize(("schema", "kind"), [(s, k) for s in SCHEMAS for k in EVENTS])
def test_a_line_read_back_gives_the_service_own_fields(schema: str, kind: str) -> None:
    """What ``flask logs`` reads from a line in a schema is the event the native line holds."""
    native = json.loads(line("native", kind))
    written = json.loads(line(schema, kind))
    assert schema_of(written) == schema
    assert to_native(written) == native


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_outside_a_request_nothing_of_the_request_is_written(schema: str) -> None:
    written = json.loads(formatter(schema).line(CREATED, "INFO", "app", "started", LogContext()))
    text = json.dumps(written)
    for absent in ("request_id", "user_id", "trace", "span", '"-"'):
        assert absent not in text, absent
    assert to_native(written)["request_id"] == "-"


SECRETS = ("hunter2-secret", "tok_live_abcdef123456", "pw-in-url-98765")


@pytest.mark.parametrize("schema", ["native", *SCHEMAS])
def test_redaction_is_the_same_in_every_schema(schema: str) -> None:
    fields = [
        ("password", SECRETS[0]),
        ("note", f"Authorization: Bearer {SECRETS[1]}"),
        ("target", f"https://user:{SECRETS[2]}@db.internal/x"),
        ("nested", {"api_key": SECRETS[0], "ok": 1}),
    ]
    written = formatter(schema).line(CREATED, "INFO", "app", f"login password={SECRETS[0]}", CONTEXT, fields)
    assert not any(secret in written for secret in SECRETS)
    native = formatter("native").line(CREATED, "INFO", "app", f"login password={SECRETS[0]}", CONTEXT, fields)
    assert to_native(json.loads(written)) == json.loads(native)


RESERVED_EXTRAS = {
    "ecs": {"source": "extra_source", "user": "extra_user", "url.path": "extra_url.path", "error": "extra_error"},
    "gcp": {
        "severity": "extra_severity",
        "httpRequest": "extra_httpRequest",
        "logging.googleapis.com/trace": "extra_logging.googleapis.com/trace",
    },
    "datadog": {
        "status": "extra_status",
        "level": "extra_level",
        "host": "extra_host",
        "http.method": "extra_http.method",
    },
}


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_extra_fields_keep_working(schema: str) -> None:
    """Extra fields keep their names and values; one that would clash with the schema's own
    (and be read as the line's status, time or trace, or make the document unindexable) is
    written as extra_<name>, so it cannot forge them."""
    extras = {
        "order_id": 42,
        "items": ["a", "b"],
        "cache": {"hit": True},
        **dict.fromkeys(RESERVED_EXTRAS[schema], "forged"),
    }
    written = json.loads(formatter(schema).line(CREATED, "INFO", "app", "order_created", CONTEXT, list(extras.items())))
    assert (written["order_id"], written["items"], written["cache"]) == (42, ["a", "b"], {"hit": True})
    for renamed in RESERVED_EXTRAS[schema].values():
        assert written[renamed] == "forged"
    assert "forged" not in json.dumps({k: v for k, v in written.items() if not k.startswith("extra_")})
    if schema == "ecs":
        expanded(written)
    back = to_native(written)
    assert (back["order_id"], back["level"], back["trace_id"], back["path"]) == (42, "INFO", TRACE, "/checkout")


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_an_unformattable_record_still_gives_a_line_in_the_schema(schema: str) -> None:
    record = logging.makeLogRecord({"msg": "x", "created": float("inf"), "name": "app", "levelname": "INFO"})
    written = json.loads(formatter(schema).format(record))
    assert to_native(written)["msg"] == "log_record_unformattable"
    assert to_native(written)["service"] == "orders"


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_awkward_values_stay_one_line(schema: str) -> None:
    fields = [("duration_ms", float("nan")), ("size", 2**70), ("text", "a\nb\u2028c"), ("status", None)]
    written = formatter(schema).line(CREATED, "INFO", "http", "request_completed", CONTEXT, fields)
    assert len(written.splitlines()) == 1
    json.loads(written)


@pytest.fixture
def schema_app(logs) -> Callable[..., Flask]:
    def make(schema: str, **overrides: str) -> Flask:
        settings = {
            "LOG_FORMAT": "json",
            "LOG_SCHEMA": schema,
            "GOOGLE_CLOUD_PROJECT": "my-project",
            "LOG_LEVEL": "DEBUG",
        }
        app = create(**{**settings, **overrides})
        app.config["PROPAGATE_EXCEPTIONS"] = False

        @app.get("/boom")
        def boom():
            raise KeyError("missing")

        return app

    return make


def create(**overrides: str) -> Flask:
    from {{ cookiecutter.package_name }} import create_app

    return create_app({**BASE_OVERRIDES, **overrides})


@pytest.mark.parametrize("schema", list(SCHEMAS))
@pytest.mark.parametrize("debug", [False, True], ids=["shortcut", "through-logging"])
def test_the_service_writes_its_schema(schema_app, logs, schema: str, debug: bool) -> None:
    """Every line the app writes, the summary's shortcut (no LogRecord) and records through
    logging alike, is in the schema, and reads back to the service's fields."""
    app = schema_app(schema, LOG_LEVEL="DEBUG" if debug else "INFO")
    client = app.test_client()
    listener = logging.NullHandler()  # another listener: the summary goes through logging
    if debug:
        logging.getLogger("http").addHandler(listener)
    try:
        client.get("/health", headers={"X-Request-ID": "s-1", "traceparent": f"00-{TRACE}-{PARENT}-01"})
        client.get("/boom", headers={"X-Request-ID": "s-2"})
    finally:
        logging.getLogger("http").removeHandler(listener)
    lines = [json.loads(raw) for raw in logs.capsys.readouterr().out.splitlines()]
    assert lines
    assert {schema_of(written) for written in lines} == {schema}
    back = [to_native(written) for written in lines]
    summary = next(r for r in back if r["msg"] == "request_completed" and r["request_id"] == "s-1")
    assert (summary["status"], summary["trace_id"], summary["parent_span_id"]) == (200, TRACE, PARENT)
    assert re.fullmatch(r"[0-9a-f]{16}", summary["span_id"])
    failed = next(r for r in back if r["msg"] == "unhandled_exception")
    assert failed["exc_type"] == "KeyError"
    assert "KeyError: 'missing'" in failed["exc"]
    assert {r["service"] for r in back} == {"{{ cookiecutter.project_slug }}"}
