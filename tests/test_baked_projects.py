"""Each option combination, baked, installed in a fresh virtualenv, passes its own lint and tests.

This is the slow, end-to-end half of the suite: it runs the generated project's own
``pip install -e .[dev]``, ``ruff check``, ``ruff format --check`` and ``pytest`` in
subprocesses, exactly as a user would after generating.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import COMBINATIONS, bake_into, combination_id

pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_baked_project_installs_lints_and_passes_its_tests(tmp_path: Path, answers: dict[str, str]) -> None:
    install_lint_and_test(tmp_path, sys.executable, answers)


@pytest.mark.parametrize("version", ["3.10", "3.13"])
def test_baked_project_on_the_lowest_and_newest_python(tmp_path: Path, version: str) -> None:
    """python_version is the lowest supported Python: prove it, and the newest, when present."""
    interpreter = find_python(version, tmp_path)
    if interpreter is None:
        pytest.skip(f"python{version} is not installed here")
    install_lint_and_test(tmp_path, interpreter, {"python_version": "3.10"})


def find_python(version: str, cwd: Path) -> str | None:
    """An interpreter for ``version`` on PATH, or installed by pyenv (whose shims refuse
    versions that are not selected)."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        if run([candidate, "--version"], cwd=cwd, check=False).returncode == 0:
            return candidate
    return None


def install_lint_and_test(tmp_path: Path, interpreter: str, answers: dict[str, str]) -> None:
    project = bake_into(tmp_path, **answers)
    venv = tmp_path / "venv"
    run([interpreter, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", "-e", ".[dev]"], cwd=project)
    run([python, "-m", "ruff", "check", "."], cwd=project)
    run([python, "-m", "ruff", "format", "--check", "."], cwd=project)
    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    assert "failed" not in summary
    assert "error" not in summary
