"""Prometheus metrics (the ``metrics`` extra), on when ``METRICS_ENABLED`` is true.

``/metrics`` serves two families, labelled by method, route template and status class:
``http_requests_total`` and ``http_request_duration_seconds`` (a histogram). Both are fed
by request logging's summary (``RequestLogging.log_completion`` calls ``observe`` with the
duration it writes as ``duration_ms``), so ``request_completed`` lines and the metrics
count the same requests with the same durations. The labels are bounded: the route is the
template Flask matched (``/orders/<int:order_id>``, never the raw path; ``<unmatched>``
for a 404 or 405 without one), the method one of the standard ones or ``OTHER``, the status its class
(``2xx``). Scrapes of ``/metrics`` itself are not counted.

Under gunicorn, each worker is its own process: prometheus_client's multiprocess mode adds
them up. ``gunicorn.conf.py`` prepares its directory in the master before any worker starts
(``PROMETHEUS_MULTIPROC_DIR`` if set, else a new one under ``/dev/shm``; files of an earlier
run are removed, they would add old counts), marks each worker that exits as dead
(``child_exit``), and removes a directory it created when gunicorn exits. Without gunicorn
(``flask run``, tests), one process: an ordinary registry.

Importable without prometheus_client: it is imported only when the integration is on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..env import parse_bool
from .context import current
from .extras import require_extra

if TYPE_CHECKING:
    from flask import Flask, Response

EXTRA = "metrics"
METRICS_PATH = "/metrics"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"
UNMATCHED_STATUSES = frozenset({404, 405})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
LABELS = ("method", "route", "status")
# Master only: whether the directory is ready, and the one it created (removed at exit).
_prepared = False
_created_dir: str | None = None


@dataclass(frozen=True)
class MetricsSettings:
    path: str = METRICS_PATH


def load_metrics_settings(env: Mapping[str, str]) -> MetricsSettings | None:
    """``METRICS_ENABLED`` (false by default)."""
    value = env.get("METRICS_ENABLED", "false")
    if not parse_bool("METRICS_ENABLED", value):
        return None
    require_extra("METRICS_ENABLED", value, EXTRA, "prometheus_client", off="false (off)")
    return MetricsSettings()


class RequestMetrics:
    """The two families, on a registry of their own (one per app: tests build many)."""

    def __init__(self, path: str = METRICS_PATH) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.path = path
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests served, by method, route template and status class.",
            LABELS,
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to serve an HTTP request (request_completed's duration_ms), by method, route and status class.",
            LABELS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str | None, status: int, duration_ms: float) -> None:
        """One request, as ``request_completed`` summarised it (the observer hook).

        The summary leaves ``route`` out when it is the path itself (a route without
        variables, such as ``/health``): then the path is the template. A 404 or 405 matched
        no rule (its path is whatever the client sent): ``<unmatched>``.
        """
        if route is None:
            route = UNMATCHED if status in UNMATCHED_STATUSES else current().path
        if route == self.path:
            return
        labels = (
            method if method in METHODS else "OTHER",
            route,
            STATUS_CLASSES[status // 100 - 1] if 100 <= status < 600 else "other",
        )
        self.requests.labels(*labels).inc()
        self.duration.labels(*labels).observe(duration_ms / 1000)

    def exposition(self) -> Response:
        """``/metrics``: this process's registry, or every worker's files in multiprocess mode."""
        from flask import Response
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

        registry: Any = self.registry
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call,unused-ignore] # untyped in prometheus_client
        return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_metrics(app: Flask, settings: MetricsSettings) -> RequestMetrics:
    metrics = RequestMetrics(settings.path)
    app.add_url_rule(settings.path, "metrics", metrics.exposition, methods=["GET"])
    return metrics


def prepare_multiprocess_dir() -> str:
    """In gunicorn's master, before any worker: the directory the workers share their values
    through, emptied of an earlier run's files. Kept as it is on a HUP reload (the running
    workers' counts stay)."""
    global _created_dir, _prepared
    directory = os.environ.get(MULTIPROCESS_DIR, "")
    if _prepared:
        return directory
    if directory:  # the operator's
        os.makedirs(directory, exist_ok=True)
        remove_value_files(directory)
    else:
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - as worker_tmp_dir
        directory = _created_dir = tempfile.mkdtemp(prefix="prometheus-", dir=shm)
        os.environ[MULTIPROCESS_DIR] = directory
    _prepared = True
    return directory


def remove_value_files(directory: str) -> None:
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))


def mark_worker_dead(pid: int) -> None:
    """``child_exit``: the worker's live gauges go; its counters and histograms stay counted."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call,unused-ignore] # untyped in prometheus_client


def remove_multiprocess_dir() -> None:
    """``on_exit``: remove the directory if this process created it."""
    if _created_dir:
        shutil.rmtree(_created_dir, ignore_errors=True)
