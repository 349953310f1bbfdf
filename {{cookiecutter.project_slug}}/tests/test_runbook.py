"""The README runbook's commands, run as written against logs the service really wrote.

Every ```bash block in README.md preceded by ``<!-- runbook-test -->`` is extracted and each
of its commands is run with the runbook's variables set (``RUNBOOK_ENV``: ``RID`` a request ID,
``LOG`` a log file, ``USER_ID``, ``ROUTE``, ``DEP`` and ``SLOW_MS``), so the runbook cannot
drift from the tools it tells people to use. The log tools (``flask logs`` and the
``{{ cookiecutter.project_slug }}-logs`` script) run on a log file in each format, ``jq``
commands on JSON only. Each command must print something about the requests served (an ID,
a path, or the dependency they called).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import FORMATS
from {{ cookiecutter.package_name }}.observability import set_user_context

from gunicorn_helpers import PROJECT_ROOT, readme_commands, run_shell

BLOCK = re.compile(r"<!-- runbook-test -->\n```bash\n(.*?)```", re.DOTALL)
# A marked table: every code span in its rows' second and later columns is a command
# (``\|`` is a pipe inside a cell).
TABLE = re.compile(r"<!-- runbook-test -->\n((?:\|[^\n]*\n)+)")
CELL_BORDER = re.compile(r"(?<!\\)\|")
CODE = re.compile(r"`([^`]+)`")


def table_commands(table: str) -> list[str]:
    rows = table.splitlines()[2:]  # after the header and its separator
    cells = [cell for row in rows for cell in CELL_BORDER.split(row.strip())[2:-1]]
    return [code.replace("\\|", "|") for cell in cells for code in CODE.findall(cell)]


def runbook_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    commands = [command for block in BLOCK.findall(readme) for command in readme_commands(block)]
    return commands + [command for table in TABLE.findall(readme) for command in table_commands(table)]


COMMANDS = runbook_commands()
# (command, log format of the file it reads): jq reads JSON lines only.
CASES = [(c, f) for c in COMMANDS for f in FORMATS if f == "json" or not c.startswith("jq ")]
REQUESTS = {"rb-health": "/health", "rb-work": "/work", "rb-boom": "/boom", "rb-account": "/account"}
# The runbook's variables: /work takes 30 ms or more (two sleeps), /account fails for its user.
RUNBOOK_ENV = {"RID": "rb-work", "USER_ID": "rb-user", "ROUTE": "/boom", "DEP": "billing", "SLOW_MS": "25"}


@pytest.fixture
def log_file(make_routed_app, logs, tmp_path: Path) -> Path:
    app = make_routed_app()

    @app.get("/account")
    def account() -> None:
        set_user_context("rb-user")
        raise RuntimeError("account store down")

    client = app.test_client()
    for request_id, path in REQUESTS.items():
        client.get(path, headers={"X-Request-ID": request_id})
    logs.read()
    path = tmp_path / "service.log"
    path.write_text("".join(line + "\n" for line in logs.raw))
    return path


def test_readme_has_runbook_commands() -> None:
    assert len(COMMANDS) >= 6
    assert any(" logs trace " in c for c in COMMANDS)
    for command in ("slow", "errors", "summary", "deps"):
        assert any(f"-logs {command} " in c for c in COMMANDS), command
    # The symptom table: each row's tool command and its jq equivalent.
    for flag in ("--route", "--user", "--min-ms", "--dependency"):
        assert any(f" {flag} " in c for c in COMMANDS), flag
    assert sum(c.startswith("jq ") and "| sort" in c for c in COMMANDS) >= 3


@pytest.mark.parametrize(("command", "log_format"), CASES)
def test_runbook_command_works_on_real_logs(command: str, log_file: Path) -> None:
    if command.startswith("jq ") and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    result = run_shell(command, **RUNBOOK_ENV, LOG=str(log_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"no output from: {command}"
    assert "s3cr3t" not in result.stdout
    mentions = {rid for rid, path in REQUESTS.items() if rid in result.stdout or path in result.stdout}
    assert mentions or "billing" in result.stdout, result.stdout
