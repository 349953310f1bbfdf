"""The pipeline: one way to make a line, and the summary's short way to the sinks.

Every line comes from ``EventFormatter.line``, so the summary written straight to the sinks
and one that went through logging cannot differ; these tests check when the short way is
taken (no LogRecord is made), that anything else listening still gets the record, and that
nothing inside formatting can fail a request.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
from collections.abc import Callable

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import formatting

TOKEN = "a-debug-token-of-20-chars"


@pytest.fixture
def made_records(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages of the records the ``http`` logger makes (the short way makes none)."""
    http = logging.getLogger("http")
    made: list[str] = []
    real = http.makeRecord

    def spy(*args: object, **kwargs: object) -> logging.LogRecord:
        record = real(*args, **kwargs)  # type: ignore[arg-type]
        made.append(record.msg)
        return record

    monkeypatch.setattr(http, "makeRecord", spy)
    return made


@pytest.mark.parametrize(
    "overrides",
    [{}, {"DEBUG_LOG_TOKEN": TOKEN}, {"LOG_SAMPLE_RATE": "1"}, {"LOG_REDACT_KEYS": "size"}],
    ids=["default", "debug-token-configured", "sampled", "summary-field-redacted"],
)
def test_the_summary_skips_the_log_record_when_only_the_sinks_listen(
    make_app, logs, made_records: list[str], overrides: dict[str, str]
) -> None:
    make_app(**overrides).test_client().get("/health", headers={"X-Request-ID": "req-1"})
    summary = logs.one("request_completed")
    assert "request_completed" not in made_records
    assert (summary["request_id"], summary["status"]) == ("req-1", 200)
    if "LOG_SAMPLE_RATE" in overrides:
        assert (summary["debug_reason"], summary["sample_rate"]) == ("sampled", 1.0)
    if "LOG_REDACT_KEYS" in overrides:
        assert summary["size"] == "[REDACTED]"


def test_a_debug_token_request_sends_its_records_the_same_way(make_app, logs, made_records: list[str]) -> None:
    make_app(DEBUG_LOG_TOKEN=TOKEN).test_client().get("/health", headers={"X-Debug-Log": TOKEN})
    records = logs.read()
    assert logs.one("request_completed", records)["debug_reason"] == "token"
    assert logs.one("request_started", records)["headers"]["X-Debug-Log"] == "[REDACTED]"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def another_root_handler(seen: list[logging.LogRecord]) -> Callable[[], None]:
    handler = Collect()
    handler.records = seen
    logging.getLogger().addHandler(handler)
    return lambda: logging.getLogger().removeHandler(handler)


def a_filter_on_http(seen: list[logging.LogRecord]) -> Callable[[], None]:
    def keep(record: logging.LogRecord) -> bool:
        seen.append(record)
        return True

    logging.getLogger("http").addFilter(keep)
    return lambda: logging.getLogger("http").removeFilter(keep)


def a_record_factory(seen: list[logging.LogRecord]) -> Callable[[], None]:
    original = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:  # as OpenTelemetry's does
        record = original(*args, **kwargs)
        seen.append(record)
        return record

    logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(original)


def patched_call_handlers(seen: list[logging.LogRecord]) -> Callable[[], None]:
    original = logging.Logger.callHandlers

    def patched(self: logging.Logger, record: logging.LogRecord) -> None:  # as Sentry's integration does
        seen.append(record)
        original(self, record)

    logging.Logger.callHandlers = patched  # type: ignore[method-assign]
    return lambda: setattr(logging.Logger, "callHandlers", original)


@pytest.mark.parametrize("listener", [another_root_handler, a_filter_on_http, a_record_factory, patched_call_handlers])
def test_anything_else_listening_gets_the_summary_record(
    client, logs, listener: Callable[[list[logging.LogRecord]], Callable[[], None]]
) -> None:
    seen: list[logging.LogRecord] = []
    undo = listener(seen)
    try:
        client.get("/health", headers={"X-Request-ID": "req-2"})
    finally:
        undo()
    (record,) = [r for r in seen if r.msg == "request_completed"]
    assert (record.status, record.size) == (200, len('{"status":"ok"}\n'))  # type: ignore[attr-defined]
    assert logs.one("request_completed")["request_id"] == "req-2"


def test_a_disabled_http_logger_writes_no_summary(client, logs) -> None:
    # logging.config.dictConfig(disable_existing_loggers=True) does this to loggers it does not name.
    http = logging.getLogger("http")
    http.disabled = True
    try:
        client.get("/health")
    finally:
        http.disabled = False
    assert logs.events("request_completed") == []


@pytest.mark.parametrize("listening", [False, True], ids=["short-way", "through-logging"])
def test_a_failure_inside_formatting_never_fails_a_request(
    client, logs, monkeypatch: pytest.MonkeyPatch, listening: bool
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("formatter bug")

    monkeypatch.setattr(formatting, "add_extras", broken)
    undo = another_root_handler([]) if listening else (lambda: None)
    try:
        response = client.get("/health")
    finally:
        undo()
    assert response.status_code == 200
    line = logs.one("log_record_unformattable")
    assert (line["logger"], line["level"], line["error"]) == ("http", "INFO", "RuntimeError")


def test_records_keep_their_request_through_a_queue_handler(make_app, logs) -> None:
    """The context is stamped where a record is made, so a listener thread writing it later
    still knows its request (the logging cookbook's QueueHandler set-up)."""
    app: Flask = make_app()
    log = logging.getLogger("tests.pipeline")

    @app.get("/work")
    def work():
        log.info("in_route")
        return {"ok": True}

    root = logging.getLogger()
    sinks = list(root.handlers)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    front = logging.handlers.QueueHandler(records)
    listener = logging.handlers.QueueListener(records, *sinks, respect_handler_level=True)
    root.handlers[:] = [front]
    listener.start()
    try:
        app.test_client().get("/work", headers={"X-Request-ID": "req-queued"})
    finally:
        listener.stop()
        root.handlers[:] = sinks
    records = logs.read()
    assert logs.one("in_route", records)["request_id"] == "req-queued"
    assert logs.one("request_completed", records)["request_id"] == "req-queued"
