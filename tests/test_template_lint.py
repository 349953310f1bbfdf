"""The template's own Python (hooks, tests, bench) passes ruff, like the projects it bakes."""

from __future__ import annotations

import subprocess
import sys

from bakes import TEMPLATE


def test_template_code_is_lint_clean() -> None:
    # Paths are named (not "."): ruff would otherwise read the unrendered pyproject.toml of
    # {{cookiecutter.project_slug}}/, which is a Jinja template, not TOML.
    paths = [p for p in ("hooks", "tests", "bench") if (TEMPLATE / p).is_dir()]
    for command in (["check", *paths], ["format", "--check", *paths]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=TEMPLATE, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
