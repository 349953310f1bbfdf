"""LOG_FORMAT=console: the same events as JSON and text, drawn for a person at a terminal.

The renderer on its own (layout, colour, escaping, odd values), the formatter through the
real pipeline (redaction, tracebacks as lines), the choice of format (only by configuration,
and by ``flask run`` on a terminal), colour only on a terminal and never with ``NO_COLOR``,
and a log file that keeps JSON or text whatever stdout shows.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import pty
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from flask.cli import run_command

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import CONSOLE, DEFAULT_LOG_FORMAT, FILE_SINK_MODULE, load_settings
from {{ cookiecutter.package_name }}.env import ConfigError
from {{ cookiecutter.package_name }}.logs.reading import parse_record
from {{ cookiecutter.package_name }}.observability.console import ConsoleFormatter, ConsoleRenderer, wants_color
from {{ cookiecutter.package_name }}.observability.context import LogContext
from {{ cookiecutter.package_name }}.observability.formatting import JsonFormatter, TextFormatter
from {{ cookiecutter.package_name }}.observability.pipeline import Pipeline
from {{ cookiecutter.package_name }}.observability.setup import PerSinkPipeline, configure_logging
from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import PACKAGE, PROJECT_ROOT, TEST_SETTINGS, free_port, get, service_env, wait_until_serving

log = logging.getLogger("tests.console")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEAD = re.compile(r"(\d\d:\d\d:\d\d\.\d{3}) (\S+) +(\S+) +(\S+)")
OVERRIDES = {**TEST_SETTINGS, "TESTING": "true", "LOG_FORMAT": CONSOLE}
EVENT: dict[str, object] = {
    "ts": "2026-11-24T19:09:14.123Z",
    "level": "INFO",
    "logger": "http",
    "msg": "request_completed",
    "request_id": "6f1c",
    "user_id": "-",
    "method": "GET",
    "path": "/health",
    "service": "svc",
    "status": 200,
    "duration_ms": 0.41,
}
needs_file_sink = pytest.mark.skipif(
    importlib.util.find_spec(FILE_SINK_MODULE) is None, reason="generated without log_to_file: no log file to keep"
)


def test_a_line_is_time_level_logger_message_then_fields() -> None:
    line = ConsoleRenderer().render(EVENT)
    assert line == (
        "19:09:14.123 INFO     http         request_completed "
        "request_id=6f1c method=GET path=/health status=200 duration_ms=0.41"
    )


def test_columns_line_up_whatever_the_level() -> None:
    lines = [ConsoleRenderer().render({**EVENT, "level": level}) for level in ("INFO", "CRITICAL", "DEBUG")]
    assert len({line.index("http") for line in lines}) == 1
    assert len({line.index("request_completed") for line in lines}) == 1


def test_identity_is_left_out_live_and_kept_when_asked() -> None:
    event = {**EVENT, "version": "1.2", "env": "prod"}
    assert "svc" not in ConsoleRenderer().render(event)
    shown = ConsoleRenderer(show_identity=True).render(event)
    assert {"service=svc", 'version="1.2"', "env=prod"} <= set(shown.split())


def test_an_exception_is_real_lines_indented_and_escaped() -> None:
    event = {
        **EVENT,
        "level": "ERROR",
        "exc_type": "ValueError",
        "exc": "Traceback:\n  x\x1b]0;owned\x07\nValueError: bad\n",
    }
    head, *stack = ConsoleRenderer().render(event).split("\n")
    assert head.endswith("exc_type=ValueError")
    assert stack == ["    Traceback:", "      x\\x1b]0;owned\\x07", "    ValueError: bad"]


def test_colour_codes_only_when_asked_and_only_sgr() -> None:
    plain = ConsoleRenderer().render({**EVENT, "level": "ERROR"})
    colored = ConsoleRenderer(color=True).render({**EVENT, "level": "ERROR"})
    assert "\x1b" not in plain
    assert "\x1b[31mERROR" in colored
    assert ANSI.sub("", colored) == plain


@pytest.mark.parametrize(
    "value",
    ["\x1b[2J", "a\rb", "bidi\u202eevil", "line\u2028break", "nul\x00"],
)
def test_no_logged_value_reaches_the_terminal_raw(value: str) -> None:
    line = ConsoleRenderer(color=True).render({**EVENT, "msg": value, "logger": value, "note": value, value: 1})
    without_ours = ANSI.sub("", line)
    assert without_ours.isprintable(), repr(line)


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"ts": 5, "level": None, "logger": ["x"], "msg": {"a": 1}},
        {"ts": "not a time", "level": "weird", "exc": ["not", "text"], "stack": ""},
        {"msg": "x", "nested": {"deep": [1, 2.5, None, True]}, "big": 10**30},
    ],
)
def test_odd_events_still_make_a_line(event: dict[str, object]) -> None:
    assert isinstance(ConsoleRenderer().render(event), str)


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_on_a_terminal_without_no_color(environ: dict[str, str], tty: bool, expected: bool) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert wants_color(Stream(), environ) is expected


def test_a_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert wants_color(stream, {}) is False
    assert wants_color(object(), {}) is False


def test_the_service_logs_console_lines_redacted(logs) -> None:
    app = create_app(OVERRIDES)
    app.test_client().get("/health", headers={"X-Request-ID": "console-1"})
    log.info("login", extra={"password": "hunter2", "user": "ann"})
    try:
        raise RuntimeError("db down\npassword=hunter2 at row 7")
    except RuntimeError:
        log.exception("failed")
    out = logs.capsys.readouterr().out
    assert "hunter2" not in out
    assert "\x1b" not in out  # captured output is not a terminal
    lines = out.splitlines()
    summary = next(line for line in lines if "console-1" in line)
    assert HEAD.match(summary).groups()[1:] == ("INFO", "http", "request_completed")
    assert "request_id=console-1 method=GET path=/health status=200" in summary
    assert "password=[REDACTED] user=ann" in next(line for line in lines if " login " in line)
    failed = lines.index(next(line for line in lines if " failed " in line))
    stack = lines[failed + 1 :]
    assert stack[0] == "    Traceback (most recent call last):"
    assert "    RuntimeError: db down" in stack
    assert "    password=[REDACTED]" in stack


def test_console_draws_the_event_json_and_text_would_write(logs) -> None:
    """One pipeline: the console, JSON and text formatters build the same event dict, and
    ``flask logs pretty`` (parse_record + ConsoleRenderer) draws a JSON or text line as the
    console drew its record."""
    context = LogContext("rid-1", "ann", "POST", "/orders")
    parts = (1795547354.123, "WARNING", "shop", "order_slow", context, [("order_id", 7), ("token", "s3cr3t")])
    drawn = ConsoleFormatter().line(*parts)
    assert "s3cr3t" not in drawn
    for formatter in (JsonFormatter(), TextFormatter()):
        record = parse_record(formatter.line(*parts))
        assert record is not None
        assert ConsoleRenderer().render(record) == drawn


def test_console_is_only_chosen_by_configuration() -> None:
    assert load_settings(TEST_SETTINGS).log_format == DEFAULT_LOG_FORMAT
    assert load_settings({**TEST_SETTINGS, "LOG_FORMAT": "Console"}).log_format == CONSOLE
    with pytest.raises(ConfigError, match="LOG_FORMAT is console"):
        load_settings({**TEST_SETTINGS, "LOG_FORMAT": "console", "LOG_SCHEMA": "ecs"})


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "command", "expected"),
    [
        ({}, run_command, CONSOLE),
        ({"LOG_FORMAT": "json"}, run_command, "json"),
        ({"LOG_FORMAT": "text"}, run_command, "text"),
        ({"LOG_SCHEMA": "ecs", "GOOGLE_CLOUD_PROJECT": ""}, run_command, DEFAULT_LOG_FORMAT),
        ({}, click.Command("shell"), DEFAULT_LOG_FORMAT),
    ],
)
def test_flask_run_on_a_terminal_defaults_to_console(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], command: click.Command, expected: str
) -> None:
    if env.get("LOG_SCHEMA") and DEFAULT_LOG_FORMAT != "json":
        expected = "refused"  # a schema needs JSON: the generated text default refuses it
    monkeypatch.setattr(sys, "stdout", Terminal())
    with click.Context(command):
        try:
            chosen = load_settings({**TEST_SETTINGS, **env}).log_format
        except ConfigError:
            chosen = "refused"
    assert chosen == expected


def test_flask_run_not_on_a_terminal_keeps_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with click.Context(run_command):
        assert load_settings(TEST_SETTINGS).log_format == DEFAULT_LOG_FORMAT
    monkeypatch.setattr(sys, "stdout", None)
    with click.Context(run_command):
        assert load_settings(TEST_SETTINGS).log_format == DEFAULT_LOG_FORMAT


def flask_run_in_terminal(**env: str | None) -> list[str]:
    """``flask run`` with a pseudo-terminal as stdout and stderr: serve one request, stop,
    and return what the terminal showed."""
    port = free_port()
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "flask", "--app", PACKAGE, "run", "--port", str(port), "--no-reload"]
    environ = service_env(**{"LOG_FORMAT": None, "NO_COLOR": None, "TERM": "xterm", **env})
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environ, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
        assert get(f"http://127.0.0.1:{port}/health", {"X-Request-ID": "tty-1"})[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").split("\n")


def test_flask_run_in_a_terminal_shows_coloured_console_lines() -> None:
    lines = flask_run_in_terminal()
    (summary,) = [line for line in lines if "tty-1" in line and "request_completed" in line]
    assert "\x1b[32mINFO" in summary
    plain = ANSI.sub("", summary)
    assert HEAD.match(plain).groups()[1:] == ("INFO", "http", "request_completed")
    assert "request_id=tty-1" in plain


def test_flask_run_in_a_terminal_honours_no_color_and_log_format() -> None:
    (summary,) = [line for line in flask_run_in_terminal(NO_COLOR="1") if "tty-1" in line]
    assert "\x1b" not in summary
    assert HEAD.match(summary)
    (summary,) = [line for line in flask_run_in_terminal(LOG_FORMAT="json") if "tty-1" in line]
    assert parse_line(summary)["request_id"] == "tty-1"


def test_json_and_text_keep_the_summarys_shortcut() -> None:
    for log_format in ("json", "text"):
        assert type(configure_logging(load_settings({**TEST_SETTINGS, "LOG_FORMAT": log_format}))) is Pipeline
    assert type(configure_logging(load_settings(OVERRIDES))) is Pipeline


@needs_file_sink
def test_a_log_file_never_gets_console_lines(tmp_path: Path, logs) -> None:
    path = tmp_path / "app.log"
    app = create_app({**OVERRIDES, "LOG_FILE": str(path)})
    assert isinstance(app.extensions["logging_pipeline"], PerSinkPipeline)
    app.test_client().get("/health", headers={"X-Request-ID": "file-1"})
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("failed")
    out = logs.capsys.readouterr().out
    written = path.read_text("utf-8").splitlines()
    events = [parse_line(line) for line in written]  # every line of the file is a JSON or text record
    assert written[0].startswith("{") is (DEFAULT_LOG_FORMAT == "json")
    assert [e["msg"] for e in events] == ["request_completed", "failed"]
    assert "\n    RuntimeError: boom\n" in out
    # flask logs pretty draws the file exactly as the terminal showed it.
    assert "\n".join(ConsoleRenderer().render(parse_record(line)) for line in written) + "\n" == out


@needs_file_sink
def test_a_log_file_without_stdout_still_gets_json_or_text(tmp_path: Path, logs) -> None:
    path = tmp_path / "app.log"
    create_app({**OVERRIDES, "LOG_FILE": str(path), "LOG_TO_STDOUT": "false"})
    log.info("only_in_file")
    assert logs.capsys.readouterr().out == ""
    assert parse_line(path.read_text("utf-8").strip())["msg"] == "only_in_file"
