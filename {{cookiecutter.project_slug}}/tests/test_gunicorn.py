"""The production command: gunicorn from gunicorn.conf.py, on loopback, read what it logged."""

from __future__ import annotations

import subprocess

from gunicorn_helpers import PROJECT_ROOT, get, gunicorn, gunicorn_command, service_env
from {{ cookiecutter.package_name }}.observability.testing import parse_line


def test_gunicorn_serves_and_logs_every_line_in_the_chosen_format(log_format: str) -> None:
    with gunicorn(LOG_FORMAT=log_format, WEB_CONCURRENCY="2") as server:
        status, headers, body = get(f"{server.url}/health", {"X-Request-ID": "gunicorn-1"})
        assert status == 200
        assert headers["X-Request-ID"] == "gunicorn-1"
        assert body == b'{"status":"ok"}\n'
    events = [parse_line(line) for line in server.lines]  # every line parses: no foreign format
    gunicorn_lines = [e for e in events if e["logger"] == "gunicorn.error"]
    assert any(str(e["msg"]).startswith("Starting gunicorn") for e in gunicorn_lines)
    assert sum(str(e["msg"]).startswith("Booting worker") for e in gunicorn_lines) == 2
    assert all(e["request_id"] == "-" for e in gunicorn_lines)
    completed = [e for e in events if e["msg"] == "request_completed" and e["request_id"] == "gunicorn-1"]
    assert len(completed) == 1
    assert server.stderr == ""


def test_sigterm_loses_no_line() -> None:
    with gunicorn(WEB_CONCURRENCY="2") as server:
        for i in range(50):
            assert get(f"{server.url}/health", {"X-Request-ID": f"term-{i}"})[0] == 200
    ids = [parse_line(line).get("request_id") for line in server.lines if "request_completed" in line]
    assert sorted(i for i in ids if str(i).startswith("term-")) == sorted(f"term-{i}" for i in range(50))
    assert server.process.returncode == 0


def test_bad_environment_stops_gunicorn_with_one_line() -> None:
    result = subprocess.run(
        gunicorn_command(),
        cwd=PROJECT_ROOT,
        env=service_env(LOG_LEVEL="LOUD", PORT="1"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "CRITICAL config: LOG_LEVEL='LOUD' is not valid; accepted: DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]


def test_bad_server_setting_stops_gunicorn_with_one_line() -> None:
    # (WEB_CONCURRENCY itself is parsed by gunicorn on import, before this file can check it.)
    result = subprocess.run(
        gunicorn_command(),
        cwd=PROJECT_ROOT,
        env=service_env(GUNICORN_TIMEOUT="many"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CRITICAL config: GUNICORN_TIMEOUT='many' is not valid; accepted: a whole number >= 1"
    ]
