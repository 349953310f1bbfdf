"""Run the real service in a subprocess (gunicorn from its own gunicorn.conf.py, ``flask run``,
a WSGI import) and talk to it.

The one place tests build the service's settings and environment (``TEST_SETTINGS``,
``service_env``), start it (``serving``, ``gunicorn``, ``start_up``, ``refusal``) and reach
it (``free_port``, ``get``, ``raw_request``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
# The settings every test starts from (app overrides, and every subprocess's environment):
# no developer's .env, no file-logging build's default log file (which would be created in
# the project), and /health, the tests' "any request", summarised at INFO (test_probes.py
# checks the default that keeps successful probes at DEBUG).
TEST_SETTINGS = {"ENV_FILE": "", "LOG_FILE": "", "LOG_PROBE_PATHS": ""}
# What tests build apps with in-process (``create_app`` overrides).
BASE_OVERRIDES = {**TEST_SETTINGS, "TESTING": "true"}


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


def service_env(**env: str | None) -> dict[str, str]:
    """This process's environment with ``TEST_SETTINGS``, on loopback, and ``env`` on top; a
    value of None removes that variable."""
    merged = {**os.environ, **TEST_SETTINGS, "HOST": "127.0.0.1", **env}
    return {key: value for key, value in merged.items() if value is not None}


def start_up(entry: str, cwd: Path = PROJECT_ROOT, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Start the service through one entry point with ``env`` and wait for it to exit.

    Only for settings it must refuse: a good configuration would serve until the timeout.
    """
    return subprocess.run(
        ENTRY_POINTS[entry], cwd=cwd, env=service_env(**env), capture_output=True, text=True, timeout=60, check=False
    )


def refusal(entry: str, cwd: Path = PROJECT_ROOT, **env: str | None) -> str:
    """Start the service with a setting it must refuse; check it stopped the way every refusal
    does (exit status 4, one line on stderr, no traceback, no worker) and return that line."""
    result = start_up(entry, cwd, **env)
    assert result.returncode == 4, result
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stdout
    (line,) = result.stderr.strip().splitlines()
    return line


@contextmanager
def serving(
    command: list[str], port: int, host: str = "127.0.0.1", stop: signal.Signals = signal.SIGTERM, **env: str | None
) -> Iterator[Server]:
    """Run ``command`` (serving on ``port``), wait until it answers, yield; then send it
    ``stop`` and collect its output (killing it, and failing, if it has not exited in a minute)."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=service_env(**env),
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
            process.send_signal(stop)
        try:
            server.stdout, server.stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()  # never left running past the test
            process.communicate()
            raise
        server.lines = [line for line in server.stdout.split("\n") if line]


@contextmanager
def gunicorn(host: str = "127.0.0.1", **env: str | None) -> Iterator[Server]:
    """Start gunicorn, wait until it answers, yield; then SIGTERM it and collect its output."""
    port = free_port(host)
    with serving(gunicorn_command(), port, host, HOST=host, PORT=str(port), **env) as server:
        yield server


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


def readme_commands(block: str) -> list[str]:
    """The commands of a README code block, one a line: comments and a trailing ``  # ...`` go."""
    return [
        line.split("  # ")[0].strip()
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def run_shell(command: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run a runbook command as a reader would: bash with pipefail, in the project, with the
    tests' environment, ``env`` and this virtualenv's tools (flask, the log script) first."""
    search_path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=PROJECT_ROOT,
        env=service_env(**{"PATH": search_path, **env}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def raw_request(url: str, head: bytes) -> bytes:
    """Send ``head`` (a request line and headers, each ending CRLF; the blank line is added)
    byte for byte, as no HTTP client would, and return the whole response."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head + b"\r\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)
