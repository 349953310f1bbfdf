"""Request summaries: started (DEBUG), completed (INFO, ERROR on 5xx), slow requests."""

from __future__ import annotations

import gc

import pytest
from flask import Flask, Response

from {{ cookiecutter.package_name }}.observability.context import current


@pytest.fixture
def app(make_routed_app) -> Flask:
    return make_routed_app(SLOW_REQUEST_MS="50")


def test_request_completed_summarises_the_request(client, logs) -> None:
    client.get("/health?page=2", headers={"X-Request-ID": "req-1"})
    records = logs.read()
    assert logs.messages(records) == ["request_completed"]
    event = records[0]
    assert event["level"] == "INFO"
    assert event["logger"] == "http"
    assert (event["request_id"], event["method"], event["path"]) == ("req-1", "GET", "/health")
    assert event["status"] == 200
    assert isinstance(event["duration_ms"], float)
    assert event["size"] == len(b'{"status":"ok"}\n')
    assert event["content_type"] == "application/json"


def test_request_started_is_debug_only(make_app, logs) -> None:
    make_app(LOG_LEVEL="DEBUG").test_client().get("/health?x=1", headers={"X-Trace-Me": "yes"})
    records = logs.read()
    started = logs.one("request_started", records)
    assert started["level"] == "DEBUG"
    assert started["query"] == {"x": ["1"]}
    assert started["headers"]["X-Trace-Me"] == "yes"
    assert logs.messages(records) == ["request_started", "request_completed"]


def test_server_errors_are_summarised_at_error(client, logs) -> None:
    client.get("/unavailable")
    event = logs.one("request_completed")
    assert event["level"] == "ERROR"
    assert event["status"] == 503


def test_slow_requests_add_a_warning(client, logs) -> None:
    client.get("/slow?ms=80")
    records = logs.read()
    slow = logs.one("slow_request", records)
    assert slow["level"] == "WARNING"
    assert slow["duration_ms"] > 50
    assert slow["threshold_ms"] == 50
    client.get("/health")
    assert not logs.events("slow_request", logs.read())


def test_slow_request_warning_can_be_turned_off(make_routed_app, logs) -> None:
    make_routed_app(SLOW_REQUEST_MS="0").test_client().get("/slow?ms=20")
    assert not logs.events("slow_request")


def test_streamed_responses_keep_context_and_are_summarised_at_the_end(client, logs) -> None:
    response = client.get("/stream", headers={"X-Request-ID": "streamed"})
    assert response.get_data() == b"x" * 30
    response.close()
    records = logs.read()
    assert logs.messages(records) == ["chunk", "chunk", "chunk", "request_completed"]
    assert all(r["request_id"] == "streamed" for r in records)
    completed = records[-1]
    assert (completed["status"], completed["size"]) == (200, 30)
    assert "aborted" not in completed
    assert completed["duration_ms"] >= 30
    assert current().request_id == "-"  # unbound once the server closed the body

    response = client.get("/broken-stream", headers={"X-Request-ID": "broken"})
    with pytest.raises(RuntimeError):
        response.get_data()
    response.close()
    records = logs.read()
    assert logs.one("stream_failed", records)["exc_type"] == "RuntimeError"
    failed = logs.one("request_completed", records)
    assert (failed["status"], failed["level"], failed["request_id"]) == (500, "ERROR", "broken")


def test_client_disconnect_mid_stream_is_logged_as_aborted_not_as_a_failure(client, logs) -> None:
    # A client that goes away: the server stops asking for chunks and closes the body early.
    # The test client reads the first chunk to get the headers; closing the response then is
    # what a server does when its write to the client fails.
    response = client.get("/stream?chunks=100", headers={"X-Request-ID": "went-away"})
    response.close()
    del response
    gc.collect()  # the dropped iterator is finalised too, as it is in a server
    records = logs.read()
    assert logs.messages(records) == ["chunk", "request_completed"]  # no further chunk, no stream_failed
    completed = records[-1]
    assert (completed["level"], completed["status"], completed["request_id"]) == ("INFO", 200, "went-away")
    assert (completed["aborted"], completed["size"]) == (True, 10)
    assert current().request_id == "-"


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b9", "\u0661\u0662"], ids=["superscript", "mixed", "arabic-indic"])
def test_non_ascii_digits_in_content_length_are_not_a_size(make_app, logs, value: str) -> None:
    # "\u00b2".isdigit() is True but int() of it raises: that turned a 200 into a 500.
    app = make_app(LOG_LEVEL="DEBUG")

    @app.get("/odd-length")
    def odd_length():
        response = Response(b"{}", mimetype="application/json")
        response.headers["Content-Length"] = value  # after the body, which sets its own
        return response

    client = app.test_client()
    assert client.get("/odd-length").status_code == 200
    completed = logs.one("request_completed")
    assert (completed["status"], completed["size"]) == (200, None)

    assert client.get("/health", environ_overrides={"CONTENT_LENGTH": value}).status_code == 200
    records = logs.read()
    assert logs.one("request_started", records)["content_length"] is None
    assert logs.one("request_completed", records)["status"] == 200
