"""The production command: gunicorn from gunicorn.conf.py, on loopback, read what it logged."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import free_port, get, gunicorn, raw_request, refusal, start_up


def test_gunicorn_serves_and_logs_every_line_in_the_chosen_format(log_format: str) -> None:
    with gunicorn(LOG_FORMAT=log_format, WEB_CONCURRENCY="2") as server:
        status, headers, body = get(f"{server.url}/health", {"X-Request-ID": "gunicorn-1"})
        assert status == 200
        assert headers["X-Request-ID"] == "gunicorn-1"
        assert body == b'{"status":"ok"}\n'
    events = [parse_line(line) for line in server.lines]  # every line parses: no foreign format
    gunicorn_lines = [e for e in events if e["logger"] == "gunicorn.error"]
    assert any(str(e["msg"]).startswith("Starting gunicorn") for e in gunicorn_lines)
    assert sum(str(e["msg"]).startswith("Booting worker") for e in gunicorn_lines) == 2
    assert all(e["request_id"] == "-" for e in gunicorn_lines)
    completed = [e for e in events if e["msg"] == "request_completed" and e["request_id"] == "gunicorn-1"]
    assert len(completed) == 1
    assert server.stderr == ""


@pytest.mark.parametrize("extra_args", ["", "--preload"], ids=["forked", "preload"])
def test_one_request_is_logged_once_with_no_duplicate_lines(extra_args: str) -> None:
    with gunicorn(WEB_CONCURRENCY="2", GUNICORN_CMD_ARGS=extra_args) as server:
        assert get(f"{server.url}/health", {"X-Request-ID": "only-once"})[0] == 200
    mine = [line for line in server.lines if "only-once" in line]
    assert len(mine) == 1
    assert parse_line(mine[0])["msg"] == "request_completed"
    duplicates = [line for line, count in Counter(server.lines).items() if count > 1]
    assert duplicates == []


HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
HOSTILE_IDS = [
    b'forged"},{"level":"CRITICAL',
    b"back\\slash",
    b"x" * 129,
    "caf\u00e9".encode(),
    b"tab\there",
]


def test_hostile_raw_headers_never_forge_or_split_lines(log_format: str) -> None:
    with gunicorn(LOG_FORMAT=log_format, WEB_CONCURRENCY="1") as server:
        for value in HOSTILE_IDS:
            response = raw_request(server.url, HEALTH + b"X-Request-ID: " + value + b"\r\n")
            assert response.startswith(b"HTTP/1.1 200"), response[:100]
            assert b"\r\nX-Request-ID: " + value not in response
        raw_request(server.url, HEALTH + b"X-Debug-Log: \x1b[31mred\r\nUser-Agent: a\x7fb\r\n")
    events = [parse_line(line) for line in server.lines]  # every line parses
    rejected = [e for e in events if e["msg"] == "request_id_rejected"]
    assert len(rejected) == len(HOSTILE_IDS)
    assert all(len(str(e["request_id"])) == 32 for e in rejected)
    assert all(value.decode("latin-1") not in line for value in HOSTILE_IDS for line in server.lines)
    assert not any("\x1b" in line or "\x7f" in line for line in server.lines)


def test_sigterm_loses_no_line() -> None:
    with gunicorn(WEB_CONCURRENCY="2") as server:
        for i in range(50):
            assert get(f"{server.url}/health", {"X-Request-ID": f"term-{i}"})[0] == 200
    ids = [parse_line(line).get("request_id") for line in server.lines if "request_completed" in line]
    assert sorted(i for i in ids if str(i).startswith("term-")) == sorted(f"term-{i}" for i in range(50))
    assert server.process.returncode == 0


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("GUNICORN_TIMEOUT", "many", "a whole number from 1 to 86400"),
        ("PORT", "99999", "a whole number from 1 to 65535"),
        ("PORT", "\uff18\uff10\uff10\uff10", "a whole number from 1 to 65535"),  # full-width 8000
        ("GUNICORN_TIMEOUT", str(10**20), "a whole number from 1 to 86400"),
        ("GUNICORN_GRACEFUL_TIMEOUT", str(10**20), "a whole number from 1 to 86400"),
        ("GUNICORN_KEEPALIVE", str(10**20), "a whole number from 0 to 86400"),
        ("GUNICORN_THREADS", str(10**20), "a whole number from 1 to 256"),
        ("WEB_CONCURRENCY", "1001", "a whole number from 1 to 1000"),
        ("WEB_CONCURRENCY", "0", "a whole number from 1 to 1000"),
        ("WEB_CONCURRENCY", "\u0663", "a whole number from 1 to 1000"),  # int() reads Arabic-Indic 3 as 3
        ("WEB_CONCURRENCY", "1_0", "a whole number from 1 to 1000"),  # and this as 10
        ("HOST", "0.0.0.0:8000", "an IPv4 or IPv6 address, or a host name of letters, digits, '-' and '.'"),
        ("HOST", "", "an IPv4 or IPv6 address, or a host name of letters, digits, '-' and '.'"),
    ],
)
def test_bad_server_setting_stops_gunicorn_with_one_line(name: str, value: str, accepted: str) -> None:
    """Not numbers, and values int() takes but gunicorn or the platform cannot run with, are
    refused up front. (gunicorn parses WEB_CONCURRENCY itself on import, before the service
    can check it: a value it cannot parse is reported in gunicorn's own words, as the README
    says; a value it accepts but the service must not run with is refused here.)"""
    expected = f"CRITICAL config: {name}={value!r} is not valid; accepted: {accepted}"
    assert refusal("gunicorn", **{name: value}) == expected


def test_ipv6_host_is_bound_in_brackets() -> None:
    try:
        free_port("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with gunicorn(host="::1", WEB_CONCURRENCY="1") as server:
        assert get(f"{server.url}/health")[0] == 200
    assert any("Listening at: http://[::1]:" in line for line in server.lines)
    assert server.stderr == ""


@pytest.mark.parametrize("value", ["abc", "-2"])
def test_the_readme_is_right_that_gunicorn_reports_some_web_concurrency_values_itself(value: str) -> None:
    """A guard on a README sentence, not on the service: gunicorn reads WEB_CONCURRENCY when it
    is imported, before gunicorn.conf.py, so for these values it, not the service, stops
    start-up, in its own words, with no worker booted. If gunicorn changes that, this fails and
    the README's configuration notes must change with it."""
    result = start_up("gunicorn", WEB_CONCURRENCY=value)
    assert result.returncode not in (0, 4)
    assert "WEB_CONCURRENCY" in result.stderr or value in result.stderr
    assert "Booting worker" not in result.stdout + result.stderr
    assert "CRITICAL config" not in result.stderr


