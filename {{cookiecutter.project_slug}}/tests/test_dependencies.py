"""Dependency calls: timed, safe URL, error category, identity passed downstream."""

from __future__ import annotations

import urllib.error

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import http_request, track_dependency

from gunicorn_helpers import free_port

SECRET = "q-secret-123456"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def app(make_app, downstream) -> Flask:
    app = make_app()

    @app.get("/proxy/<path:target>")
    def proxy(target: str):
        status, _ = http_request("inventory", "GET", f"{downstream.url}/{target}?api_key={SECRET}")
        return {"status": status}

    return app


def test_http_request_logs_a_dependency_call_and_propagates_ids(client, logs, downstream) -> None:
    response = client.get(
        "/proxy/items", headers={"X-Request-ID": "dep-1", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}
    )
    assert response.get_json() == {"status": 200}
    sent = downstream.seen[-1]
    assert sent["x-request-id"] == "dep-1"
    assert sent["traceparent"].startswith(f"00-{TRACE}-")
    records = logs.read()
    call = logs.one("dependency_call", records)
    assert call["dependency"] == "inventory"
    assert call["operation"] == "GET"
    assert call["url"] == f"{downstream.url}/items"
    assert call["status"] == 200
    assert call["retries"] == 0
    assert call["error"] is None
    assert call["request_id"] == "dep-1"
    assert call["duration_ms"] <= logs.one("request_completed", records)["duration_ms"]
    assert all(SECRET not in raw for raw in logs.raw)


def test_http_error_is_logged_with_status_and_category(app, logs, downstream) -> None:
    with pytest.raises(urllib.error.HTTPError):
        http_request("inventory", "GET", f"{downstream.url}/fail")
    call = logs.one("dependency_call")
    assert call["level"] == "WARNING"
    assert call["status"] == 500
    assert call["error"] == "http_5xx"


def test_connection_failure_is_categorised(app, logs) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(urllib.error.URLError):
        http_request("billing", "POST", f"http://user:{SECRET}@127.0.0.1:{port}/charge", body=b"{}", timeout=2)
    call = logs.one("dependency_call")
    assert call["error"] == "connection"
    assert call["url"] == f"http://127.0.0.1:{port}/charge"
    assert all(SECRET not in raw for raw in logs.raw)


def test_track_dependency_times_any_call(app, logs) -> None:
    with track_dependency("postgres", "select_customer") as call:
        call.retries = 2
    event = logs.one("dependency_call")
    assert (event["dependency"], event["operation"], event["retries"]) == ("postgres", "select_customer", 2)
    with pytest.raises(TimeoutError), track_dependency("redis", "get"):
        raise TimeoutError
    assert logs.one("dependency_call")["error"] == "timeout"
