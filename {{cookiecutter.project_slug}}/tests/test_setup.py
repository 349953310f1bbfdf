"""Logging set-up: idempotent, quiet werkzeug, no duplicate lines, no import-time effects."""

from __future__ import annotations

import logging
import subprocess
import sys

from {{ cookiecutter.package_name }}.observability.setup import OWNED


def owned_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, OWNED, False)]


def test_second_create_app_adds_no_handler(make_app, logs) -> None:
    make_app()
    first = len(owned_handlers())
    app = make_app()
    assert len(owned_handlers()) == first >= 1
    app.test_client().get("/health")
    assert len(logs.events("request_completed")) == 1


def test_flask_adds_no_handler_of_its_own(app, logs) -> None:
    assert not app.logger.handlers
    app.logger.warning("from_app_logger")
    assert len(logs.events("from_app_logger")) == 1


def test_werkzeug_is_quiet_by_default_and_configurable(make_app, logs) -> None:
    make_app()
    logging.getLogger("werkzeug").info("werkzeug_info")
    logging.getLogger("werkzeug").warning("werkzeug_warning")
    assert logs.messages() == ["werkzeug_warning"]
    make_app(LOG_LEVELS="werkzeug=INFO")
    logging.getLogger("werkzeug").info("werkzeug_info")
    assert logs.messages() == ["werkzeug_info"]


def test_root_level_follows_log_level(make_app, logs) -> None:
    make_app(LOG_LEVEL="WARNING")
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    assert logs.messages() == ["shown"]


def test_importing_the_package_configures_nothing() -> None:
    code = (
        "import logging, {{ cookiecutter.package_name }}, {{ cookiecutter.package_name }}.observability;"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers;"
        "assert logging.getLogger().level == logging.WARNING"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
