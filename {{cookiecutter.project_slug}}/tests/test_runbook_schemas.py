"""The README runbook's jq queries for each LOG_SCHEMA, run against lines the service wrote.

Every ```bash block in README.md preceded by ``<!-- runbook-test schema=NAME -->`` is
extracted, and each command is run with ``RID`` and ``LOG`` set, on a log file the service
wrote with LOG_SCHEMA=NAME: the same three requests as ``test_runbook.py`` (a healthy one, one
whose dependency call failed, one that raised). Each query must answer, and name the requests
it is about, so the schema's field names in the README cannot drift from what is written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability import StepTimer, track_dependency

from gunicorn_helpers import BASE_OVERRIDES, PROJECT_ROOT, readme_commands, run_shell

BLOCK = re.compile(r"<!-- runbook-test schema=(\w+) -->\n```bash\n(.*?)```", re.DOTALL)


def schema_commands() -> list[tuple[str, str]]:
    return [
        (schema, command)
        for schema, block in BLOCK.findall((PROJECT_ROOT / "README.md").read_text())
        for command in readme_commands(block)
    ]


COMMANDS = schema_commands()


def test_readme_has_queries_for_every_schema() -> None:
    schemas = {schema for schema, _ in COMMANDS}
    assert schemas == {"ecs", "gcp", "datadog"}, schemas
    for schema in schemas:
        assert sum(1 for s, _ in COMMANDS if s == schema) >= 3, schema  # a request's story, slowest, failing


@pytest.fixture
def schema_log(logs, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    schema = request.param
    overrides = {**BASE_OVERRIDES, "LOG_FORMAT": "json", "LOG_SCHEMA": schema, "GOOGLE_CLOUD_PROJECT": "my-project"}
    app: Flask = create_app(overrides)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/checkout")
    def checkout():
        with StepTimer("price_order"):
            pass
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
    path = tmp_path / f"service-{schema}.log"
    path.write_text(logs.capsys.readouterr().out)
    return path


@pytest.mark.parametrize(("schema_log", "command"), COMMANDS, indirect=["schema_log"])
def test_schema_query_works_on_real_logs(schema_log: Path, command: str) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    result = run_shell(command, RID="rb-checkout", LOG=str(schema_log))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"no output from: {command}"
    assert "s3cr3t" not in result.stdout
    assert any(rid in result.stdout for rid in ("rb-health", "rb-checkout", "rb-broken")), result.stdout
