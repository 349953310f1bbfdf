"""OpenTelemetry (the ``otel`` extra), in one process with in-memory exporters.

The providers are the ones the service makes (``Runtime.start``), given in-memory exporters
instead of OTLP ones: every request is one server span whose IDs are on each of its lines
(in every ``LOG_SCHEMA``), a dependency call is a client span whose context goes downstream,
the log records exported are the lines' redacted events, and no secret reaches a span.
``test_otel_gunicorn.py`` runs the real OTLP exporters under gunicorn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError, load_settings
from {{ cookiecutter.package_name }}.observability import http_request, track_dependency
from {{ cookiecutter.package_name }}.observability.otel.providers import RUNTIME
from {{ cookiecutter.package_name }}.observability.schemas import to_native

from gunicorn_helpers import TEST_SETTINGS

pytest.importorskip("opentelemetry.sdk", reason='the otel extra is not installed: pip install -e ".[otel]"')
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

ON = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp"}
T = "4bf92f3577b34da6a3ce929d0e0e4736"
P = "00f067aa0ba902b7"
SECRET = "hunter2-s3cr3t"


@dataclass
class Exported:
    span_exporter: InMemorySpanExporter
    log_exporter: InMemoryLogRecordExporter

    def spans(self) -> list[Any]:
        RUNTIME.force_flush()
        return list(self.span_exporter.get_finished_spans())

    def logs(self) -> list[Any]:
        RUNTIME.force_flush()
        return [data.log_record for data in self.log_exporter.get_finished_logs()]


@pytest.fixture
def exported() -> Iterator[Exported]:
    """This process's providers, started with in-memory exporters (and stopped after)."""
    RUNTIME.shutdown()
    result = Exported(InMemorySpanExporter(), InMemoryLogRecordExporter())
    RUNTIME.start(load_settings({**TEST_SETTINGS, **ON}), result.span_exporter, result.log_exporter)
    yield result
    RUNTIME.shutdown()


def traced_app(downstream: str = "", **overrides: object) -> Flask:
    app = create_app({**TEST_SETTINGS, "TESTING": "true", **ON, **overrides})

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, int]:
        logging.getLogger("shop").warning("order looked up", extra={"order_id": order_id})
        if downstream:
            http_request("inventory", "GET", f"{downstream}/items?api_key={SECRET}")
        return {"order": order_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"failed with password={SECRET}")

    return app


def hex_ids(span: Any) -> tuple[str, str]:
    return format(span.context.trace_id, "032x"), format(span.context.span_id, "016x")


def test_every_request_is_one_server_span_whose_ids_are_on_each_of_its_lines(exported, logs) -> None:
    client = traced_app().test_client()
    for order_id in (1, 2):
        client.get(f"/orders/{order_id}", headers={"X-Request-ID": f"req-{order_id}"})
    spans = exported.spans()
    assert [(s.name, s.kind) for s in spans] == [("GET /orders/<int:order_id>", SpanKind.SERVER)] * 2
    records = logs.read()
    for span, request_id in zip(spans, ("req-1", "req-2"), strict=True):
        assert span.attributes["request_id"] == request_id
        assert span.attributes["http.route"] == "/orders/<int:order_id>"
        assert span.attributes["http.response.status_code"] == 200
        lines = [r for r in records if r["request_id"] == request_id]
        assert [r["msg"] for r in lines] == ["order looked up", "request_completed"]
        assert {(r["trace_id"], r["span_id"]) for r in lines} == {hex_ids(span)}
    assert len({s.context.trace_id for s in spans}) == 2  # no traceparent: a new trace each


def test_a_traceparent_makes_the_span_a_child_of_the_callers(exported, logs) -> None:
    traced_app().test_client().get("/orders/3", headers={"traceparent": f"00-{T}-{P}-01"})
    (span,) = exported.spans()
    assert (format(span.parent.span_id, "016x"), hex_ids(span)[0]) == (P, T)
    summary = logs.one("request_completed")
    assert (summary["trace_id"], summary["span_id"], summary["parent_span_id"]) == (T, hex_ids(span)[1], P)


