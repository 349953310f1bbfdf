"""``init_otel``: OpenTelemetry into the app, called by ``register_integrations`` when on.

Request logging's middleware starts each request's server span (``spans.ServerSpans``) and
its summary ends it; the dependency helper gets client spans; with ``OTEL_LOGS_EXPORTER=otlp``
an OTLP log handler joins the service's sinks on the root logger (owned by the logging
set-up like they are, so configuring logging again replaces it rather than adding another).
The providers start here unless gunicorn makes them in each worker (``providers.py``).
"""

from __future__ import annotations

import logging

from flask import Flask

from ...config import Settings
from ..dependencies import use_tracing
from ..pipeline import Pipeline
from ..setup import OWNED
from .providers import RUNTIME


def init_otel(app: Flask, settings: Settings, pipeline: Pipeline) -> None:
    from .spans import ClientSpans, ServerSpans

    RUNTIME.start_here(settings)
    middleware = app.extensions["request_logging"]
    spans = ServerSpans(RUNTIME, pipeline.redactor)
    middleware.start_trace = spans.start
    middleware.observers = (*middleware.observers, spans.end)
    use_tracing(ClientSpans(RUNTIME))
    if settings.otel is not None and settings.otel.logs_endpoint is not None:
        from .export import OtlpLogHandler

        handler = OtlpLogHandler(RUNTIME, pipeline.formatter)
        setattr(handler, OWNED, True)
        if pipeline.gate is not None:
            handler.addFilter(pipeline.gate)
        logging.getLogger().addHandler(handler)
