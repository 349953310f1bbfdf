"""Run the real service under gunicorn on a loopback port, from its own gunicorn.conf.py."""

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stdout: str = ""
    stderr: str = ""
    lines: list[str] = field(default_factory=list)


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", f"{PACKAGE}.wsgi:app"]


def service_env(**env: str) -> dict[str, str]:
    return {**os.environ, "ENV_FILE": "", "HOST": "127.0.0.1", "LOG_FILE": "", **env}


@contextmanager
def gunicorn(**env: str) -> Iterator[Server]:
    """Start gunicorn, wait until it answers, yield; then SIGTERM it and collect its output."""
    port = free_port()
    process = subprocess.Popen(
        gunicorn_command(),
        cwd=PROJECT_ROOT,
        env=service_env(PORT=str(port), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process)
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
