"""Fixtures for the template's tests; the helpers behind them are in ``bakes.py``."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from bakes import SharedEnv, bake_into, build_shared_env


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., Path]:
    def _bake(**answers: str) -> Path:
        return bake_into(tmp_path / "out", **answers)

    return _bake


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> SharedEnv:
    """Built once per run: with pytest-xdist, under the directory all workers share, by the first
    worker that gets the lock; the others wait, then reuse it."""
    basetemp = tmp_path_factory.getbasetemp()
    root = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    home = root / "shared-env"
    with (root / "shared-env.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "install.json").exists():
            build_shared_env(home)
    install = json.loads((home / "install.json").read_text())
    return SharedEnv(
        python=str(home / "my-service/.venv/bin/python"),
        installed=home / "my-service",
        missing=install["missing"],
        install_output=install["output"],
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run for pytest-xdist, which (``--dist loadgroup`` in pyproject.toml) hands out one
    test at a time in this order: the first slow test (it builds the baked projects' shared
    virtualenv, then runs a whole baked suite), the quick tests, which keep the other workers busy
    while that virtualenv is built, then the other slow tests."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    quick = [item for item in items if not item.get_closest_marker("slow")]
    items[:] = slow[:1] + quick + slow[1:]
