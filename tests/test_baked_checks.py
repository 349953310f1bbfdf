"""The baked project's own static checks, as its CI and pre-commit run them.

Strict mypy on both code variants (the file sink is the only code a combination adds), the
GitHub workflows through actionlint and zizmor, the Dockerfile through hadolint, and the
image itself where a container engine runs: build it from a locked project, start it, wait
for its HEALTHCHECK, send a request and read the JSON line it logged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bakes import FULL_RUNS, UV_ENV, SharedEnv, bake_into, combination_id, run

pytestmark = pytest.mark.slow


def tool(name: str) -> str:
    """A linter installed with requirements-dev.txt, next to this interpreter (or on PATH)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is missing: pip install -r requirements-dev.txt"
    return found


@pytest.mark.parametrize("answers", FULL_RUNS, ids=combination_id)
def test_bake_type_checks_strictly(tmp_path: Path, shared_env: SharedEnv, answers: dict[str, str]) -> None:
    project = bake_into(tmp_path, **answers)
    result = shared_env.run(["-m", "mypy"], cwd=project, bake=project)
    assert "Success: no issues found" in result.stdout, result.stdout


def test_workflows_pass_actionlint_and_zizmor(tmp_path: Path) -> None:
    project = bake_into(tmp_path)
    workflows = sorted(str(p) for p in (project / ".github/workflows").glob("*.yml"))
    assert len(workflows) == 2
    run([tool("actionlint"), *workflows], cwd=project)
    audit = run([tool("zizmor"), "--offline", "--persona=pedantic", ".github/workflows"], cwd=project)
    assert "No findings to report" in audit.stdout + audit.stderr, audit.stdout + audit.stderr


def test_workflows_pin_actions_to_commits(tmp_path: Path) -> None:
    """Every `uses:` names a full commit SHA, with the version it is in a comment."""
    project = bake_into(tmp_path)
    for workflow in (project / ".github/workflows").glob("*.yml"):
        for line in workflow.read_text().splitlines():
            if "uses:" in line:
                ref = line.split("@", 1)[1]
                sha, _, comment = ref.partition(" # ")
                assert len(sha) == 40, line
                assert all(c in "0123456789abcdef" for c in sha), line
                assert comment.startswith("v"), line


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    project = bake_into(tmp_path)
    run([tool("hadolint"), "Dockerfile"], cwd=project)


def container_engine() -> str | None:
    """docker or podman, if one answers (a client without a daemon does not)."""
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path and subprocess.run([path, "info"], capture_output=True, timeout=30, check=False).returncode == 0:
            return path
    return None


def test_image_builds_from_the_lock_runs_healthy_and_logs_json(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine answers here (docker/podman info failed): the image is not built")
    project = bake_into(tmp_path)
    run([sys.executable, "-m", "uv", "lock", "--python", sys.executable], cwd=project, **UV_ENV)
    tag = "template-test-image:latest"
    run([engine, "build", "-t", tag, "."], cwd=project, timeout=1200)
    started = run([engine, "run", "-d", "--read-only", "-p", "127.0.0.1::8000", tag], cwd=project)
    container = started.stdout.strip()
    try:
        port = run([engine, "port", container, "8000"], cwd=project).stdout.strip().rsplit(":", 1)[1]
        for _ in range(60):
            health = run([engine, "inspect", "-f", "{{.State.Health.Status}}", container], cwd=project).stdout
            if health.strip() == "healthy":
                break
            time.sleep(1)
        assert health.strip() == "healthy"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/nowhere", headers={"X-Request-ID": "image-1"})
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(request, timeout=5)
        time.sleep(1)
        logs = run([engine, "logs", container], cwd=project).stdout.splitlines()
        records = [json.loads(line) for line in logs if line.startswith("{")]
        assert any(r.get("request_id") == "image-1" and r["msg"] == "request_completed" for r in records)
    finally:
        subprocess.run([engine, "rm", "-f", container], capture_output=True, timeout=60, check=False)
