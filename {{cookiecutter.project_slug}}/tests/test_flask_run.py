"""``flask run`` (local development) logs each request once, in the service's format."""

from __future__ import annotations

import signal
import sys

from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import PACKAGE, free_port, get, serving


def test_flask_run_logs_one_line_per_request() -> None:
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", PACKAGE, "run", "--port", str(port), "--no-reload"]
    with serving(command, port, stop=signal.SIGINT, LOG_FORMAT="text") as server:
        assert get(f"{server.url}/health", {"X-Request-ID": "dev-once"})[0] == 200
    output = server.stdout + server.stderr
    mine = [line for line in output.splitlines() if "dev-once" in line]
    assert len(mine) == 1, output
    event = parse_line(mine[0])
    assert (event["msg"], event["request_id"], event["status"]) == ("request_completed", "dev-once", 200)
