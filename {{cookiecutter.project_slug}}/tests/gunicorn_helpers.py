"""Run the real service under gunicorn on a loopback port, from its own gunicorn.conf.py.

``start_up`` runs any of the three entry points (gunicorn, ``flask run``, wsgi import) with a
setting it must refuse, and returns what it printed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"


# The three ways the service starts; each must refuse a bad setting with one CRITICAL line.
# (flask run's port is never reached: a bad setting stops it first.)
ENTRY_POINTS = {
    "gunicorn": [sys.executable, "-m", "gunicorn", f"{PACKAGE}.wsgi:app"],
    "flask-run": [sys.executable, "-m", "flask", "--app", PACKAGE, "run", "--port", "1"],
    "wsgi": [sys.executable, "-c", f"import {PACKAGE}.wsgi"],
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stdout: str = ""
    stderr: str = ""
    lines: list[str] = field(default_factory=list)


def gunicorn_command() -> list[str]:
    return list(ENTRY_POINTS["gunicorn"])


def service_env(**env: str) -> dict[str, str]:
    # LOG_PROBE_PATHS="": tests use /health as "any request" and read its summary (see conftest).
    return {**os.environ, "ENV_FILE": "", "HOST": "127.0.0.1", "LOG_FILE": "", "LOG_PROBE_PATHS": "", **env}


def start_up(entry: str, cwd: Path = PROJECT_ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """Start the service through one entry point with ``env`` and wait for it to exit.

    Only for settings it must refuse: a good configuration would serve until the timeout.
    """
    return subprocess.run(
        ENTRY_POINTS[entry], cwd=cwd, env=service_env(**env), capture_output=True, text=True, timeout=60, check=False
    )


@contextmanager
def gunicorn(host: str = "127.0.0.1", **env: str) -> Iterator[Server]:
    """Start gunicorn, wait until it answers, yield; then SIGTERM it and collect its output."""
    port = free_port(host)
    process = subprocess.Popen(
        gunicorn_command(),
        cwd=PROJECT_ROOT,
        env=service_env(HOST=host, PORT=str(port), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(url=f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}", process=process)
    try:
        wait_until_serving(server.url, process)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        server.stdout, server.stderr = process.communicate(timeout=60)
        server.lines = [line for line in server.stdout.split("\n") if line]


def wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Poll ``/health`` until the server answers; fail early if its process has exited."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.communicate()}")
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
