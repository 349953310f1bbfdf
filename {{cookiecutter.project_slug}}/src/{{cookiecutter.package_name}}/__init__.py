"""{{ cookiecutter.project_name }}: the Flask application factory.

``create_app`` is a list of named steps. Settings are read and validated first, logging is
configured before Flask first touches ``app.logger`` (so Flask adds no handler of its own and
no line is printed twice), then the app gets its request context, routes and error handlers.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from .config import Settings, load_settings
from .errors import register_errorhandlers
from .logs import logs_group
from .observability.integrations import register_integrations
from .observability.request_logging import init_request_logging
from .observability.setup import configure_logging
from .probes import bp as probes_bp
from .service import ServiceSettings
from .service import init_app as init_service


def register_observability(app: Flask, settings: Settings) -> None:
    init_request_logging(app, settings, app.extensions["logging_pipeline"])


def register_blueprints(app: Flask, settings: Settings) -> None:
    """The probes; your routes are registered by ``service.init_app``."""
    app.register_blueprint(probes_bp)


def register_commands(app: Flask, settings: Settings) -> None:
    """``flask --app {{ cookiecutter.package_name }} logs ...``: the runbook's log tools."""
    app.cli.add_command(logs_group)


def register_service(app: Flask, settings: Settings) -> None:
    """Last: your own wiring (``service.py``, yours), over everything the template set up."""
    init_service(app, settings.service_settings or ServiceSettings())


STEPS = (
    register_observability,
    register_integrations,
    register_blueprints,
    register_errorhandlers,
    register_commands,
    register_service,
)


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    """Build the app. ``overrides`` take priority over the environment (tests use them)."""
    settings = load_settings(overrides)
    pipeline = configure_logging(settings)
    app = Flask(__name__)
    app.config.update(TESTING=settings.testing, SETTINGS=settings)
    app.extensions["logging_pipeline"] = pipeline
    for step in STEPS:
        step(app, settings)
    return app
