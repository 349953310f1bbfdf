"""A worked example of "verify the fix with tests" (README runbook, step 4).

Suppose a bug report came with request ID ``rq-42``: ``GET /health?verbose=1`` answered 500.
After the fix, lock it in with three tests in this shape:

1. the minimal input that used to fail now succeeds (regression test);
2. the events you rely on while troubleshooting are logged, with secrets redacted;
3. a performance guard: the step timings you need to see are emitted.
"""

from __future__ import annotations

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import StepTimer


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()

    @app.get("/quote")
    def quote():
        with StepTimer("load_prices"):
            prices = {"basic": 10}
        return {"price": prices["basic"]}

    return app


def test_regression_minimal_input_now_succeeds(client) -> None:
    response = client.get("/health?verbose=1", headers={"X-Request-ID": "rq-42"})
    assert response.status_code == 200


def test_logging_the_events_troubleshooting_relies_on(client, logs) -> None:
    client.get("/quote?api_key=hunter2hunter2", headers={"X-Request-ID": "rq-42"})
    records = logs.read()
    assert logs.one("request_completed", records)["request_id"] == "rq-42"
    assert "hunter2hunter2" not in "".join(logs.raw)


def test_performance_guard_step_timing_is_emitted(client, logs) -> None:
    client.get("/quote")
    step = logs.one("step_timing")
    assert step["step"] == "load_prices"
    assert step["duration_ms"] < 1000