@pytest.mark.parametrize("schema", ["native", "ecs", "gcp", "datadog"])
def test_the_ids_are_in_each_schemas_own_fields(exported, capsys, schema: str) -> None:
    app = traced_app(LOG_FORMAT="json", LOG_SCHEMA=schema, GOOGLE_CLOUD_PROJECT="shop-project")
    app.test_client().get("/orders/4")
    (span,) = exported.spans()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = next(to_native(line) for line in lines if "request_completed" in json.dumps(line))
    assert (summary["trace_id"], summary["span_id"]) == hex_ids(span)


def test_a_server_error_is_an_error_span(exported) -> None:
    traced_app().test_client().get("/boom")
    (span,) = exported.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 500


def test_a_dependency_call_is_a_client_span_whose_context_goes_downstream(exported, logs, downstream) -> None:
    url = downstream.url
    traced_app(url).test_client().get("/orders/5", headers={"traceparent": f"00-{T}-{P}-01"})
    spans = {s.kind: s for s in exported.spans()}
    client, request = spans[SpanKind.CLIENT], spans[SpanKind.SERVER]
    assert client.parent.span_id == request.context.span_id
    assert client.attributes["url.full"] == f"{url}/items"  # no query: it held a key
    sent = downstream.seen[-1]
    assert sent["traceparent"] == f"00-{T}-{hex_ids(client)[1]}-01"
    call = logs.one("dependency_call")
    assert call["client_span_id"] == hex_ids(client)[1]
    assert call["span_id"] == hex_ids(request)[1]  # the line is the request's


def test_track_dependency_fails_its_span_with_the_error_category(exported) -> None:
    traced_app()  # building the app is what hands the dependency helper its tracing
    with pytest.raises(TimeoutError), track_dependency("db", "query"):
        raise TimeoutError
    (span,) = exported.spans()
    assert (span.name, span.kind, span.status.status_code) == ("db query", SpanKind.CLIENT, StatusCode.ERROR)
    assert span.attributes["error.type"] == "timeout"


def test_log_records_are_the_lines_redacted_events_with_the_spans_ids(exported, logs) -> None:
    app = traced_app()
    app.test_client().get(f"/orders/6?password={SECRET}", headers={"Authorization": f"Bearer {SECRET}"})
    logging.getLogger("shop").error(f"login with password={SECRET}", extra={"api_key": SECRET, "ids": [1, 2]})
    (span,) = exported.spans()
    records = {r.body: r for r in exported.logs()}
    summary = records["request_completed"]
    line = logs.one("request_completed", logs.read())
    assert (format(summary.trace_id, "032x"), format(summary.span_id, "016x")) == hex_ids(span)
    assert summary.severity_text == "INFO"
    own = ("ts", "level", "msg", "trace_id", "span_id")  # the OTLP record's own fields
    assert dict(summary.attributes) == {k: v for k, v in line.items() if k not in own}
    outside = records["login with password=[REDACTED]"]
    assert outside.severity_text == "ERROR"
    assert outside.attributes["api_key"] == "[REDACTED]"
    assert outside.attributes["ids"] == "[1,2]"
    assert outside.trace_id == 0  # logged outside any request
    assert SECRET not in repr([(r.body, dict(r.attributes)) for r in exported.logs()])


