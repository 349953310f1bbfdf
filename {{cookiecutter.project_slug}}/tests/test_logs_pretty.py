"""``flask logs pretty``: log lines the service wrote, drawn as the console format.

Lines come from the real pipeline (JSON and text, every schema, collector prefixes) or are
written by hand where a test needs fixed times; the command runs through Flask's CLI runner,
and ``--follow`` also as a real process on a growing, rotating file.
"""

from __future__ import annotations

import gzip
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import DEFAULT_SERVICE_NAME, FORMATS
from {{ cookiecutter.package_name }}.logs import logs_group
from {{ cookiecutter.package_name }}.logs.filters import parse_when
from {{ cookiecutter.package_name }}.logs.pretty import follow_lines
from {{ cookiecutter.package_name }}.observability.formatting import ServiceIdentity, TextFormatter, render_json, utc_timestamp
from {{ cookiecutter.package_name }}.observability.schemas import mapper_for

from gunicorn_helpers import BASE_OVERRIDES, PACKAGE, PROJECT_ROOT, service_env

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
HEAD = re.compile(r"\d\d:\d\d:\d\d\.\d{3} (\S+) +(\S+) +(\S+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PAIR = re.compile(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S+)')
JUNK = ["not a record \x1b]0;title\x07", "", "[2026-01-01 00:00:00 +0000] [7] [INFO] Booting worker with pid: 7"]


def make_app(log_format: str = "json") -> Flask:
    app = create_app({**BASE_OVERRIDES, "LOG_FORMAT": log_format})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/orders/<number>")
    def order(number: str):
        return {"order": number}

    @app.get("/boom")
    def boom():
        raise RuntimeError("database exploded\npassword=hunter2 at row 7")

    return app


REQUESTS = (("p-ok", "/health"), ("p-order", "/orders/7"), ("p-boom", "/boom"), ("p-404", "/nope"))


def serve(log_format: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What the real pipeline printed for REQUESTS, in ``log_format``."""
    client = make_app(log_format).test_client()
    capsys.readouterr()
    for request_id, path in REQUESTS:
        client.get(path, headers={"X-Request-ID": request_id, "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
    return capsys.readouterr().out


@pytest.fixture
def native(capsys: pytest.CaptureFixture[str]) -> str:
    return serve("json", capsys)


def run(*args: str, stdin: str | None = None) -> Result:
    app = create_app({**BASE_OVERRIDES})
    app.cli.add_command(logs_group)
    return app.test_cli_runner().invoke(args=["logs", "pretty", *args], input=stdin)


def heads(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for match in map(HEAD.match, output.splitlines()) if match]


def shape(output: str) -> list[object]:
    """Each drawn line as (head, set of fields): schemas may order fields differently."""
    shaped: list[object] = []
    for line in output.splitlines():
        match = HEAD.match(line)
        shaped.append((match.group(0), frozenset(PAIR.findall(line[match.end() :]))) if match else line)
    return shaped


@pytest.mark.parametrize("log_format", FORMATS)
def test_records_are_drawn_as_the_console_format(capsys: pytest.CaptureFixture[str], log_format: str) -> None:
    lines = serve(log_format, capsys)
    result = run(stdin=lines)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert heads(out) == [
        ("INFO", "http", "request_completed"),
        ("INFO", "http", "request_completed"),
        ("ERROR", "errors", "unhandled_exception"),
        ("ERROR", "http", "request_completed"),
        ("INFO", "http", "request_completed"),
    ]
    assert "request_id=p-order method=GET path=/orders/7 " in out
    assert "service=" not in out  # the service's identity only with --service
    drawn = out.splitlines()
    stack = drawn[drawn.index(next(line for line in drawn if "unhandled_exception" in line)) + 1 :]
    assert stack[0] == "    Traceback (most recent call last):"
    assert "    RuntimeError: database exploded" in stack
    assert "    password=[REDACTED]" in stack
    assert "hunter2" not in out


@pytest.mark.parametrize("schema", ["ecs", "gcp", "datadog"])
def test_every_schema_is_drawn_as_the_native_lines_are(native: str, schema: str) -> None:
    mapper = mapper_for(schema, ServiceIdentity(), "my-project")
    assert mapper is not None
    lines = "".join(render_json(mapper(json.loads(line))) + "\n" for line in native.splitlines())
    from_schema, from_native = run(stdin=lines), run(stdin=native)
    assert from_schema.exit_code == from_native.exit_code == 0
    assert shape(from_schema.stdout) == shape(from_native.stdout)


def test_the_service_is_shown_when_asked(native: str) -> None:
    drawn = [line for line in run("--service", stdin=native).stdout.splitlines() if HEAD.match(line)]
    assert drawn
    assert all(f" service={DEFAULT_SERVICE_NAME} " in line for line in drawn)


@pytest.mark.parametrize("text", [False, True])
@pytest.mark.parametrize(
    ("prefix", "replica"),
    [("[pod/shop-7d9f/app] ", "pod/shop-7d9f/app"), ("\x1b[36mshop-1  |\x1b[0m ", "shop-1")],
)
def test_collector_prefixes_are_read_through_and_name_the_replica(
    native: str, prefix: str, replica: str, text: bool
) -> None:
    lines = native.splitlines()
    if text:
        lines = [TextFormatter().render(json.loads(line)) for line in lines]
    plain = run(stdin="".join(line + "\n" for line in lines)).stdout
    prefixed = run(stdin="".join(prefix + line + "\n" for line in lines)).stdout
    assert prefixed.count(f" replica={replica}") == len(lines)
    assert prefixed.replace(f" replica={replica}", "") == plain


def test_lines_that_are_not_records_pass_through_escaped(native: str) -> None:
    first, *rest = native.splitlines(keepends=True)
    out = run(stdin="".join([first, *(line + "\n" for line in JUNK), *rest])).stdout.splitlines()
    assert out[1:4] == ["not a record \\x1b]0;title\\x07", "", JUNK[2]]
    assert "\x1b" not in "\n".join(out)


def test_filters_need_a_record_but_grep_reads_every_line(native: str) -> None:
    lines = native + "".join(line + "\n" for line in JUNK)
    assert "Booting" not in run("--level", "debug", stdin=lines).stdout
    assert run("--grep", "Booting", stdin=lines).stdout == JUNK[2] + "\n"


def test_level_keeps_that_level_and_above(native: str) -> None:
    out = run("--level", "warning", stdin=native).stdout
    assert heads(out) == [("ERROR", "errors", "unhandled_exception"), ("ERROR", "http", "request_completed")]
    assert "    Traceback (most recent call last):" in out  # the stack stays with its record


@pytest.mark.parametrize(
    ("args", "requests"),
    [
        (["--request-id", "p-order"], ["p-order"]),
        (["--request-id", "p-order", "--request-id", "p-404"], ["p-order", "p-404"]),
        (["--request-id", TRACE], ["p-ok", "p-order", "p-boom", "p-boom", "p-404"]),
        (["--path", "/orders/7"], ["p-order"]),
        (["--path", "/orders/*"], ["p-order"]),
        (["--path", "/b*", "--level", "ERROR"], ["p-boom", "p-boom"]),
        (["--grep", "exploded"], ["p-boom"]),
        (["--grep", "status=404"], ["p-404"]),
        (["--grep", "(?i)NOPE"], ["p-404"]),
    ],
)
def test_filters_select_records(native: str, args: list[str], requests: list[str]) -> None:
    result = run(*args, stdin=native)
    assert result.exit_code == 0, result.output
    shown = [re.search(r"request_id=(\S+)", line).group(1) for line in result.stdout.splitlines() if HEAD.match(line)]
    assert shown == requests


def line_at(seconds: float, msg: str) -> str:
    return json.dumps({"ts": utc_timestamp(seconds), "level": "INFO", "logger": "app", "msg": msg}) + "\n"


def test_since_and_until_take_times_and_durations() -> None:
    now = time.time()
    lines = line_at(now - 7200, "two_hours_ago") + line_at(now - 600, "ten_minutes_ago") + line_at(now, "now")
    lines += '{"level":"INFO","logger":"app","msg":"no_time"}\n'
    assert [h[2] for h in heads(run("--since", "30m", stdin=lines).stdout)] == ["ten_minutes_ago", "now"]
    assert [h[2] for h in heads(run("--until", "1h", stdin=lines).stdout)] == ["two_hours_ago"]
    assert [h[2] for h in heads(run("--since", "1.5h", "--until", "5m", stdin=lines).stdout)] == ["ten_minutes_ago"]
    since = utc_timestamp(now - 601)
    assert [h[2] for h in heads(run("--since", since, "--until", since[:10] + "T23:59:59", stdin=lines).stdout)] == (
        ["ten_minutes_ago", "now"] if since[:10] == utc_timestamp(now)[:10] else ["ten_minutes_ago"]
    )


def test_parse_when() -> None:
    now = 1_000_000.0
    assert parse_when("90s", now) == now - 90
    assert parse_when("2d", now) == now - 172_800
    assert parse_when("1970-01-12T13:46:40Z", now) == now
    assert parse_when("1970-01-12T15:46:40+02:00", now) == now
    assert parse_when("1970-01-12", now) == 950_400
    assert parse_when("yesterday", now) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "neither an RFC 3339 time"),
        (["--until", "5 minutes"], "neither an RFC 3339 time"),
        (["--grep", "("], "not a regular expression"),
        (["--level", "LOUD"], "LOUD"),
    ],
)
def test_bad_filters_are_usage_errors(args: list[str], message: str) -> None:
    result = run(*args, stdin="")
    assert result.exit_code == 2
    assert message in result.stderr


def test_colour_is_asked_for_or_left_out(native: str) -> None:
    assert "\x1b" not in run(stdin=native).stdout  # not a terminal
    assert "\x1b" not in run("--color", "never", stdin=native).stdout
    colored = run("--color", "always", stdin=native).stdout
    assert "\x1b[31mERROR" in colored
    assert ANSI.sub("", colored) == run(stdin=native).stdout


def test_files_are_read_in_order_gz_included(native: str, tmp_path: Path) -> None:
    lines = native.splitlines(keepends=True)
    old, new = tmp_path / "app.log.1.gz", tmp_path / "app.log"
    old.write_bytes(gzip.compress("".join(lines[:2]).encode()))
    new.write_text("".join(lines[2:]), "utf-8")
    assert run(str(old), str(new)).stdout == run(stdin=native).stdout


def test_a_gz_file_cannot_be_followed(tmp_path: Path) -> None:
    path = tmp_path / "app.log.1.gz"
    path.write_bytes(gzip.compress(b""))
    result = run("--follow", str(path))
    assert result.exit_code == 2
    assert "does not grow" in result.stderr


def scripted(*steps: Callable[[], None]) -> Callable[[], bool]:
    """A ``stop`` for follow_lines: at each end of file, the next step happens; then stop."""
    pending = list(steps)

    def stop() -> bool:
        if not pending:
            return True
        pending.pop(0)()
        return False

    return stop


def test_follow_reads_growth_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"one\ntw")

    def append(target: Path, data: bytes) -> Callable[[], None]:
        def step() -> None:
            with target.open("ab") as stream:
                stream.write(data)

        return step

    def rotate() -> None:
        path.rename(tmp_path / "app.log.1")
        append(tmp_path / "app.log.1", b"late\n")()  # written by a process that had not reopened yet
        path.write_bytes(b"three\n")

    stop = scripted(append(path, b"o\n"), rotate, lambda: path.write_bytes(b"4\n"))
    assert list(follow_lines(str(path), stop, poll=0)) == ["one\n", "two\n", "late\n", "three\n", "4\n"]


def test_follow_runs_until_interrupted(native: str, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    first, *rest = native.splitlines(keepends=True)
    path.write_text(first, "utf-8")
    command = [sys.executable, "-m", "flask", "--app", PACKAGE, "logs", "pretty", "--follow", str(path)]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=service_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()

    def next_head() -> tuple[str, ...]:
        while True:
            match = HEAD.match(lines.get(timeout=30))
            if match:
                return match.groups()

    try:
        assert next_head() == ("INFO", "http", "request_completed")
        with path.open("a", encoding="utf-8") as stream:
            stream.write(rest[0][:20])  # half a line: nothing yet
            stream.flush()
            time.sleep(0.5)
            assert lines.empty()
            stream.write(rest[0][20:])
        assert next_head() == ("INFO", "http", "request_completed")
        path.rename(tmp_path / "app.log.1")
        path.write_text(rest[1], "utf-8")
        assert next_head() == ("ERROR", "errors", "unhandled_exception")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        errors = process.stderr.read()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


def test_stdin_is_read_when_no_file_is_named(native: str) -> None:
    assert run("-", stdin=native).stdout == run(stdin=native).stdout


def test_pretty_output_ends_quietly_when_its_reader_goes_away(native: str, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(native * 200, "utf-8")
    command = f"{sys.executable} -m flask --app {PACKAGE} logs pretty {path} | head -n 1"
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=PROJECT_ROOT,
        env=service_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "Broken pipe" not in result.stderr
