"""A failing sink never takes requests down, and is reported once on stderr."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from gunicorn_helpers import PROJECT_ROOT, get, gunicorn, service_env

REPORTED_ONCE = "later failures of this sink are not reported"


def test_closed_stdout_keeps_serving_and_reports_once(app, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    client = app.test_client()
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    for _ in range(5):
        assert client.get("/health").status_code == 200
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.count("ERROR logging: cannot write to stdout") == 1
    assert "Traceback" not in err


def test_broken_pipe_keeps_serving(app, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    class BrokenPipe(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", BrokenPipe())
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/nope").status_code == 404
    monkeypatch.undo()
    assert capsys.readouterr().err.count("BrokenPipeError") == 1


# Builds the real app, waits until the parent has closed its end of stdout (or closes its own
# stdout descriptor), then serves requests, whose summaries hit the dead stream; then exits
# normally, which flushes stdout once more.
BROKEN_STDOUT_CHILD = """
import os
import sys

from {{ cookiecutter.package_name }} import create_app

client = create_app().test_client()
sys.stdin.readline()
if sys.argv[1] == "fd-closed":
    os.close(1)
for _ in range(5):
    assert client.get("/health").status_code == 200
"""


@pytest.mark.parametrize(
    ("how", "unbuffered", "error"),
    [
        ("reader-gone", False, "BrokenPipeError(32, 'Broken pipe')"),
        ("reader-gone", True, "BrokenPipeError(32, 'Broken pipe')"),
        ("fd-closed", False, "OSError(9, 'Bad file descriptor')"),
    ],
    ids=["pipe-closed-by-reader", "pipe-closed-PYTHONUNBUFFERED", "fd-closed"],
)
def test_dead_stdout_prints_exactly_one_line(how: str, unbuffered: bool, error: str) -> None:
    # The promise is one line on stderr. With a buffered stdout (no PYTHONUNBUFFERED), the
    # interpreter's own flush of stdout at exit used to add "Exception ignored in:
    # <_io.TextIOWrapper name='<stdout>' ...> BrokenPipeError" and turn exit status 0 into 120.
    child = subprocess.Popen(
        [sys.executable, "-c", BROKEN_STDOUT_CHILD, how],
        cwd=PROJECT_ROOT,
        # Unless asked otherwise, stdout is buffered (the default) whatever this process has:
        # only a buffered stdout still holds lines when the interpreter flushes it at exit.
        env=service_env(PYTHONUNBUFFERED="1" if unbuffered else None, LOG_FORMAT="json"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if how == "reader-gone":
        child.stdout.close()
    _, err = child.communicate("go\n", timeout=60)
    assert err.splitlines() == [f"ERROR logging: cannot write to stdout: {error}; {REPORTED_ONCE}"]
    assert child.returncode == 0


def test_gunicorn_with_stdout_closed_by_its_reader_prints_one_line_per_process() -> None:
    with gunicorn(PYTHONUNBUFFERED=None, WEB_CONCURRENCY="1") as server:  # stdout buffered, as by default
        server.process.stdout.close()  # the reader goes away; the worker's summaries hit the broken pipe
        for _ in range(5):
            assert get(f"{server.url}/health")[0] == 200
    # On SIGTERM, the master's "Handling signal" line hits it too.
    one_line = f"ERROR logging: cannot write to stdout: BrokenPipeError(32, 'Broken pipe'); {REPORTED_ONCE}"
    assert server.stderr.splitlines() == [one_line, one_line]  # the worker's and the master's
    assert server.process.returncode == 0
