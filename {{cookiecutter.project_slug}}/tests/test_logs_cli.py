"""``flask logs``: trace, slow and errors, run on log lines the real service wrote.

The app below (``make_routed_app``'s routes, and one more) logs through its configured
pipeline, in JSON and in text (the tests on real logs run in both formats and must get the
same answers); the captured lines are written to a rotated set of files (the oldest
gzipped), with junk lines mixed in, and the commands are run on those files through Flask's
CLI runner. The modules' own tests are in
``test_logs_reading.py``, ``test_logs_records.py``, ``test_logs_render.py`` and
``test_logs_errors.py``.
"""

from __future__ import annotations

import gzip
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from {{ cookiecutter.package_name }}.config import FORMATS
from {{ cookiecutter.package_name }}.logs import logs_group
from {{ cookiecutter.package_name }}.logs.reading import parse_record
from {{ cookiecutter.package_name }}.observability.formatting import TextFormatter
from {{ cookiecutter.package_name }}.observability.parsing import parse_line

REQUESTS = (
    ("req-fast", "/health"),
    ("req-work", "/work"),
    ("req-boom", "/boom"),
    ("req-slow", "/slow"),
    ("req-503", "/unavailable"),
    ("req-esc", "/echo/%1B%5B31mred%E2%80%AE"),
)
# Text-format lines are records; a line in gunicorn's own format (not the service's) is not.
JUNK = ["not json at all", "", "[2026-01-01 00:00:00 +0000] [7] [INFO] Booting worker with pid: 7", "[1, 2]"]
TEXT_LINE = "2026-01-01T00:00:00.000Z INFO http request_completed status=200"
TORN = {
    "json": '{"ts":"2026-01-01T00:00:00.000Z","level":"INFO","logger":"http","msg":"requ',
    "text": '2026-01-01T00:00:00.000Z INFO http "requ',
}
# The tests on logs the app wrote run in both formats (the fixture below is the default).
BOTH_FORMATS = pytest.mark.parametrize("log_format", FORMATS)


@pytest.fixture
def log_format() -> str:
    """Tests on hand-written lines need one app only; BOTH_FORMATS overrides this."""
    return "json"


@pytest.fixture
def app(make_routed_app) -> Flask:
    app = make_routed_app(SLOW_REQUEST_MS="100")
    app.cli.add_command(logs_group)

    @app.get("/echo/<word>")
    def echo(word: str):
        logging.getLogger("app").info("echo", extra={"note": word})
        return {"ok": True}

    return app


@dataclass
class Baked:
    files: list[str]
    records: dict[str, list[dict[str, object]]]


@pytest.fixture
def baked(app: Flask, logs, tmp_path: Path, log_format: str) -> Baked:
    """Serve every request, then write what was logged as app.log.2.gz, app.log.1, app.log."""
    client = app.test_client()
    for request_id, path in REQUESTS:
        client.get(path, headers={"X-Request-ID": request_id})
    records: dict[str, list[dict[str, object]]] = {}
    for record in logs.read():
        records.setdefault(str(record["request_id"]), []).append(record)
    lines = logs.raw
    first_work = next(i for i, line in enumerate(lines) if parse_line(line)["request_id"] == "req-work")
    oldest, older, newest = tmp_path / "app.log.2.gz", tmp_path / "app.log.1", tmp_path / "app.log"
    with gzip.open(oldest, "wt", encoding="utf-8") as stream:
        stream.write("".join(line + "\n" for line in lines[:first_work]))
    # A rotation point inside req-work, so trace must join two files.
    older.write_text("".join(line + "\n" for line in [*JUNK, *lines[first_work : first_work + 1]]), "utf-8")
    newest.write_text("".join(line + "\n" for line in lines[first_work + 1 :]) + TORN[log_format], "utf-8")
    return Baked([str(oldest), str(older), str(newest)], records)


def run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=["logs", *args], input=stdin)


def all_text(files: list[str]) -> str:
    return "".join(
        gzip.decompress(Path(f).read_bytes()).decode() if f.endswith(".gz") else Path(f).read_text() for f in files
    )


@BOTH_FORMATS
@pytest.mark.parametrize("reverse", [False, True])
def test_trace_shows_the_request_in_time_order(app: Flask, baked: Baked, reverse: bool) -> None:
    files = baked.files[::-1] if reverse else baked.files
    result = run(app, "trace", "req-work", *files)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    expected = baked.records["req-work"]
    assert lines[0].startswith("request req-work: GET /work, status 200, ")
    timeline = lines[1 : 1 + len(expected)]
    for line, record in zip(timeline, expected, strict=True):
        assert f" {record['msg']}" in line
        assert f"step={record['step']}" in line if "step" in record else "step=" not in line
    assert timeline[0].split()[0] == "+0ms"
    assert [line.startswith(">>") for line in timeline] == [r["msg"] == "dependency_call" for r in expected]