def test_gunicorn_log_level_follows_log_levels() -> None:
    with gunicorn(WEB_CONCURRENCY="1", LOG_LEVELS="gunicorn.error=WARNING") as server:
        pass
    assert not any("Booting worker" in line for line in server.lines)


def hup_with_env_file(tmp_path: Path, broken: bytes) -> str:
    """Serve with a good .env, rewrite it to ``broken``, HUP; check gunicorn stops, orphaning
    no worker; return its stderr."""
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=INFO\n")
    with gunicorn(WEB_CONCURRENCY="2", ENV_FILE=str(env_file)) as server:
        deadline = time.monotonic() + 10
        while len(workers := children(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 2
        env_file.write_bytes(broken)
        server.process.send_signal(signal.SIGHUP)
        server.process.wait(timeout=10)  # new workers refuse to boot, so gunicorn halts
        deadline = time.monotonic() + 5
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in workers if running(pid)] == []  # none orphaned, still serving
    assert server.process.returncode != 0
    return server.stderr


def test_hup_with_a_broken_env_file_stops_cleanly_without_orphans(tmp_path: Path) -> None:
    stderr = hup_with_env_file(tmp_path, b"LOG_LEVEL=LOUD\n")
    assert "CRITICAL config: LOG_LEVEL='LOUD' is not valid" in stderr


@pytest.mark.parametrize(
    "broken", ["LOG_LEVEL=INFO\n".encode("utf-16"), b"LOG_LEVEL=INFO\nOWNER=caf\xe9\n"], ids=["utf-16", "latin-1"]
)
def test_hup_with_a_non_utf8_env_file_stops_cleanly_without_orphans(tmp_path: Path, broken: bytes) -> None:
    stderr = hup_with_env_file(tmp_path, broken)
    assert f"CRITICAL config: ENV_FILE={str(tmp_path / '.env')!r} is not valid (" in stderr
    assert "Failed to read config file" not in stderr  # gunicorn.conf.py itself no longer fails
    assert "UnicodeDecodeError" not in stderr


def children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited child whose new parent has not reaped it yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
