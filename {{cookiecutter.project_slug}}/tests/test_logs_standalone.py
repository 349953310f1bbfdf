"""Reading logs needs no app: ``{{ cookiecutter.project_slug }}-logs`` and ``python -m {{ cookiecutter.package_name }}.logs``.

Logs are read when something is wrong, often with the service's own settings. These run the
commands in a fresh process with a broken environment (every setting the app would refuse,
and a log file under a directory that does not exist), in an empty working directory, and
check they answer and leave that directory empty.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gunicorn_helpers import PROJECT_ROOT, service_env

LINE = (
    '{"ts":"2026-01-01T00:00:00Z","request_id":"r1","level":"ERROR","logger":"http","msg":"request_completed",'
    '"method":"GET","path":"/x","status":503,"duration_ms":12.5}'
)
BROKEN = {
    "LOG_LEVEL": "LOUD",
    "LOG_FORMAT": "yaml",
    "LOG_SCHEMA": "nope",
    "SLOW_REQUEST_MS": "soon",
    "LOG_FILE": "logs/deep/service.log",
    "LOG_TO_STDOUT": "maybe",
    "ENV_FILE": "missing.env",
}
SCRIPT = Path(sys.executable).parent / "{{ cookiecutter.project_slug }}-logs"
ENTRIES = {
    "console-script": [str(SCRIPT)],
    "python-m": [sys.executable, "-m", "{{ cookiecutter.package_name }}.logs"],
}


def run(entry: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = service_env(**BROKEN, PYTHONPATH=str(PROJECT_ROOT / "src"))
    return subprocess.run(
        [*ENTRIES[entry], *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("command", [["slow"], ["errors"], ["trace", "r1"]])
def test_reads_logs_with_a_broken_service_environment_and_creates_nothing(
    tmp_path: Path, entry: str, command: list[str]
) -> None:
    assert entry != "console-script" or SCRIPT.exists(), "reinstall the project: its console script is missing"
    log = tmp_path / "in" / "service.log"
    log.parent.mkdir()
    log.write_text(LINE + "\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = run(entry, cwd, *command, str(log))
    assert result.returncode == 0, result.stderr
    assert "r1" in result.stdout
    assert result.stderr == ""
    assert list(cwd.iterdir()) == []
    assert sorted(p.name for p in log.parent.iterdir()) == ["service.log"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_help_names_the_commands(tmp_path: Path, entry: str) -> None:
    result = run(entry, tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("trace", "slow", "errors"):
        assert f"  {command} " in result.stdout
    assert list(tmp_path.iterdir()) == []
