"""Fixtures for baking the template with cookiecutter's Python API."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
COMBINATIONS = [
    {"log_format": fmt, "log_to_file": to_file} for fmt, to_file in itertools.product(("json", "text"), ("no", "yes"))
]


def combination_id(answers: dict[str, str]) -> str:
    return f"{answers['log_format']}-{'file' if answers['log_to_file'] == 'yes' else 'stdout'}"


def bake_into(output_dir: Path, template: Path = TEMPLATE, **answers: str) -> Path:
    """Generate a project without prompts; return its directory."""
    return Path(cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(output_dir)))


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., Path]:
    def _bake(**answers: str) -> Path:
        return bake_into(tmp_path / "out", **answers)

    return _bake


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run for pytest-xdist, which (``--dist loadgroup`` in pyproject.toml) hands out one
    test at a time in this order: the first slow test (it builds the baked projects' shared
    virtualenv, then runs a whole baked suite), the quick tests, which keep the other workers busy
    while that virtualenv is built, then the other slow tests."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    quick = [item for item in items if not item.get_closest_marker("slow")]
    items[:] = slow[:1] + quick + slow[1:]
