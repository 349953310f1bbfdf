"""``flask run`` (local development) logs each request once, in the service's format."""

from __future__ import annotations

import signal
import subprocess
import sys

from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import PACKAGE, PROJECT_ROOT, free_port, get, service_env, wait_until_serving


def test_flask_run_logs_one_line_per_request() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", PACKAGE, "run", "--port", str(port), "--no-reload"],
        cwd=PROJECT_ROOT,
        env=service_env(LOG_FORMAT="text"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
        assert get(f"http://127.0.0.1:{port}/health", {"X-Request-ID": "dev-once"})[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    mine = [line for line in (out + err).splitlines() if "dev-once" in line]
    assert len(mine) == 1, out + err
    event = parse_line(mine[0])
    assert (event["msg"], event["request_id"], event["status"]) == ("request_completed", "dev-once", 200)
