"""Rotated files: a log file is read with its rotated files, a directory with all of them,
oldest first (``.N`` before ``.1`` before the base, ``.N.gz`` too), lock files skipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }}.logs import logs_group
from {{ cookiecutter.package_name }}.logs.rotation import expand

# Oldest first, as the sink rotates: the higher the number, the older the file.
NAMES = ["app.log.10", "app.log.3.gz", "app.log.2", "app.log.1", "app.log"]


def line(number: int) -> str:
    record = {
        "ts": f"2026-01-01T00:00:{number:02d}Z",
        "request_id": f"r{number}",
        "level": "INFO",
        "logger": "http",
        "msg": "request_completed",
        "method": "GET",
        "path": "/x",
        "status": 200,
        "duration_ms": number + 1,
    }
    return json.dumps(record) + "\n"


@pytest.fixture
def rotated(tmp_path: Path) -> Path:
    directory = tmp_path / "logs"
    directory.mkdir()
    for age, name in enumerate(reversed(NAMES)):
        if name.endswith(".gz"):
            (directory / name).write_bytes(gzip.compress(line(age).encode()))
        else:
            (directory / name).write_text(line(age))
    (directory / "app.log.lock").write_text("")
    (directory / ".hidden").write_text("not a log")
    return directory


def test_a_directory_is_every_rotated_file_oldest_first(rotated: Path) -> None:
    assert expand([str(rotated)]) == [str(rotated / name) for name in NAMES]


def test_the_base_file_brings_its_rotated_files(rotated: Path) -> None:
    assert expand([str(rotated / "app.log")]) == [str(rotated / name) for name in NAMES]
    # Named again, a file is read once, at its last place: the base last is oldest first.
    assert expand([str(rotated / "app.log.1"), str(rotated / "app.log")]) == [str(rotated / n) for n in NAMES]
    assert expand([str(rotated / "app.log.2")]) == [str(rotated / "app.log.2")]
    assert expand(["-"]) == ["-"]


def test_a_number_being_compressed_is_read_once_from_the_plain_file(rotated: Path) -> None:
    (rotated / "app.log.2.gz").write_bytes(gzip.compress(line(2).encode()))
    assert expand([str(rotated)]).count(str(rotated / "app.log.2")) == 1
    assert str(rotated / "app.log.2.gz") not in expand([str(rotated)])


def test_commands_read_a_directory_in_order(rotated: Path) -> None:
    result = CliRunner().invoke(logs_group, ["trace", "r0", str(rotated)])
    assert result.exit_code == 0, result.output
    from_dir = CliRunner().invoke(logs_group, ["slow", str(rotated)])
    assert [row.split()[4] for row in from_dir.stdout.splitlines()[1:]] == [f"r{age}" for age in range(4, -1, -1)]
    assert from_dir.stderr == ""  # the lock and hidden files were not read


def test_an_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(logs_group, ["slow", str(tmp_path)])
    assert result.exit_code == 2
    assert "no log files in" in result.stderr


def test_help_says_how_files_are_found() -> None:
    result = CliRunner().invoke(logs_group, ["errors", "--help"])
    assert "rotated files, oldest first" in " ".join(result.stdout.split())
    assert ".lock files skipped" in " ".join(result.stdout.split())
