"""Shared fixtures: apps built through the real factory, and their log output parsed.

Every app a test builds logs through the service's own configured pipeline (its handler,
filters and formatter) to stdout, which pytest captures; ``logs`` parses those lines back
into dicts in either format. ``log_format`` runs each test that uses it in both formats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability.testing import parse_lines

# Keep tests independent of a developer's .env and of the generated log-file default. Most
# tests use /health as "any request", so its summary stays at INFO here; test_probes.py
# checks the default that keeps successful probes at DEBUG.
BASE_OVERRIDES = {"ENV_FILE": "", "TESTING": "true", "LOG_FILE": "", "LOG_PROBE_PATHS": ""}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger, named loggers' levels and handlers back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))
    logging.captureWarnings(False)


class Logs:
    """What the service wrote to stdout, parsed; each call reads what came since the last."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.raw: list[str] = []

    def read(self) -> list[dict[str, object]]:
        out = self.capsys.readouterr().out
        self.raw.extend(line for line in out.split("\n") if line)
        return parse_lines(out)

    def events(self, msg: str, records: list[dict[str, object]] | None = None) -> list[dict[str, object]]:
        return [r for r in (records if records is not None else self.read()) if r["msg"] == msg]

    def one(self, msg: str, records: list[dict[str, object]] | None = None) -> dict[str, object]:
        found = self.events(msg, records)
        assert len(found) == 1, f"expected one {msg!r} record, got {found}"
        return found[0]


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Logs:
    return Logs(capsys)


@pytest.fixture(params=["json", "text"])
def log_format(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_app(log_format: str, logs: Logs) -> Callable[..., Flask]:
    """Build an app in the parametrised format; keyword arguments are env overrides."""

    def make(**overrides: object) -> Flask:
        return create_app({**BASE_OVERRIDES, "LOG_FORMAT": log_format, **overrides})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()
