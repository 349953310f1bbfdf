"""W3C Trace Context: the request's own span, the caller's kept, passed on downstream.

Parsing follows the recommendation (https://www.w3.org/TR/trace-context/): what it says to
ignore is ignored (the request then has no trace at all), a later version is read by its
first 55 characters, and tracestate travels unchanged. A valid traceparent gives every line
of the request ``trace_id`` and this request's ``span_id``; the caller's span
(``parent_span_id``) and sampled flag (``trace_sampled``) are on request_started and
request_completed only. Without one, nothing is added.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import StepTimer, http_request
from {{ cookiecutter.package_name }}.observability.context import (
    LogContext,
    TraceParent,
    parse_traceparent,
    traceparent_header,
    valid_tracestate,
)

T = "4bf92f3577b34da6a3ce929d0e0e4736"
P = "00f067aa0ba902b7"
HEX16 = re.compile(r"[0-9a-f]{16}\Z")
log = logging.getLogger("tests.trace")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{T}-{P}-01", TraceParent(T, P, True)),
        (f"00-{T}-{P}-00", TraceParent(T, P, False)),
        (f"00-{T}-{P}-09", TraceParent(T, P, True)),  # sampled is bit 0; other bits are not ours
        (f"00-{T}-{P}-fe", TraceParent(T, P, False)),
        (f" \t00-{T}-{P}-01\t ", TraceParent(T, P, True)),  # HTTP's optional whitespace
        (f"cc-{T}-{P}-01", TraceParent(T, P, True)),  # a later version: its first 55 characters
        (f"cc-{T}-{P}-01-what-the-future-will-be-like", TraceParent(T, P, True)),
    ],
)
def test_valid_traceparents(header: str, expected: TraceParent) -> None:
    assert parse_traceparent(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        f"ff-{T}-{P}-01",  # version ff is invalid
        f"00-{T}-{P}-01-extra",  # version 00 has exactly four fields
        f"00-{T}-{P}-01-",
        f"cc-{T}-{P}-01.what",  # after the 55 characters of a later version: "-" or nothing
        f"cc-{T}-{P}-0",
        f"00-{'0' * 32}-{P}-01",  # all-zero trace-id
        f"00-{T}-{'0' * 16}-01",  # all-zero parent-id
        f"00-{T.upper()}-{P}-01",  # upper-case hex
        f"00-{T}-{P.upper()}-01",
        f"0A-{T}-{P}-01",
        f"00-{T}-{P}-0A",
        f"00-{T[:-1]}-{P}-01",  # lengths
        f"00-{T}0-{P}-01",
        f"00-{T}-{P[:-1]}-01",
        f"00-{T}-{P}-1",
        f"0-{T}-{P}-01",
        f"000-{T}-{P}-01",
        f"00_{T}_{P}_01",
        f"g0-{T}-{P}-01",
        f"00-{T}-{P}-xy",
        f"00-{T}-{P}-01,00-{T}-{P}-01",  # two traceparent headers, joined by the server
        f"00-{T}-{P}-01\n",
        "",
        "garbage",
        "00-" + "a" * 600,
    ],
)
def test_invalid_traceparents_are_ignored(header: str) -> None:
    assert parse_traceparent(header) is None


def test_traceparent_sent_downstream_names_this_span_as_the_parent() -> None:
    context = LogContext(trace_id=T, span_id="53995c3f42cd8ad8", parent_span_id=P, sampled=True)
    assert traceparent_header(context) == f"00-{T}-53995c3f42cd8ad8-01"
    assert traceparent_header(context._replace(sampled=False)) == f"00-{T}-53995c3f42cd8ad8-00"
    assert traceparent_header(LogContext()) is None


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", True),
        ("", False),
        ("caf\u00e9=1", False),
        ("a=1\x00", False),
        ("x" * 9000, False),
    ],
)
def test_tracestate_is_kept_unchanged_or_dropped_whole(header: str, kept: bool) -> None:
    assert valid_tracestate(header) == (header if kept else None)


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app(LOG_LEVEL="DEBUG")

    @app.get("/work")
    def work():
        with StepTimer("price_order"):
            log.info("inside")
        return {}

    return app


def test_a_valid_traceparent_gives_every_line_the_trace_and_a_span_of_its_own(client, logs) -> None:
    client.get("/work", headers={"traceparent": f"00-{T}-{P}-01", "X-Request-ID": "t-1"})
    records = logs.read()
    assert {r["msg"] for r in records} >= {"request_started", "inside", "step_timing", "request_completed"}
    spans = {r["span_id"] for r in records}
    assert len(spans) == 1
    (span,) = spans
    assert HEX16.match(span)
    assert span != P
    assert {r["trace_id"] for r in records} == {T}
    for record in records:
        caller = record["msg"] in ("request_started", "request_completed")
        assert ("parent_span_id" in record) is caller, record["msg"]
        assert ("trace_sampled" in record) is caller, record["msg"]
        if caller:
            assert (record["parent_span_id"], record["trace_sampled"]) == (P, True)


def test_each_request_gets_its_own_span(client, logs) -> None:
    for _ in range(3):
        client.get("/work", headers={"traceparent": f"00-{T}-{P}-00"})
    summaries = logs.events("request_completed")
    assert len({s["span_id"] for s in summaries}) == 3
    assert {s["trace_sampled"] for s in summaries} == {False}


@pytest.mark.parametrize("header", [None, f"00-{T.upper()}-{P}-01", f"00-{'0' * 32}-{P}-01", f"ff-{T}-{P}-01"])
def test_without_a_valid_traceparent_nothing_is_added(client, logs, header: str | None) -> None:
    headers = {"X-Request-ID": "t-2"} if header is None else {"X-Request-ID": "t-2", "traceparent": header}
    client.get("/work", headers=headers)
    logs.read()
    for raw in logs.raw:
        line = raw.replace(header or "", "")  # request_started echoes the header it was sent
        for field in ("trace_id", "span_id", "parent_span_id", "trace_sampled"):
            assert field not in line


def test_the_untraced_summary_is_byte_for_byte_what_it_was(make_app, logs) -> None:
    """No traceparent: the summary has exactly the fields it had before trace context."""
    make_app().test_client().get("/health", headers={"X-Request-ID": "same"})
    summary = logs.one("request_completed")
    assert list(summary) == [
        "ts", "level", "logger", "msg", "request_id", "user_id", "method", "path", "service",
        "status", "duration_ms", "size", "content_type",
    ]  # fmt: skip


@pytest.fixture
def calling_app(make_app, downstream) -> Flask:
    app = make_app()

    @app.get("/call")
    def call():
        http_request("inventory", "GET", f"{downstream.url}/items")
        return {}

    return app


def test_dependency_calls_carry_this_span_as_the_parent_and_the_tracestate(calling_app, logs, downstream) -> None:
    headers = {"traceparent": f"00-{T}-{P}-01", "tracestate": "congo=t61rcWkgMzE", "X-Request-ID": "t-3"}
    calling_app.test_client().get("/call", headers=headers)
    span = logs.one("request_completed")["span_id"]
    sent = downstream.seen[-1]
    assert sent["traceparent"] == f"00-{T}-{span}-01"
    assert sent["tracestate"] == "congo=t61rcWkgMzE"
    assert sent["x-request-id"] == "t-3"


def test_unsampled_traces_stay_unsampled_downstream(calling_app, logs, downstream) -> None:
    calling_app.test_client().get("/call", headers={"traceparent": f"cc-{T}-{P}-00-later-version"})
    span = logs.one("request_completed")["span_id"]
    assert downstream.seen[-1]["traceparent"] == f"00-{T}-{span}-00"  # sent as the version we speak


def test_without_a_trace_only_the_request_id_goes_downstream(calling_app, logs, downstream) -> None:
    calling_app.test_client().get("/call", headers={"X-Request-ID": "t-4", "tracestate": "congo=1"})
    sent = downstream.seen[-1]
    assert sent["x-request-id"] == "t-4"
    assert "traceparent" not in sent
    assert "tracestate" not in sent  # tracestate without a valid traceparent is not trace context
