"""The rotating log file (log_to_file=yes): every line exactly once, across processes."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, load_settings
from {{ cookiecutter.package_name }}.observability.file_handler import LockedRotatingFileHandler
from {{ cookiecutter.package_name }}.observability.formatting import JsonFormatter
from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import ENTRY_POINTS, TEST_SETTINGS, get, gunicorn, refusal


def read_all(path: Path) -> list[str]:
    lines: list[str] = []
    for file in sorted(path.parent.glob(path.name + "*")):
        if not file.name.endswith(".lock"):
            lines.extend(file.read_text().splitlines())
    return lines


@pytest.mark.parametrize("path", ["direct", "through-logging"])
def test_file_gets_the_same_lines_as_stdout(path: str, make_app, logs, tmp_path: Path) -> None:
    """The same bytes in both sinks, whether the summary is written directly or via logging."""
    log_file = tmp_path / "nested" / "service.log"
    app = make_app(LOG_FILE=str(log_file))
    keep_all = logging.Filter()
    if path == "through-logging":
        logging.getLogger("http").addFilter(keep_all)
    try:
        app.test_client().get("/health", headers={"X-Request-ID": "to-file"})
    finally:
        logging.getLogger("http").removeFilter(keep_all)
    stdout_event = logs.one("request_completed")
    (file_line,) = log_file.read_text().splitlines()
    assert file_line == logs.raw[-1]
    file_event = parse_line(file_line)
    assert file_event["request_id"] == stdout_event["request_id"] == "to-file"
    assert file_event["msg"] == "request_completed"


def test_stdout_can_be_turned_off(make_app, logs, tmp_path: Path) -> None:
    log_file = tmp_path / "service.log"
    make_app(LOG_FILE=str(log_file), LOG_TO_STDOUT="false")
    logging.getLogger("x").warning("file_only")
    assert logs.read() == []
    assert "file_only" in log_file.read_text()


def _writer(path: str, worker: int, count: int) -> None:
    handler = LockedRotatingFileHandler(path, max_bytes=20_000, backup_count=1000)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"writer.{worker}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    for i in range(count):
        logger.info("line", extra={"line_id": f"{worker}-{i}", "pad": "p" * (i % 200)})
    handler.close()


def test_four_processes_rotating_one_file_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.log"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), w, 1500)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    lines = read_all(path)
    ids = [json.loads(line)["line_id"] for line in lines]  # every line parses: none torn
    assert sorted(ids) == sorted(f"{w}-{i}" for w in range(4) for i in range(1500))
    backups = list(tmp_path.glob("shared.log.*[0-9]"))
    assert len(backups) > 20  # it really rotated, many times
    assert all(f.stat().st_size <= 20_000 for f in backups)


def test_four_gunicorn_workers_under_load_while_rotating_log_every_request_once(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "service.log"
    ids = [f"load-{i}" for i in range(3000)]
    with gunicorn(
        WEB_CONCURRENCY="4",
        LOG_FILE=str(log_file),
        LOG_FILE_MAX_BYTES="30000",
        LOG_FILE_BACKUP_COUNT="1000",
        LOG_TO_STDOUT="false",
    ) as server:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda rid: get(f"{server.url}/health", {"X-Request-ID": rid})[0], ids))
        assert statuses == [200] * len(ids)
    assert server.process.returncode == 0
    records = [parse_line(line) for line in read_all(log_file)]  # every line parses: none torn
    completed = [r["request_id"] for r in records if r["msg"] == "request_completed"]
    assert sorted(c for c in completed if c.startswith("load-")) == sorted(ids)  # none lost, none twice
    workers = {r["msg"] for r in records if str(r["msg"]).startswith("Booting worker")}
    assert len(workers) == 4
    assert len(list(log_file.parent.glob("service.log.*[0-9]"))) > 10  # rotated many times under load


def test_backup_count_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "small.log"
    handler = LockedRotatingFileHandler(str(path), max_bytes=500, backup_count=3)
    handler.setFormatter(JsonFormatter())
    for i in range(100):
        handler.handle(logging.makeLogRecord({"msg": f"line {i}", "name": "x", "levelno": 20, "levelname": "INFO"}))
    handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "small.log",
        "small.log.1",
        "small.log.2",
        "small.log.3",
        "small.log.lock",
    ]


def test_failing_sink_keeps_serving_and_reports_once(make_app, capsys, tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    app = make_app(LOG_FILE=str(directory / "service.log"))
    client = app.test_client()
    assert client.get("/health").status_code == 200
    shutil.rmtree(directory)
    directory.write_text("a file where the log directory was")
    for _ in range(3):
        assert client.get("/health").status_code == 200
    err = capsys.readouterr().err
    assert err.count("ERROR logging: cannot write") == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_FILE_MAX_BYTES", "-1"),
        ("LOG_FILE_MAX_BYTES", "big"),
        ("LOG_FILE_BACKUP_COUNT", "0"),
        ("LOG_TO_STDOUT", "x"),
    ],
)
def test_bad_file_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}="):
        load_settings({**TEST_SETTINGS, name: value})


def test_log_file_in_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"^LOG_FILE="):
        load_settings({**TEST_SETTINGS, "LOG_FILE": str(blocker / "x.log")})


def test_turning_off_both_sinks_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^LOG_TO_STDOUT="):
        load_settings({**TEST_SETTINGS, "LOG_TO_STDOUT": "false"})


@pytest.mark.parametrize("value", ["1001", "1000000"])
def test_backup_count_is_bounded(value: str, tmp_path: Path) -> None:
    log_file = str(tmp_path / "service.log")
    with pytest.raises(ConfigError, match=r"^LOG_FILE_BACKUP_COUNT=.* accepted: a whole number from 1 to 1000$"):
        load_settings({**TEST_SETTINGS, "LOG_FILE": log_file, "LOG_FILE_BACKUP_COUNT": value})
    settings = load_settings({**TEST_SETTINGS, "LOG_FILE": log_file, "LOG_FILE_BACKUP_COUNT": "1000"})
    assert settings.file.backup_count == 1000


def test_rotation_touches_only_the_backups_that_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rotating costs a few file-system calls however large the backup count, not one per index."""
    path = tmp_path / "big.log"
    handler = LockedRotatingFileHandler(str(path), max_bytes=100, backup_count=1000)
    handler.setFormatter(JsonFormatter())

    def log(i: int) -> None:
        handler.handle(logging.makeLogRecord({"msg": f"line {i} " + "x" * 60, "levelno": 20, "levelname": "INFO"}))

    for i in range(3):  # each line rotates the one before it: .1 and .2 exist
        log(i)
    calls: Counter[str] = Counter()

    def counted(name: str) -> object:
        real = getattr(os, name)

        def call(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    for name in ("stat", "lstat", "replace", "rename"):  # os.path.exists calls os.stat
        monkeypatch.setattr(os, name, counted(name))
    log(3)
    monkeypatch.undo()
    handler.close()
    assert calls["replace"] == 3  # .2 -> .3, .1 -> .2, the file -> .1
    assert sum(calls.values()) < 10, calls
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["big.log", "big.log.1", "big.log.2", "big.log.3", "big.log.lock"]
    assert "line 0" in (tmp_path / "big.log.3").read_text()


def fifo(tmp: Path) -> str:
    os.mkfifo(tmp / "pipe.log")
    return str(tmp / "pipe.log")


# LOG_FILE values that pass a look at the path but fail at the first write.
UNUSABLE_LOG_FILES = {
    "directory": str,
    "under-proc": lambda tmp: "/proc/no-such-dir/service.log",
    "in-proc": lambda tmp: "/proc/service.log",
    "name-too-long": lambda tmp: str(tmp / ("a" * 300 + ".log")),
    "lock-name-too-long": lambda tmp: str(tmp / ("a" * 250 + ".log")),  # fits; its .lock does not
    "fifo": fifo,
}


@pytest.mark.parametrize("kind", UNUSABLE_LOG_FILES)
def test_unusable_log_file_is_refused(kind: str, tmp_path: Path) -> None:
    path = UNUSABLE_LOG_FILES[kind](tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SETTINGS, "LOG_FILE": path})
    assert str(caught.value).startswith(f"LOG_FILE={path!r} is not valid (")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("kind", ["directory", "under-proc", "name-too-long"])
def test_unusable_log_file_stops_start_up_with_one_line(kind: str, entry: str, tmp_path: Path) -> None:
    path = UNUSABLE_LOG_FILES[kind](tmp_path)
    assert refusal(entry, LOG_FILE=path).startswith(f"CRITICAL config: LOG_FILE={path!r} is not valid (")
