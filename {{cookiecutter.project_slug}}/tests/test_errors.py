"""Errors answer JSON with the request ID; an unhandled one is logged once with its stack.

The 500 path runs with PROPAGATE_EXCEPTIONS false, as in production (``make_routed_app``), so
what is checked is what users and logs really get.
"""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def app(make_routed_app) -> Flask:
    return make_routed_app()


def test_unhandled_exception_gives_json_500_with_request_id(client, logs) -> None:
    response = client.get("/boom", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "err-1"
    body = response.get_json()
    assert body["error"] == "internal_server_error"
    assert body["request_id"] == "err-1"
    assert "exploded" not in response.get_data(as_text=True)

    records = logs.read()
    errors = [r for r in records if r["level"] == "ERROR" and "exc" in r]
    assert len(errors) == 1
    assert errors[0]["msg"] == "unhandled_exception"
    assert errors[0]["exc_type"] == "RuntimeError"
    assert "database exploded" in errors[0]["exc"]
    assert errors[0]["request_id"] == "err-1"
    summary = logs.one("request_completed", records)
    assert (summary["level"], summary["status"], summary["request_id"]) == ("ERROR", 500, "err-1")


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [("GET", "/nope", 404, "not_found"), ("POST", "/health", 405, "method_not_allowed")],
)
def test_http_errors_answer_json_with_request_id(client, logs, method, path, status, error) -> None:
    response = client.open(path, method=method, headers={"X-Request-ID": "http-err"})
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"] == error
    assert response.get_json()["request_id"] == "http-err"
    if status == 405:
        assert "GET" in response.headers["Allow"]
    assert logs.one("request_completed")["status"] == status


def test_malformed_json_body_is_a_400(make_app, logs) -> None:
    app = make_app()

    @app.post("/echo")
    def echo():
        from flask import request

        return {"got": request.get_json()}

    response = app.test_client().post("/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert logs.one("request_completed")["status"] == 400
