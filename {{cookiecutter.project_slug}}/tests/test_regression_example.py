"""A worked example of "verify the fix with tests" (README runbook, step 4).

Suppose a bug report came with request ID ``rq-42``: ``GET /quote?plan=enterprise`` answered
500 (a KeyError on an unknown plan). After the fix, lock it in with three tests in this shape:

1. the minimal input that used to fail now succeeds (regression test);
2. the events you rely on while troubleshooting are logged, with secrets redacted;
3. a performance guard: the step timings you need to see are emitted.
"""

from __future__ import annotations

import pytest
from flask import Flask, abort, request

from {{ cookiecutter.package_name }}.observability import StepTimer


def add_quote_route(app: Flask) -> None:
    @app.get("/quote")
    def quote():
        with StepTimer("load_prices"):
            prices = {"basic": 10}
        plan = request.args.get("plan", "basic")
        if plan not in prices:  # the fix: an unknown plan is a 404, not a KeyError
            abort(404, description=f"unknown plan {plan!r}")
        return {"price": prices[plan]}


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()
    add_quote_route(app)
    return app


def test_regression_minimal_input_now_succeeds(client) -> None:
    # The input from the bug report: before the fix, an unknown plan raised KeyError (500).
    response = client.get("/quote?plan=enterprise", headers={"X-Request-ID": "rq-42"})
    assert response.status_code == 404
    assert response.get_json()["request_id"] == "rq-42"
    assert client.get("/quote?plan=basic").get_json() == {"price": 10}


def test_logging_the_events_troubleshooting_relies_on(make_app, logs) -> None:
    app = make_app(LOG_LEVEL="DEBUG")  # request_started logs the query string
    add_quote_route(app)
    app.test_client().get("/quote?plan=basic&api_key=hunter2hunter2", headers={"X-Request-ID": "rq-42"})
    records = logs.read()
    assert logs.one("request_completed", records)["request_id"] == "rq-42"
    assert logs.one("request_started", records)["query"]["api_key"] == "[REDACTED]"
    assert "hunter2hunter2" not in "".join(logs.raw)


def test_performance_guard_step_timing_is_emitted(client, logs) -> None:
    client.get("/quote?plan=basic")
    step = logs.one("step_timing")
    assert step["step"] == "load_prices"
    assert isinstance(step["duration_ms"], float)
