"""The tracer and logger providers of this process, made after gunicorn forks it.

A provider's batch processor runs a thread and its exporter holds connections; neither
survives ``fork``. Under gunicorn they are made in each worker, never in the master:
``GunicornHooks`` (``integrations.py``) calls ``defer_to_workers`` in the master as it reads
its configuration, so an app built there (``preload_app``) leaves them to the workers, and
its ``post_worker_init`` hook makes them. That hook runs after the worker has installed its
signal handlers, just before it serves; made earlier (``post_fork``), a worker sometimes
slept through gunicorn's SIGTERM until the graceful timeout killed it, losing what was
queued (one shutdown in two, here; ``test_otel_gunicorn.py`` would catch it coming back).
Without gunicorn (``flask run``, other servers, tests) ``init_otel`` makes them when the app
is built. ``worker_exit`` exports what is still queued and shuts them down, within
gunicorn's graceful timeout (``Runtime.shutdown``); the SDK also does so at interpreter exit.

The service's own spans and log records go through these providers directly. The tracer
provider is also made the global one when none is set yet, so the team's own
``trace.get_tracer(__name__)`` spans share the exporter (and its redaction).
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any

from ...config import Settings
from ..redaction import Redactor

if TYPE_CHECKING:
    from .settings import OtelSettings

SCOPE = "{{ cookiecutter.package_name }}"
FLUSH_MILLIS = 5000
# Without gunicorn's graceful timeout to go by (``worker_exit`` passes it, less a margin).
SHUTDOWN_SECONDS = 10.0


class Runtime:
    """This process's providers, or None before ``start`` (and in a gunicorn master)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.deferred = False
        self.tracer: Any = None
        self.logger: Any = None
        self.tracer_provider: Any = None
        self.logger_provider: Any = None

    def defer_to_workers(self) -> None:
        """In gunicorn's master: the providers are made in each worker (``post_worker_init``)."""
        self.deferred = True

    def start_here(self, settings: Settings) -> None:
        """From ``init_otel``: start, unless this is a gunicorn master (then the workers do)."""
        if not self.deferred:
            self.start(settings)

    def start(self, settings: Settings, span_exporter: Any = None, log_exporter: Any = None) -> None:
        """Make the providers for this process, once (again in a forked child). The
        exporters default to OTLP/HTTP at the configured endpoints; tests pass in-memory ones."""
        otel = settings.otel
        if otel is None or self.pid == os.getpid():
            return
        from opentelemetry.sdk.resources import Resource

        resource = Resource.create(resource_attributes(settings, otel))
        redactor = Redactor(settings.log_redact_keys)
        self.tracer = self.logger = None
        if otel.traces_endpoint is not None or span_exporter is not None:
            self.tracer_provider = tracer_provider(otel, resource, redactor, span_exporter)
            self.tracer = self.tracer_provider.get_tracer(SCOPE)
        if otel.logs_endpoint is not None or log_exporter is not None:
            self.logger_provider = logger_provider(otel, resource, log_exporter)
            self.logger = self.logger_provider.get_logger(SCOPE)
        self.pid = os.getpid()

    def shutdown(self, seconds: float = SHUTDOWN_SECONDS) -> None:
        """Export what is queued and stop the processors' threads (``worker_exit``), within
        ``seconds``: both providers at once, so a slow trace export leaves the logs their
        time too. A provider's shutdown flushes first; with its collector down, the exporter's
        retries would take as long as they like (the SDK's flush ignores its own timeout), and
        gunicorn would kill the worker at its graceful timeout, so what is not out by the
        deadline is dropped and the worker exits."""
        providers = [p for p in (self.tracer_provider, self.logger_provider) if p is not None]
        threads = [threading.Thread(target=p.shutdown, name="otel-shutdown", daemon=True) for p in providers]
        deadline = time.monotonic() + seconds
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.__init__()  # type: ignore[misc] # back to "not started"

    def force_flush(self) -> None:
        """Export what is queued now (tests)."""
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None:
                provider.force_flush(FLUSH_MILLIS)


def resource_attributes(settings: Settings, otel: OtelSettings) -> dict[str, str]:
    """The service's identity in OpenTelemetry's resource conventions (``OTEL_RESOURCE_ATTRIBUTES``
    from the process environment is merged under these by the SDK)."""
    attributes = {"service.name": otel.service_name or settings.service_name}
    if settings.service_version:
        attributes["service.version"] = settings.service_version
    if settings.deploy_env:
        attributes["deployment.environment.name"] = settings.deploy_env
    return attributes


def sampler(otel: OtelSettings) -> Any:
    """``OTEL_TRACES_SAMPLER`` (and its argument), built from the validated settings."""
    from opentelemetry.sdk.trace import sampling

    ratio = sampling.TraceIdRatioBased(otel.sampler_arg)
    samplers = {
        "always_on": sampling.ALWAYS_ON,
        "always_off": sampling.ALWAYS_OFF,
        "traceidratio": ratio,
        "parentbased_always_on": sampling.ParentBased(sampling.ALWAYS_ON),
        "parentbased_always_off": sampling.ParentBased(sampling.ALWAYS_OFF),
        "parentbased_traceidratio": sampling.ParentBased(ratio),
    }
    return samplers[otel.sampler]


def tracer_provider(otel: OtelSettings, resource: Any, redactor: Redactor, exporter: Any) -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from .export import RedactingSpanExporter

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=otel.traces_endpoint, headers=dict(otel.traces_headers))
    provider = TracerProvider(resource=resource, sampler=sampler(otel))
    provider.add_span_processor(BatchSpanProcessor(RedactingSpanExporter(exporter, redactor)))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):  # none set yet
        trace.set_tracer_provider(provider)
    return provider


def logger_provider(otel: OtelSettings, resource: Any, exporter: Any) -> Any:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        exporter = OTLPLogExporter(endpoint=otel.logs_endpoint, headers=dict(otel.logs_headers))
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    return provider


RUNTIME = Runtime()