def test_no_secret_reaches_an_exported_span_whoever_made_it(exported) -> None:
    app = traced_app()
    app.test_client().get(f"/orders/7;password={SECRET}/x")  # a 404 whose path holds a secret
    with RUNTIME.tracer.start_as_current_span(f"charge card password={SECRET}") as span:
        span.set_attribute("db.password", SECRET)
        span.set_attribute("http.request.header.authorization", (f"Bearer {SECRET}",))
        span.set_attribute("url.full", f"https://user:{SECRET}@pay.example/charge?token={SECRET}&x=1")
        span.set_attribute("db.statement", f"UPDATE users SET password = '{SECRET}'")  # noqa: S608 - no database
        span.add_event("retry", {"detail": f"token={SECRET}"})
        span.add_event(f"retrying https://user:{SECRET}@pay.example/charge with token={SECRET}")
        span.record_exception(ValueError(f"card rejected, api_key={SECRET}"))
    spans = exported.spans()
    assert len(spans) == 2
    shown = repr([(s.name, dict(s.attributes), [(e.name, dict(e.attributes)) for e in s.events]) for s in spans])
    assert SECRET not in shown
    custom = spans[1]
    assert custom.attributes["db.password"] == "[REDACTED]"
    assert custom.attributes["url.full"].startswith("https://user:")
    assert custom.events[2].attributes["exception.type"] == "ValueError"


