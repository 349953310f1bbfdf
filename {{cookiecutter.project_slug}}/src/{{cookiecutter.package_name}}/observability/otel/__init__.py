"""OpenTelemetry traces and logs (the ``otel`` extra), on when the standard ``OTEL_*``
variables ask for an exporter. A package, one job per module:

- ``settings.py``: which ``OTEL_*`` variables turn it on, validated once like every setting.
- ``providers.py``: the tracer and logger providers, made in each process that serves
  requests, in each gunicorn worker (never in the master), and flushed when it exits.
- ``spans.py``: a server span per request, made by request logging's middleware so that
  every line of the request carries its IDs, and a client span per dependency call, whose
  context goes downstream through OpenTelemetry's propagators.
- ``export.py``: what leaves the process is redacted first: spans by the service's redactor,
  log records from the same redacted event as the JSON line.

``init_otel`` wires the app; ``GunicornHooks`` (``integrations.py``) runs the providers'
life cycle. Importable without the extra: the SDK is imported only when the integration is on.
"""

from __future__ import annotations

from .settings import OtelSettings, load_otel_settings

__all__ = ["OtelSettings", "load_otel_settings"]
