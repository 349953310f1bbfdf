"""Streamed bodies under gunicorn, read back from what it logged: a client that hangs up midway
is not a failure, and gunicorn's own line about a body that failed names the request.

The service has no streaming route, so gunicorn serves a small module (written to a temporary
directory) that builds the real app with ``create_app`` and adds two; everything else is the
production set-up: gunicorn.conf.py, its logger class, the service's sinks.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.observability.testing import parse_line

import gunicorn_helpers
from gunicorn_helpers import get, gunicorn

STREAMING_APP = """
from flask import Response

from {{ cookiecutter.package_name }} import create_app

app = create_app()


@app.get("/endless")
def endless():
    def body():
        for _ in range(20_000):  # 320 MB: far more than the client will read
            yield b"x" * 16384

    return Response(body(), mimetype="application/octet-stream")


@app.get("/broken")
def broken():
    def body():
        yield b"start"
        raise RuntimeError("stream died")

    return Response(body(), mimetype="text/plain")
"""


@pytest.fixture
def streaming_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``gunicorn_helpers.gunicorn`` serve the streaming module instead of the service's."""
    (tmp_path / "streaming_app.py").write_text(STREAMING_APP)
    command = [sys.executable, "-m", "gunicorn", "--pythonpath", str(tmp_path), "streaming_app:app"]
    monkeypatch.setattr(gunicorn_helpers, "gunicorn_command", lambda: command)


def send(url: str, path: str, request_id: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=10)
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-ID: {request_id}\r\n\r\n".encode())
    return conn


def read_some_then_hang_up(url: str, path: str, request_id: str, wanted: int) -> int:
    """Read about ``wanted`` bytes of the response, then close the socket with the rest unread."""
    with send(url, path, request_id) as conn:
        received = 0
        while received < wanted and (chunk := conn.recv(65536)):
            received += len(chunk)
    return received


def read_to_the_end(url: str, path: str, request_id: str) -> bytes:
    with send(url, path, request_id) as conn:
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("threads", ["1", "2"], ids=["sync", "gthread"])
def test_client_hanging_up_mid_stream_is_aborted_not_a_server_failure(streaming_app: None, threads: str) -> None:
    with gunicorn(WEB_CONCURRENCY="1", GUNICORN_THREADS=threads) as server:
        assert read_some_then_hang_up(server.url, "/endless", "hung-up", wanted=100_000) >= 100_000
        # Served after the aborted request has finished (one worker): its lines are out by now.
        assert get(f"{server.url}/health", {"X-Request-ID": "next-one"})[0] == 200
    events = [parse_line(line) for line in server.lines]
    mine = [e for e in events if e["request_id"] == "hung-up"]
    assert [e["msg"] for e in mine] == ["request_completed"]  # no stream_failed
    completed = mine[0]
    assert (completed["level"], completed["status"], completed["aborted"]) == ("INFO", 200, True)
    assert 100_000 <= completed["size"] < 20_000 * 16384
    assert not any(str(e["msg"]).startswith("Error handling request") for e in events)
    assert server.stderr == ""


@pytest.mark.parametrize("threads", ["1", "2"], ids=["sync", "gthread"])
def test_gunicorns_error_line_for_a_failed_stream_names_the_request(streaming_app: None, threads: str) -> None:
    # Gunicorn closes the body (which ends the request and resets its context) before it logs
    # "Error handling request"; that line must still carry the request's ID, and nothing after
    # it may: not gunicorn's later lines, not the next request.
    with gunicorn(WEB_CONCURRENCY="1", GUNICORN_THREADS=threads) as server:
        assert read_to_the_end(server.url, "/broken", "broke-mid-body").startswith(b"HTTP/1.1 200")
        assert get(f"{server.url}/health", {"X-Request-ID": "next-one"})[0] == 200
    events = [parse_line(line) for line in server.lines]
    failed = [e for e in events if e["request_id"] == "broke-mid-body"]
    assert [e["msg"] for e in failed] == ["stream_failed", "request_completed", "Error handling request"]
    assert (failed[1]["status"], failed[1]["level"]) == (500, "ERROR")
    error_line = failed[2]
    assert error_line["logger"] == "gunicorn.error"
    assert (error_line["exc_type"], error_line["path"]) == ("RuntimeError", "/broken")
    assert [e["msg"] for e in events if e["request_id"] == "next-one"] == ["request_completed"]
    others = [e for e in events if e["logger"] == "gunicorn.error" and e is not error_line]
    assert others, "gunicorn logged nothing else: the leak check below would prove nothing"
    assert all(e["request_id"] == "-" for e in others)
    assert server.stderr == ""