@BOTH_FORMATS
def test_trace_names_the_first_problem_and_each_share_of_the_time(app: Flask, baked: Baked) -> None:
    result = run(app, "trace", "req-work", *baked.files)
    lines = result.stdout.splitlines()
    problem = next(line for line in lines if line.startswith("first problem:"))
    assert "WARNING" in problem
    assert "dependency_call" in problem
    assert "status=503" in problem
    records = baked.records["req-work"]
    total = next(r["duration_ms"] for r in records if r["msg"] == "request_completed")
    assert f"time spent (total {total:g} ms, from request_completed):" in lines
    for record in records:
        if record["msg"] in ("dependency_call", "step_timing"):
            name = record.get("step") or "billing GET http://billing.internal/charge"
            row = next(line for line in lines if line.startswith(("  dependency ", "  step ")) and f" {name} " in line)
            assert f"{record['duration_ms']:.2f} ms" in row
            assert f"{record['duration_ms'] / total * 100:.1f}%" in row


@BOTH_FORMATS
def test_trace_of_a_failing_request_shows_its_exception(app: Flask, baked: Baked) -> None:
    result = run(app, "trace", "req-boom", *baked.files)
    lines = result.stdout.splitlines()
    marked = [line for line in lines if line.startswith(">>")]
    assert len(marked) == 1
    assert "ERROR" in marked[0]
    assert "unhandled_exception" in marked[0]
    assert 'exc="RuntimeError: database exploded"' in marked[0]
    problem = lines.index(next(line for line in lines if line.startswith("first problem:")))
    assert lines[problem + 1] == "    Traceback (most recent call last):"
    assert "    at row 7" in lines


@BOTH_FORMATS
def test_trace_of_an_unknown_request_id_fails_on_stderr(app: Flask, baked: Baked) -> None:
    result = run(app, "trace", "no-such-id", *baked.files)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no records with request_id or trace_id 'no-such-id'" in result.stderr


@BOTH_FORMATS
def test_slow_lists_the_slowest_requests_first(app: Flask, baked: Baked) -> None:
    completed = [r for rs in baked.records.values() for r in rs if r["msg"] == "request_completed"]
    expected = sorted(completed, key=lambda r: r["duration_ms"], reverse=True)
    result = run(app, "slow", "--top", "2", *baked.files)
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["duration_ms", "status", "method", "path", "request_id", "ts", "slowest_call", "service"]
    assert len(rows) == 2
    assert rows[0].split()[:5] == [f"{expected[0]['duration_ms']:.2f}", "200", "GET", "/slow", "req-slow"]
    assert [row.split()[4] for row in rows] == [r["request_id"] for r in expected[:2]]

    everything = run(app, "slow", *baked.files).stdout.splitlines()[1:]
    assert len(everything) == len(REQUESTS)
    durations = [float(row.split()[0]) for row in everything]
    assert durations == sorted(durations, reverse=True)


@BOTH_FORMATS
def test_errors_lists_each_failing_request_with_its_first_error(app: Flask, baked: Baked) -> None:
    result = run(app, "errors", *baked.files)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    boom, unavailable = lines
    assert boom.split()[1:5] == ["500", "req-boom", "GET", "/boom"]
    assert boom.endswith("unhandled_exception  RuntimeError: database exploded")
    assert unavailable.split()[1:5] == ["503", "req-503", "GET", "/unavailable"]
    assert unavailable.endswith("request_completed")


@BOTH_FORMATS
@pytest.mark.parametrize("args", [[], ["-"]])
def test_stdin_is_read_without_files_or_with_dash(app: Flask, baked: Baked, args: list[str]) -> None:
    from_files = run(app, "slow", *baked.files)
    from_stdin = run(app, "slow", *args, stdin=all_text(baked.files))
    assert from_stdin.exit_code == 0
    assert from_stdin.stdout == from_files.stdout
    assert "req-work" in run(app, "trace", "req-work", *args, stdin=all_text(baked.files)).stdout


@BOTH_FORMATS
@pytest.mark.parametrize("args", [["slow"], ["errors"], ["summary"]])
def test_skipped_lines_are_counted_on_stderr(app: Flask, baked: Baked, args: list[str]) -> None:
    result = run(app, *args, *baked.files)
    assert result.exit_code == 0
    assert "skipped 5 lines that were not log records" in result.stderr
    assert "skipped" not in result.stdout


