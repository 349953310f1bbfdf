"""Liveness and readiness probes, and how quietly they log."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.probes import add_readiness_check, readiness_of

TOKEN = "a-debug-token-of-20-chars"
DEFAULT_PROBES = "/health,/ready"  # the default; conftest turns it off for the other tests


def test_health_answers_ok_without_checking_anything(make_app) -> None:
    app = make_app()
    add_readiness_check(app, "broken", lambda: 1 / 0)
    response = app.test_client().get("/health")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def only_these_checks(app: Flask) -> Flask:
    """The app with none of the checks service.py registers: these tests add their own."""
    readiness_of(app).checks.clear()
    return app


def test_ready_without_checks_is_ready(app) -> None:
    response = only_these_checks(app).test_client().get("/ready")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready", "checks": []})


def test_ready_reports_each_check_and_fails_if_one_fails(make_app) -> None:
    app = only_these_checks(make_app())
    add_readiness_check(app, "database", lambda: None)
    add_readiness_check(app, "cache", lambda: 1 / 0)
    response = app.test_client().get("/ready")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "not_ready"
    assert [(c["name"], c["status"]) for c in body["checks"]] == [("database", "pass"), ("cache", "fail")]
    assert all(isinstance(c["duration_ms"], float) for c in body["checks"])
    assert "ZeroDivisionError" not in response.get_data(as_text=True)  # no internals in the answer


def test_a_check_past_its_timeout_fails_without_holding_the_probe(make_app) -> None:
    app = only_these_checks(make_app())
    release = threading.Event()
    add_readiness_check(app, "slow", lambda: release.wait(5), timeout=0.2)
    started = time.perf_counter()
    response = app.test_client().get("/ready")
    elapsed = time.perf_counter() - started
    release.set()
    assert response.status_code == 503
    assert response.get_json()["checks"][0]["status"] == "timeout"
    assert elapsed < 4  # the probe answered long before the check would have


def test_a_failing_check_is_logged_once_per_state_change(make_app, logs) -> None:
    app = only_these_checks(make_app(LOG_PROBE_PATHS=DEFAULT_PROBES))
    healthy = {"ok": False}

    def database() -> None:
        if not healthy["ok"]:
            raise ConnectionError("password=s3cr3t-Value-9f8e7d refused")

    add_readiness_check(app, "database", database)
    client = app.test_client()
    for _ in range(3):
        client.get("/ready")
    healthy["ok"] = True
    for _ in range(3):
        client.get("/ready")
    records = logs.read()
    failed = logs.one("readiness_check_failed", records)
    assert (failed["check"], failed["check_status"], failed["level"]) == ("database", "fail", "WARNING")
    assert "s3cr3t" not in str(failed["exc"])  # redacted like every record
    assert logs.one("readiness_check_recovered", records)["check"] == "database"
    # The not-ready probes themselves are summarised at INFO, not as errors.
    summaries = logs.events("request_completed", records)
    assert [(s["status"], s["level"]) for s in summaries] == [(503, "INFO")] * 3


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_successful_probes_stay_out_of_info_by_default(logs, log_format: str, path: str) -> None:
    from {{ cookiecutter.package_name }} import create_app

    create_app({"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": log_format}).test_client().get(path)
    assert logs.events("request_completed") == []


def test_probes_are_visible_at_debug_and_for_per_request_debug(make_app, logs) -> None:
    make_app(LOG_LEVEL="DEBUG", LOG_PROBE_PATHS=DEFAULT_PROBES).test_client().get("/health")
    assert logs.one("request_completed")["level"] == "DEBUG"
    app = make_app(DEBUG_LOG_TOKEN=TOKEN, LOG_PROBE_PATHS=DEFAULT_PROBES)
    app.test_client().get("/ready", headers={"X-Debug-Log": TOKEN})
    assert logs.one("request_completed")["level"] == "DEBUG"


def test_probe_paths_are_configurable(make_app, logs) -> None:
    make_app(LOG_PROBE_PATHS="").test_client().get("/health")
    assert logs.one("request_completed")["level"] == "INFO"
    app: Flask = make_app(LOG_PROBE_PATHS="/livez")
    app.add_url_rule("/livez", "livez", lambda: "ok")
    client = app.test_client()
    client.get("/livez")
    client.get("/health")
    assert [r["path"] for r in logs.events("request_completed")] == ["/health"]


def test_bad_probe_paths_are_refused(make_app) -> None:
    from {{ cookiecutter.package_name }}.config import ConfigError

    with pytest.raises(ConfigError, match="LOG_PROBE_PATHS"):
        make_app(LOG_PROBE_PATHS="health")


def test_a_check_needs_a_positive_timeout(app) -> None:
    with pytest.raises(ValueError, match="timeout"):
        add_readiness_check(app, "x", lambda: None, timeout=0)
