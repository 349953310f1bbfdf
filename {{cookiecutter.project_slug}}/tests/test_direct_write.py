"""The request summary's direct write: the same line logging would write, or out of the way.

Each equivalence case runs the same request twice, once on the direct path and once with a
pass-through filter on the ``http`` logger (which sends the summary through logging), and
compares the two lines field by field, in order, minus the two that differ by nature
(``ts`` and ``duration_ms``). A spy on ``write_summary`` proves which path ran.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, Response

from {{ cookiecutter.package_name }}.observability import request_logging
from {{ cookiecutter.package_name }}.observability.context import set_user_context
from {{ cookiecutter.package_name }}.observability.testing import parse_line

VARYING = ("ts", "duration_ms")


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()

    @app.get("/user")
    def user():
        set_user_context('eve "the\nadmin"')
        return {"ok": True}

    @app.get("/plain")
    def plain():
        return Response("hi", content_type="text/plain; token=s3cr3t-value")

    @app.get("/unavailable")
    def unavailable():
        return {"error": "down"}, 503

    return app


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the summaries written by the direct path (and still writes them)."""
    calls: list[int] = []
    real = request_logging.write_summary

    def spy(*args: object, **kwargs: object) -> None:
        calls.append(1)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(request_logging, "write_summary", spy)
    return calls


@pytest.fixture
def through_logging() -> Iterator[None]:
    """A filter that passes everything: enough to send the summary through logging."""
    http = logging.getLogger("http")
    keep_all = logging.Filter()
    http.addFilter(keep_all)
    yield
    http.removeFilter(keep_all)


def summary_line(logs, client, path: str, headers: dict[str, str]) -> list[tuple[str, object]]:
    seen = len(logs.raw)
    client.get(path, headers=headers)
    logs.read()
    lines = [line for line in logs.raw[seen:] if "request_completed" in line]
    assert len(lines) == 1, lines
    return [(key, value) for key, value in parse_line(lines[0]).items() if key not in VARYING]


CASES = {
    "ok": ("/health", {"X-Request-ID": "req-1"}),
    "not-found": ("/missing/token=abc123def", {"X-Request-ID": "req-2"}),
    "unavailable": ("/unavailable", {"X-Request-ID": "req-4"}),
    "user-id": ("/user", {"X-Request-ID": "req-5"}),
    "secret-in-content-type": ("/plain", {"X-Request-ID": "req-6"}),
    "trace-id": ("/health", {"X-Request-ID": "req-7", "traceparent": f"00-{'a' * 32}-{'b' * 16}-01"}),
    "unicode-path": ("/caf%C3%A9%E2%80%A8%1B[31m", {"X-Request-ID": "req-8"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_direct_and_logging_paths_write_the_same_line(
    case: str, client, logs, direct_calls: list[int], request: pytest.FixtureRequest
) -> None:
    path, headers = CASES[case]
    direct = summary_line(logs, client, path, headers)
    assert direct_calls == [1]
    request.getfixturevalue("through_logging")
    through = summary_line(logs, client, path, headers)
    assert direct_calls == [1]
    assert direct == through


def add_root_handler() -> Callable[[], None]:
    handler = logging.NullHandler()
    logging.getLogger().addHandler(handler)
    return lambda: logging.getLogger().removeHandler(handler)


def add_http_filter() -> Callable[[], None]:
    keep_all = logging.Filter()
    logging.getLogger("http").addFilter(keep_all)
    return lambda: logging.getLogger("http").removeFilter(keep_all)


def set_record_factory() -> Callable[[], None]:
    original = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return original(*args, **kwargs)

    logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(original)


def patch_call_handlers() -> Callable[[], None]:
    original = logging.Logger.callHandlers

    def patched(self: logging.Logger, record: logging.LogRecord) -> None:  # as Sentry's integration does
        original(self, record)

    logging.Logger.callHandlers = patched  # type: ignore[method-assign]
    return lambda: setattr(logging.Logger, "callHandlers", original)


STEP_ASIDE = {
    "another-root-handler": add_root_handler,
    "filter-on-http": add_http_filter,
    "record-factory": set_record_factory,
    "patched-call-handlers": patch_call_handlers,
}


@pytest.mark.parametrize("change", list(STEP_ASIDE))
def test_anything_else_that_would_see_the_record_sends_it_through_logging(
    change: str, client, logs, direct_calls: list[int]
) -> None:
    undo = STEP_ASIDE[change]()
    try:
        client.get("/health")
    finally:
        undo()
    assert direct_calls == []
    assert logs.one("request_completed")["status"] == 200


def test_a_redacted_summary_field_goes_through_logging_and_is_redacted(make_app, logs, direct_calls) -> None:
    make_app(LOG_REDACT_KEYS="size").test_client().get("/health")
    assert direct_calls == []
    assert logs.one("request_completed")["size"] == "[REDACTED]"


def test_per_request_debug_goes_through_logging(make_app, logs, direct_calls) -> None:
    make_app(LOG_SAMPLE_RATE="1").test_client().get("/health")
    assert direct_calls == []
    assert logs.one("request_completed")["debug_reason"] == "sampled"


def test_a_disabled_http_logger_writes_no_summary(client, logs, direct_calls) -> None:
    # logging.config.dictConfig(disable_existing_loggers=True) does this to loggers it does not name.
    http = logging.getLogger("http")
    http.disabled = True
    try:
        client.get("/health")
    finally:
        http.disabled = False
    assert direct_calls == []
    assert logs.events("request_completed") == []
