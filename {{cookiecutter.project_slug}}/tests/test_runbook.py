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
import time
from pathlib import Path

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import StepTimer, track_dependency

from gunicorn_helpers import PROJECT_ROOT

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
CASES = [(c, f) for c in COMMANDS for f in ("json", "text") if f == "json" or not c.startswith("jq ")]


@pytest.fixture
def log_file(make_app, logs, tmp_path: Path) -> Path:
    app: Flask = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/checkout")
    def checkout():
        with StepTimer("price_order"):
            time.sleep(0.005)
        with track_dependency("payments", "POST", "https://payments.internal/charge?key=s3cr3t") as call:
            call.status = 502
        return {"ok": True}

    @app.get("/broken")
    def broken():
        raise RuntimeError("ledger unavailable")

    client = app.test_client()
    client.get("/health", headers={"X-Request-ID": "rb-health"})
    client.get("/checkout", headers={"X-Request-ID": "rb-checkout"})
    client.get("/broken", headers={"X-Request-ID": "rb-broken"})
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
    env = {
        **os.environ,
        "RID": "rb-checkout",
        "LOG": str(log_file),
        "ENV_FILE": "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
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
    mentions = {rid for rid in ("rb-health", "rb-checkout", "rb-broken") if rid in result.stdout}
    assert mentions or "payments" in result.stdout, result.stdout