def test_off_by_default_nothing_is_traced(exported, logs) -> None:
    app = create_app({**TEST_SETTINGS, "TESTING": "true"})
    app.test_client().get("/health", headers={"traceparent": f"00-{T}-{P}-01"})
    assert exported.spans() == []
    assert logs.one("request_completed")["trace_id"] == T  # W3C context as before, from the header


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"OTEL_TRACES_EXPORTER": "none"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, ("http://collector:4318/v1/traces", None)),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c.example/t", "OTEL_LOGS_EXPORTER": "otlp"},
            ("https://c.example/t", "http://localhost:4318/v1/logs"),
        ),
        ({"OTEL_LOGS_EXPORTER": "otlp", "OTEL_TRACES_EXPORTER": "none"}, (None, "http://localhost:4318/v1/logs")),
    ],
)
def test_on_when_an_exporter_is_asked_for(env: dict[str, str], expected: tuple[str | None, str | None] | None) -> None:
    otel = load_settings({**TEST_SETTINGS, **env}).otel
    assert (None if otel is None else (otel.traces_endpoint, otel.logs_endpoint)) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "console"}, "OTEL_TRACES_EXPORTER='console' is not valid"),
        ({**ON, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL='grpc' is not valid"),
        ({**ON, "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER='sometimes' is not valid"),
        ({**ON, "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG='2'"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": f"collector:4318/?key={SECRET}"}, "OTEL_EXPORTER_OTLP_ENDPOINT="),
        ({**ON, "OTEL_EXPORTER_OTLP_HEADERS": f"api-key {SECRET}"}, "OTEL_EXPORTER_OTLP_HEADERS='<hidden>'"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://user:{SECRET}@[::1"}, "OTEL_EXPORTER_OTLP_ENDPOINT='<hidden>'"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:99999"}, "OTEL_EXPORTER_OTLP_ENDPOINT='<hidden>'"),
        ({**ON, "OTEL_PROPAGATORS": "tracecontext,bogus"}, "OTEL_PROPAGATORS='tracecontext,bogus' is not valid"),
        ({**ON, "OTEL_BSP_MAX_QUEUE_SIZE": "-1"}, "OTEL_BSP_MAX_QUEUE_SIZE='-1' is not valid"),
        ({**ON, "OTEL_BLRP_SCHEDULE_DELAY": "1.5"}, "OTEL_BLRP_SCHEDULE_DELAY='1.5' is not valid"),
        ({**ON, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION='zstd'"),
    ],
)
def test_a_bad_setting_is_refused_without_echoing_a_secret(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({**TEST_SETTINGS, **env})
    assert refused.value.message.startswith(message)
    assert SECRET not in refused.value.message


def test_headers_are_parsed_and_kept_out_of_repr() -> None:
    env = {**ON, "OTEL_EXPORTER_OTLP_HEADERS": f"api-key={SECRET},x-team=shop%20floor"}
    otel = load_settings({**TEST_SETTINGS, **env}).otel
    assert otel is not None
    assert dict(otel.traces_headers) == {"api-key": SECRET, "x-team": "shop floor"}
    assert SECRET not in repr(otel)


def test_a_signals_own_headers_replace_the_common_ones() -> None:
    """One vendor's key never travels to another vendor's endpoint."""
    env = {
        **ON,
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=vendor-a",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-b-key=vendor-b",
    }
    otel = load_settings({**TEST_SETTINGS, **env}).otel
    assert otel is not None
    assert (dict(otel.traces_headers), dict(otel.logs_headers)) == ({"api-key": "vendor-a"}, {"x-b-key": "vendor-b"})


@pytest.mark.parametrize(
    ("sampler", "traceparent"),
    [("parentbased_always_on", f"00-{T}-{P}-00"), ("always_off", None), ("traceidratio", None)],
)
def test_an_unsampled_request_is_served_and_logged_like_any_other(logs, sampler: str, traceparent: str | None) -> None:
    """A span the sampler drops records nothing, but the request and its lines are as usual, and
    nothing stays current after it (a client chooses this with a traceparent's flags)."""
    from opentelemetry import trace

    RUNTIME.shutdown()
    spans = InMemorySpanExporter()
    env = {**ON, "OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": "0"}
    RUNTIME.start(load_settings({**TEST_SETTINGS, **env}), spans, InMemoryLogRecordExporter())
    try:
        headers = {"X-Request-ID": "unsampled"} | ({"traceparent": traceparent} if traceparent else {})
        response = traced_app().test_client().get("/orders/9", headers=headers)
        RUNTIME.force_flush()
        assert response.status_code == 200
        assert spans.get_finished_spans() == ()
        summary = logs.one("request_completed")
        assert (summary["status"], len(str(summary["span_id"]))) == (200, 16)
        assert not trace.get_current_span().get_span_context().is_valid
    finally:
        RUNTIME.shutdown()


def test_a_request_served_inside_another_leaves_the_outer_span_to_end(exported) -> None:
    """A test client called from a view: the inner span ends, then the outer one, each once."""
    from opentelemetry import trace

    app = traced_app()

    @app.get("/outer")
    def outer() -> dict[str, int]:
        return {"inner": app.test_client().get("/orders/1").status_code}

    assert app.test_client().get("/outer").status_code == 200
    names = [span.name for span in exported.spans()]
    assert names == ["GET /orders/<int:order_id>", "GET /outer"]
    assert not trace.get_current_span().get_span_context().is_valid


def test_flask_logs_trace_puts_a_called_service_under_the_call_its_client_span_made(exported, logs) -> None:
    """With OpenTelemetry a called service's parent is the caller's client span, which only the
    caller's dependency_call names: the timeline still nests the callee under that call."""
    from {{ cookiecutter.package_name }}.logs.trace import build_timeline

    app = traced_app()

    @app.get("/checkout")
    def checkout() -> dict[str, bool]:
        for item in ("a", "b"):
            with track_dependency("inventory", "GET", f"http://inventory/items/{item}"):
                pass
        return {"ok": True}

    app.test_client().get("/checkout", headers={"X-Request-ID": "co-1"})
    caller = logs.read()
    calls = [r for r in caller if r["msg"] == "dependency_call"]
    trace_id = calls[0]["trace_id"]
    callee = [  # what the inventory service logged for the second call
        {
            "ts": calls[1]["ts"], "level": "INFO", "logger": "http", "msg": "request_completed",
            "request_id": "co-1", "service": "inventory", "method": "GET", "path": "/items/b",
            "trace_id": trace_id, "span_id": "1111111111111111", "parent_span_id": calls[1]["client_span_id"],
            "status": 200, "duration_ms": 0.1,
        }
    ]  # fmt: skip
    timeline = build_timeline("co-1", caller + callee)
    rows = list(zip(timeline.records, timeline.depths, strict=True))
    second_call = next(i for i, (r, _) in enumerate(rows) if r.get("client_span_id") == calls[1]["client_span_id"])
    assert rows[second_call + 1] == (callee[0], 1)  # right under the call that made it
    assert timeline.records[0]["service"] != "inventory"  # the caller is the root
