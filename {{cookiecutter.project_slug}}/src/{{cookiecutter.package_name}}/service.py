"""Your service's own wiring: its settings, routes, readiness checks and redaction keys.

This file is yours. Template updates never change it (it is in ``.cruft.json``'s skip list),
and the template's code calls it at three fixed points, so what a team adds here never meets
what the template changes:

- ``REDACT_KEYS``: key fragments to redact, on top of the built-in list and ``LOG_REDACT_KEYS``.
- ``load_service_settings(env)``: your settings, read once at start-up with the same helpers
  as the template's (``env.py``: ``parse_int``, ``parse_number``, ``parse_bool``, ``fail``...),
  so a bad value stops start-up with one ``CRITICAL config:`` line. Keep it free of side
  effects: gunicorn's master runs it too.
- ``init_app(app, settings)``: the last step of ``create_app``: register your blueprints,
  readiness checks (``probes.add_readiness_check``), error handlers and CLI commands. Import
  your modules inside it, not at the top, so gunicorn's master never imports your app code.

See the README's "What is yours, what is the template's".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask

REDACT_KEYS: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSettings:
    """Your settings (give each field a default). Read them in code as
    ``current_app.config["SETTINGS"].service_settings``."""


def load_service_settings(env: Mapping[str, str]) -> ServiceSettings:
    """Read and validate your settings from the environment (``.env`` included)."""
    return ServiceSettings()


def init_app(app: Flask, settings: ServiceSettings) -> None:
    """Register your routes and anything else your service adds to the app."""
    from .routes import bp

    app.register_blueprint(bp)