@BOTH_FORMATS
def test_trace_parses_only_the_lines_that_mention_the_id(app: Flask, baked: Baked) -> None:
    """The ID is searched for before a line is parsed: the junk and the torn line, which do not
    mention it, are passed over unread (and so not counted); a junk line that does is counted."""
    result = run(app, "trace", "req-work", *baked.files)
    assert result.exit_code == 0
    assert "skipped" not in result.stderr
    mentioning = "not a record, about req-work\n"
    from_stdin = run(app, "trace", "req-work", stdin=all_text(baked.files) + mentioning)
    assert "skipped 1 line that was not a log record" in from_stdin.stderr
    assert from_stdin.stdout == result.stdout


def test_a_text_format_line_is_a_record(app: Flask) -> None:
    line = TEXT_LINE + " request_id=r1 method=GET path=/x duration_ms=12.5"
    result = run(app, "slow", stdin=f"{line}\n")
    assert result.stderr == ""
    row = ["12.50", "200", "GET", "/x", "r1", "2026-01-01T00:00:00.000Z", "-", "-"]  # no call, no service
    assert result.stdout.splitlines()[1].split() == row


def test_input_without_any_record_gets_a_hint(app: Flask) -> None:
    result = run(app, "slow", stdin="\n".join(JUNK) + "\n")
    assert "skipped 4 lines that were not log records" in result.stderr
    assert "no log records at all: this tool reads the service's own lines, JSON or text" in result.stderr
    assert result.stdout == ""


@BOTH_FORMATS
@pytest.mark.parametrize("args", [["trace", "req-esc"], ["slow"], ["errors"]])
def test_control_characters_in_logged_values_are_escaped(app: Flask, baked: Baked, args: list[str]) -> None:
    assert any("\x1b" in str(r["path"]) for r in baked.records["req-esc"])
    result = run(app, *args, *baked.files)
    assert result.exit_code == 0
    assert all(ch == "\n" or ch.isprintable() for ch in result.stdout)
    if args[0] != "errors":
        assert "/echo/\\x1b[31mred\\u202e" in result.stdout


def test_missing_files_are_a_usage_error(app: Flask, tmp_path: Path) -> None:
    result = run(app, "slow", str(tmp_path / "gone.log"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


@BOTH_FORMATS
def test_a_truncated_gzip_file_keeps_what_was_read(app: Flask, baked: Baked, tmp_path: Path) -> None:
    whole = gzip.compress(all_text(baked.files[1:]).encode())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) - 20])
    result = run(app, "slow", str(cut))
    assert "warning:" in result.stderr
    assert "req-slow" in result.stdout


# --- Hostile input: no line may stop the reading with a traceback -----------------------

GOOD = (
    '{"ts":"2026-01-01T00:00:00Z","request_id":"r1","level":"ERROR","logger":"http","msg":"request_completed",'
    '"method":"GET","path":"/x","status":503,"duration_ms":12.5}'
)


