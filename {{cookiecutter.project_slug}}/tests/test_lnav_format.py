"""``lnav/{{ cookiecutter.package_name }}_log.json``: lnav reads every layout the service writes.

Without lnav, the format file is checked against lines the real pipeline wrote: each JSON
format's time, level, message and request-ID fields are where the service puts them, and the
text format's pattern reads the text lines' request ID, path, status and duration. With lnav
installed (Debian's ``lnav`` package), the file is installed into a temporary HOME with
``lnav -i`` and lnav itself, headless, must give every line to the right format and answer
the README's queries; without lnav those tests are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability import track_dependency
from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import BASE_OVERRIDES, PACKAGE, PROJECT_ROOT

FORMAT_FILE = PROJECT_ROOT / "lnav" / f"{PACKAGE}_log.json"
FORMATS = json.loads(FORMAT_FILE.read_text("utf-8"))
# Each layout the service writes -> its lnav format, and the columns holding the request ID,
# path (of the request summary), status and duration.
LAYOUTS = {
    "native": (f"{PACKAGE}_log", "request_id", "path", "status", "duration_ms"),
    "ecs": (f"{PACKAGE}_ecs_log", "http.request.id", "url.path", "http.response.status_code", "event.duration"),
    "gcp": (f"{PACKAGE}_gcp_log", "request_id", "httpRequest/requestUrl", "httpRequest/status", "httpRequest/latency"),
    "datadog": (
        f"{PACKAGE}_datadog_log",
        "http.request_id",
        "http.url_details.path",
        "http.status_code",
        "duration",
    ),
    "text": (f"{PACKAGE}_text_log", "request_id", "path", "status", "duration_ms"),
}
# The README's lnav queries ("Reading logs locally"), run here on what the service wrote.
README_QUERIES = (
    "SELECT log_time, log_level, logger, log_body, status, duration_ms FROM {table} WHERE request_id = '{rid}'",
    "SELECT request_id, method, path, status, duration_ms FROM {table} WHERE log_body = 'request_completed'"
    " ORDER BY duration_ms DESC LIMIT 5",
    "SELECT path, count(*) AS failures FROM {table} WHERE log_body = 'request_completed' AND status >= 500"
    " GROUP BY path ORDER BY failures DESC",
)
needs_lnav = pytest.mark.skipif(shutil.which("lnav") is None, reason="lnav is not installed (apt-get install lnav)")


def make_app(layout: str) -> Flask:
    log_format, schema = ("text", "native") if layout == "text" else ("json", layout)
    overrides = {"LOG_FORMAT": log_format, "LOG_SCHEMA": schema, "GOOGLE_CLOUD_PROJECT": "my-project"}
    app = create_app({**BASE_OVERRIDES, "LOG_LEVEL": "DEBUG", **overrides})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("database exploded\nat row 7")

    @app.get("/work")
    def work():
        with track_dependency("billing", "GET", "http://billing.internal/charge") as call:
            call.status = 503
        return {"ok": True}

    return app


REQUESTS = (("l-ok", "/health"), ("l-work", "/work"), ("l-boom", "/boom"), ("l-404", "/nope"), ("12345", "/a%20b"))


@pytest.fixture
def written(logs, tmp_path: Path) -> Callable[[str], Path]:
    """The lines the real pipeline wrote for REQUESTS in ``layout``, as a file."""

    def write(layout: str) -> Path:
        client = make_app(layout).test_client()
        logs.capsys.readouterr()
        for request_id, path in REQUESTS:
            client.get(path, headers={"X-Request-ID": request_id})
        path = tmp_path / f"{layout}.log"
        path.write_text(logs.capsys.readouterr().out, "utf-8")
        return path

    return write


def field(record: dict[str, object], name: str) -> object:
    """A field as lnav names it: ``a/b`` is nested, dots are part of a name."""
    value: object = record
    for part in name.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_the_file_names_one_format_per_layout() -> None:
    assert {name for name, *_ in LAYOUTS.values()} == set(FORMATS) - {"$schema"}


@pytest.mark.parametrize("layout", ["native", "ecs", "gcp", "datadog"])
def test_json_formats_read_the_fields_the_service_writes(written, layout: str) -> None:
    name, request_id, path, status, duration = LAYOUTS[layout]
    spec = FORMATS[name]
    records = [json.loads(line) for line in written(layout).read_text("utf-8").splitlines()]
    levels = [re.compile(pattern) for pattern in spec["level"].values()]
    for record in records:
        assert isinstance(field(record, spec["timestamp-field"]), str)
        assert any(level.search(str(field(record, spec["level-field"]))) for level in levels), record
        assert isinstance(field(record, spec["body-field"]), str)
        assert field(record, spec["opid-field"]) in {rid for rid, _ in REQUESTS}
    summaries = [r for r in records if field(r, spec["body-field"]) == "request_completed"]
    assert len(summaries) == len(REQUESTS)
    for column in (request_id, path, status, duration):
        assert column in spec["value"]
        assert all(field(r, column) is not None for r in summaries), column


def test_the_text_pattern_reads_the_text_lines(written) -> None:
    pattern = FORMATS[f"{PACKAGE}_text_log"]["regex"]["std"]["pattern"]
    regex = re.compile(pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))
    lines = written("text").read_text("utf-8").splitlines()
    for line in lines:
        match = regex.fullmatch(line)
        assert match, line
        event = parse_line(line)
        assert match["level"] == event["level"]
        assert match["request_id"].strip('"') == event["request_id"]
        assert json.loads(match["path"]) if match["path"].startswith('"') else match["path"] == event["path"]
        if event["msg"] == "request_completed":
            assert int(match["status"]) == event["status"]
            assert float(match["duration_ms"]) == event["duration_ms"]
    for sample in FORMATS[f"{PACKAGE}_text_log"]["sample"]:
        assert regex.fullmatch(sample["line"]), sample


def lnav(home: Path, *args: str) -> str:
    """Run lnav headless with its own HOME; fail on any error it reports (it exits 0 anyway)."""
    env = {**os.environ, "HOME": str(home), "TZ": "UTC"}
    env.pop("XDG_CONFIG_HOME", None)
    result = subprocess.run(["lnav", *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def lnav_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    lnav(home, "-i", str(FORMAT_FILE))
    assert (home / ".lnav" / "formats" / "installed" / FORMAT_FILE.name).is_file()
    return home


def query(home: Path, sql: str, log: Path) -> list[dict[str, object]]:
    """The rows lnav's SQL ``sql`` gives on ``log``, as lnav writes them in JSON."""
    return json.loads(lnav(home, "-n", "-c", ";" + sql, "-c", ":write-json-to -", str(log)) or "[]")


