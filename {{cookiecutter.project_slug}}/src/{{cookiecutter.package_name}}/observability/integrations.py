"""The optional integrations, wired into the app by one ``create_app`` step, and into
gunicorn's process life cycle by the hooks ``gunicorn.conf.py`` names.

Each is one module under ``observability/`` whose dependencies are an optional extra
(``extras.py``), and is off unless its standard configuration turns it on:

- ``sentry.py`` (``[sentry]``): ``SENTRY_DSN``.
- ``metrics.py`` (``[metrics]``): ``METRICS_ENABLED``.
- ``otel/`` (``[otel]``): the standard ``OTEL_*`` variables that ask for an exporter.

An integration that is off is never imported here and adds nothing to any request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..config import Settings
from .dependencies import use_tracing


def register_integrations(app: Flask, settings: Settings) -> None:
    pipeline = app.extensions["logging_pipeline"]
    if settings.sentry is not None:
        from .sentry import init_sentry

        init_sentry(app, settings, pipeline.redactor)
    if settings.metrics is not None:
        from .metrics import init_metrics

        metrics = init_metrics(app, settings.metrics)
        middleware = app.extensions["request_logging"]
        middleware.observers = (*middleware.observers, metrics.observe)
    use_tracing(None)  # a process-wide hook: an earlier app's (in tests) must not linger
    if settings.otel is not None:
        from .otel.wiring import init_otel

        init_otel(app, settings, pipeline)


class GunicornHooks:
    """Server hooks for ``gunicorn.conf.py``. Made in the master when it reads its
    configuration, with the settings it validated (None after a HUP reload with a bad one:
    then nothing is done). Anything with a thread or a socket belongs in a worker's hook
    (``post_worker_init``), never in the master."""

    def __init__(self, settings: Settings | None) -> None:
        self.settings = settings
        if settings is not None and settings.metrics is not None:
            from .metrics import prepare_multiprocess_dir

            prepare_multiprocess_dir()
        if settings is not None and settings.otel is not None:
            from .otel.providers import RUNTIME

            RUNTIME.defer_to_workers()  # its threads and connections would not survive fork

    def post_worker_init(self, worker: Any) -> None:
        """In each worker, once its signal handlers are in place, before it serves:
        OpenTelemetry's providers are made here (``otel/providers.py`` says why not earlier)."""
        if self.settings is not None and self.settings.otel is not None:
            from .otel.providers import RUNTIME

            RUNTIME.start(self.settings)

    def worker_exit(self, server: Any, worker: Any) -> None:
        """In each worker, as it exits: flush the spans and log records still queued."""
        if self.settings is not None and self.settings.otel is not None:
            from .otel.providers import RUNTIME

            # Inside gunicorn's graceful timeout (counted from SIGTERM), with a margin for the rest.
            RUNTIME.shutdown(max(1.0, server.cfg.graceful_timeout * 0.8 - 1.0))

    def child_exit(self, server: Any, worker: Any) -> None:
        """In the master, after a worker exited (for any reason)."""
        if self.settings is not None and self.settings.metrics is not None:
            from .metrics import mark_worker_dead

            mark_worker_dead(worker.pid)

    def on_exit(self, server: Any) -> None:
        """In the master, as gunicorn exits."""
        if self.settings is not None and self.settings.metrics is not None:
            from .metrics import remove_multiprocess_dir

            remove_multiprocess_dir()