def with_field(line: str, key: str, raw: str) -> str:
    """``line`` with ``key`` set to the raw JSON text ``raw`` (added last, so it wins)."""
    return line[:-1] + f',"{key}":{raw}}}'


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_trace_keeps_a_record_whose_ts_cannot_be_placed_in_time(app: Flask, ts: str) -> None:
    """A ts that parses but leaves datetime's range when shifted to UTC used to raise
    OverflowError; it now reads like an unreadable ts: kept, at ``?``, after the others."""
    good = GOOD.replace('"level":"ERROR"', '"level":"INFO"')
    hostile = with_field(good.replace("request_completed", "odd_clock"), "ts", json.dumps(ts))
    result = run(app, "trace", "r1", stdin=f"{hostile}\n{good}\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert ", 2 records from " in lines[0]
    assert lines[1].split()[:2] == ["+0ms", "INFO"]
    assert lines[1].endswith("request_completed  status=503 duration_ms=12.5")
    assert lines[2].split()[:2] == ["?", "INFO"]
    assert "odd_clock" in lines[2]
    assert "skipped" not in result.stderr


@pytest.mark.parametrize("args", [["trace", "r1"], ["slow"], ["errors"]])
@pytest.mark.parametrize("key", ["duration_ms", "status"])
@pytest.mark.parametrize("digits", ["9" * 310, "-" + "9" * 400])
def test_numbers_past_float_range_are_skipped_and_counted(app: Flask, args: list[str], key: str, digits: str) -> None:
    """JSON integers have no size limit and float() overflows past ~309 digits, which crashed
    slow and trace (duration_ms) and errors (status). Such a line is skipped and counted."""
    hostile = with_field(GOOD.replace('"ts":"2026-01-01T00:00:00Z"', '"ts":"2026-01-01T00:00:01Z"'), key, digits)
    result = run(app, *args, stdin=f"{GOOD}\n{hostile}\n")
    assert result.exit_code == 0, result.output
    assert "skipped 1 line that was not a log record" in result.stderr
    expected = {"trace": ", 1 record from ", "slow": "12.50     503  GET", "errors": "503 r1 GET /x"}[args[0]]
    assert expected in result.stdout
    # Only the fields the commands compute with are checked: a huge number elsewhere is shown.
    assert parse_record(with_field(GOOD, "note", digits)) is not None


@pytest.mark.parametrize("args", [["trace", "r1"], ["slow"], ["errors"]])
def test_deeply_nested_lines_are_skipped_and_counted(app: Flask, args: list[str]) -> None:
    """A value nested near the recursion limit parses, then overflows the stack when printed
    (trace raised RecursionError from json.dumps). Every depth up to past the limit is tried,
    so the crash window is hit whatever the stack depth of the caller; all are skipped."""
    depths = range(100, sys.getrecursionlimit() + 100)
    deep = [with_field(GOOD, "note", "[" * depth + "]" * depth) for depth in depths]
    result = run(app, *args, stdin="\n".join([GOOD, *deep]) + "\n")
    assert result.exit_code == 0, result.output
    assert f"skipped {len(deep)} lines that were not log records" in result.stderr
    assert "r1" in result.stdout
    # The limit is on real nesting (the record is level 1), not on brackets inside strings.
    assert parse_record(with_field(GOOD, "note", "[" * 99 + "]" * 99)) is not None
    assert parse_record(with_field(GOOD, "note", json.dumps("[{" * 500))) is not None


def test_trace_takes_a_request_id_that_starts_with_a_dash(app: Flask, tmp_path: Path) -> None:
    """Request IDs come from the client's X-Request-ID, so "-abc" is a valid one; click read it
    as an unknown option and the runbook's ``flask logs trace "$RID"`` failed."""
    for request_id in ["-abc", "--abc", "-x=1", "-"]:
        line = GOOD.replace('"r1"', json.dumps(request_id))
        log = tmp_path / "app.log"
        log.write_text(line + "\n", "utf-8")
        for args in [[request_id], [request_id, str(log)]]:
            result = run(app, "trace", *args, stdin=line + "\n")
            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(f"request {request_id}: GET /x, status 503")
    helped = run(app, "trace", "--help")
    assert helped.exit_code == 0
    assert "REQUEST_ID [FILE|DIR]..." in helped.stdout


# --- Text format: the same records written as text give the same answers -----------------


def as_text(line: str) -> str:
    """A JSON record line as the service's text formatter writes the same event; other lines
    (junk, the torn one) unchanged."""
    try:
        event = json.loads(line)
    except ValueError:
        return line
    return TextFormatter().render(event) if isinstance(event, dict) else line


@pytest.mark.parametrize(
    "args", [["trace", "req-work"], ["trace", "req-boom"], ["trace", "req-esc"], ["slow"], ["errors"]]
)
def test_text_lines_give_the_same_output_as_json(app: Flask, baked: Baked, tmp_path: Path, args: list[str]) -> None:
    """Every record of the JSON files, rewritten as text: byte for byte the same output."""
    text_files = []
    for index, path in enumerate(baked.files):
        target = tmp_path / f"as-text.{index}.log"
        target.write_text("\n".join(as_text(line) for line in all_text([path]).split("\n")), "utf-8")
        text_files.append(str(target))
    assert '"request_id":' not in all_text(text_files)
    from_json, from_text = run(app, *args, *baked.files), run(app, *args, *text_files)
    assert from_json.exit_code == from_text.exit_code == 0
    assert from_text.stdout == from_json.stdout
    assert from_text.stderr == from_json.stderr


@pytest.mark.parametrize("args", [["trace", "r1"], ["slow"], ["errors"]])
def test_hostile_text_lines_are_skipped_like_json_ones(app: Flask, args: list[str]) -> None:
    hostile = [
        with_field(GOOD, key, digits) for key in ("duration_ms", "status") for digits in ("9" * 310, "-" + "9" * 400)
    ]
    hostile += [with_field(GOOD, "note", "[" * depth + "]" * depth) for depth in (101, 500)]
    lines = [as_text(line) for line in [GOOD, *hostile]]
    assert not any(line.startswith("{") for line in lines)
    result = run(app, *args, stdin="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert f"skipped {len(hostile)} lines that were not log records" in result.stderr
    assert "r1" in result.stdout