@needs_lnav
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_lnav_gives_every_line_to_its_format(lnav_home: Path, written, layout: str) -> None:
    name, request_id, path, status, duration = LAYOUTS[layout]
    log = written(layout)
    count = len(log.read_text("utf-8").splitlines())
    counts = query(lnav_home, "SELECT log_format, count(*) AS lines FROM all_logs GROUP BY 1", log)
    assert counts == [{"log_format": name, "lines": count}]
    columns = f'"{request_id}" AS rid, "{path}" AS path, "{status}" AS status, "{duration}" AS duration'
    where = f'"{status}" IS NOT NULL AND "{path}" IS NOT NULL'
    sql = f"SELECT {columns}, log_level, log_time, log_opid FROM {name} WHERE {where}"  # noqa: S608 - LAYOUTS' names
    summaries = {str(row["rid"]).strip('"'): row for row in query(lnav_home, sql, log)}
    assert set(summaries) == {rid for rid, _ in REQUESTS}  # a dependency call's status has no path
    assert (summaries["l-boom"]["status"], summaries["l-boom"]["log_level"]) == (500, "error")
    assert (summaries["l-ok"]["path"], summaries["l-ok"]["status"]) == ("/health", 200)
    assert summaries["l-404"]["log_opid"] == "l-404"
    assert float(str(summaries["l-ok"]["duration"]).rstrip("s")) > 0
    written_ts = {
        parse_line(line)["request_id"]: parse_line(line)["ts"]
        for line in log.read_text("utf-8").splitlines()
        if layout in {"native", "text"} and parse_line(line)["msg"] == "request_completed"
    }
    for rid, ts in written_ts.items():  # lnav's time is the record's own, to the millisecond
        assert summaries[rid]["log_time"] == str(ts).replace("T", " ").rstrip("Z")


@needs_lnav
@pytest.mark.parametrize("layout", ["native", "text"])
def test_lnav_answers_the_readmes_queries(lnav_home: Path, written, layout: str) -> None:
    table = LAYOUTS[layout][0]
    log = written(layout)
    story, slowest, errors = (query(lnav_home, sql.format(table=table, rid="l-boom"), log) for sql in README_QUERIES)
    assert [row["log_body"] for row in story] == ["request_started", "unhandled_exception", "request_completed"]
    assert [row["log_level"] for row in story] == ["debug", "error", "error"]
    assert str(story[-1]["status"]) == "500"
    assert len(slowest) == 5
    durations = [float(str(row["duration_ms"])) for row in slowest]
    assert durations == sorted(durations, reverse=True)
    assert [(row["path"], int(str(row["failures"]))) for row in errors] == [("/boom", 1)]


def test_the_readme_shows_the_queries_that_are_tested() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    for query in README_QUERIES:
        assert query.format(table=f"{PACKAGE}_log", rid="$RID") in readme
