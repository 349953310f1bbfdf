"""The README runbook's commands, run as written against logs the service really wrote.

Every ```bash block in README.md preceded by ``<!-- runbook-test -->`` is extracted and each
of its commands is run with ``RID`` (a request ID) and ``LOG`` (a log file) set, so the
runbook cannot drift from the tools it tells people to use. ``flask logs`` commands run on
a log file in each format, ``jq`` commands on JSON only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import FORMATS

from gunicorn_helpers import PROJECT_ROOT, service_env

BLOCK = re.compile(r"<!-- runbook-test -->\n```bash\n(.*?)```", re.DOTALL)


def runbook_commands() -> list[str]:
    blocks = BLOCK.findall((PROJECT_ROOT / "README.md").read_text())
    return [
        line.split("  # ")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


COMMANDS = runbook_commands()
# (command, log format of the file it reads): jq reads JSON lines only.
CASES = [(c, f) for c in COMMANDS for f in FORMATS if f == "json" or not c.startswith("jq ")]
REQUESTS = {"rb-health": "/health", "rb-work": "/work", "rb-boom": "/boom"}


@pytest.fixture
def log_file(make_routed_app, logs, tmp_path: Path) -> Path:
    client = make_routed_app().test_client()
    for request_id, path in REQUESTS.items():
        client.get(path, headers={"X-Request-ID": request_id})
    logs.read()
    path = tmp_path / "service.log"
    path.write_text("".join(line + "\n" for line in logs.raw))
    return path


def test_readme_has_runbook_commands() -> None:
    assert len(COMMANDS) >= 6
    assert any(" logs trace " in c for c in COMMANDS)
    assert any(" logs slow " in c for c in COMMANDS)
    assert any(" logs errors " in c for c in COMMANDS)


@pytest.mark.parametrize(("command", "log_format"), CASES)
def test_runbook_command_works_on_real_logs(command: str, log_file: Path) -> None:
    if command.startswith("jq ") and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    search_path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # this venv's flask
    env = service_env(RID="rb-work", LOG=str(log_file), PATH=search_path)
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"no output from: {command}"
    assert "s3cr3t" not in result.stdout
    mentions = {rid for rid in REQUESTS if rid in result.stdout}
    assert mentions or "billing" in result.stdout, result.stdout
