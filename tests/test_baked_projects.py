"""Each option combination, baked, installed in a fresh virtualenv, passes its own lint and tests.

This is the slow, end-to-end half of the suite: it runs the generated project's own
``pip install -e .[dev]``, ``ruff check``, ``ruff format --check`` and ``pytest`` in
subprocesses, exactly as a user would after generating.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import COMBINATIONS, bake_into, combination_id

pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_baked_project_installs_lints_and_passes_its_tests(tmp_path: Path, answers: dict[str, str]) -> None:
    project = bake_into(tmp_path, **answers)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", "-e", ".[dev]"], cwd=project)
    run([python, "-m", "ruff", "check", "."], cwd=project)
    run([python, "-m", "ruff", "format", "--check", "."], cwd=project)
    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    assert "failed" not in summary
    assert "error" not in summary
