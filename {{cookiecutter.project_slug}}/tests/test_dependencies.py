"""Dependency calls: timed, safe URL, error category, identity passed downstream."""

from __future__ import annotations

import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import http_request, track_dependency

from gunicorn_helpers import free_port

SECRET = "q-secret-123456"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Downstream(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        Downstream.seen.append({k.lower(): v for k, v in self.headers.items()})
        status = 500 if self.path.startswith("/fail") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def downstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Downstream)
    # A short poll interval: shutdown() waits for the loop's next poll (0.5 s by default).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    Downstream.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(make_app, downstream: str) -> Flask:
    app = make_app()

    @app.get("/proxy/<path:target>")
    def proxy(target: str):
        status, _ = http_request("inventory", "GET", f"{downstream}/{target}?api_key={SECRET}")
        return {"status": status}

    return app


def test_http_request_logs_a_dependency_call_and_propagates_ids(client, logs, downstream: str) -> None:
    response = client.get(
        "/proxy/items", headers={"X-Request-ID": "dep-1", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}
    )
    assert response.get_json() == {"status": 200}
    sent = Downstream.seen[-1]
    assert sent["x-request-id"] == "dep-1"
    assert sent["traceparent"].startswith(f"00-{TRACE}-")
    records = logs.read()
    call = logs.one("dependency_call", records)
    assert call["dependency"] == "inventory"
    assert call["operation"] == "GET"
    assert call["url"] == f"{downstream}/items"
    assert call["status"] == 200
    assert call["retries"] == 0
    assert call["error"] is None
    assert call["request_id"] == "dep-1"
    assert call["duration_ms"] <= logs.one("request_completed", records)["duration_ms"]
    assert all(SECRET not in raw for raw in logs.raw)


def test_http_error_is_logged_with_status_and_category(app, logs, downstream: str) -> None:
    with pytest.raises(urllib.error.HTTPError):
        http_request("inventory", "GET", f"{downstream}/fail")
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
