"""Liveness and readiness: ``/health`` says the process serves, ``/ready`` that it can work.

An orchestrator restarts a service whose liveness probe fails, so ``/health`` checks nothing
outside the process: a database outage must not restart every replica. ``/ready`` runs the
readiness checks the service registered (a database ping, a cache, a downstream it cannot
work without), each on a worker thread with its own timeout, and answers 200 when all pass,
503 otherwise, with each check's name, status and duration (never its error text, which
may describe internals). A check that fails is logged once when its state changes
(``readiness_check_failed`` at WARNING, ``readiness_check_recovered`` at INFO), not at every
probe; request logging keeps the probes' own successful summaries at DEBUG
(``LOG_PROBE_PATHS``).

Add a check from your own code, for example in ``routes.py``::

    @bp.record_once
    def readiness(state: BlueprintSetupState) -> None:
        add_readiness_check(state.app, "database", lambda: db.execute("select 1"), timeout=2.0)

A check passes when it returns and fails when it raises or runs past its timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import cast

from flask import Blueprint, Flask, current_app

from .observability.context import submit_in_context

bp = Blueprint("probes", __name__)
log = logging.getLogger("readiness")
EXTENSION = "readiness"
MAX_CHECK_THREADS = 4


@dataclass
class Check:
    name: str
    run: Callable[[], object]
    timeout: float
    passing: bool | None = None  # unknown until the first probe


@dataclass
class Readiness:
    """The checks of one app, and the threads that run them (started at the first probe)."""

    checks: list[Check] = field(default_factory=list)
    _pool: ThreadPoolExecutor | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(MAX_CHECK_THREADS, thread_name_prefix="readiness")
            return self._pool

    def run_all(self) -> list[dict[str, object]]:
        started = [(check, time.perf_counter(), submit_in_context(self.pool(), check.run)) for check in self.checks]
        return [self.outcome(check, start, future) for check, start, future in started]

    def outcome(self, check: Check, start: float, future: Future[object]) -> dict[str, object]:
        remaining = max(0.0, check.timeout - (time.perf_counter() - start))
        error: BaseException | None = None
        try:
            future.result(timeout=remaining)
            status = "pass"
        except FutureTimeout:
            status, error = "timeout", TimeoutError(f"no answer within {check.timeout:g} s")
        except Exception as exc:  # a check fails by raising anything
            status, error = "fail", exc
        duration_ms = round((time.perf_counter() - start) * 1000, 2)
        note_state_change(check, status == "pass", status, duration_ms, error)
        return {"name": check.name, "status": status, "duration_ms": duration_ms}


def note_state_change(
    check: Check, passing: bool, status: str, duration_ms: float, error: BaseException | None
) -> None:
    """Log a check's state only when it changes, so a probe every few seconds is quiet."""
    if passing == check.passing:
        return
    if not passing:
        log.warning(
            "readiness_check_failed",
            extra={"check": check.name, "check_status": status, "duration_ms": duration_ms},
            exc_info=error,
        )
    elif check.passing is not None:  # the first probe passing is the normal start, not news
        log.info("readiness_check_recovered", extra={"check": check.name, "duration_ms": duration_ms})
    check.passing = passing


def readiness_of(app: Flask) -> Readiness:
    readiness = app.extensions.get(EXTENSION)
    if readiness is None:
        readiness = app.extensions[EXTENSION] = Readiness()
    return cast(Readiness, readiness)


def add_readiness_check(app: Flask, name: str, check: Callable[[], object], *, timeout: float = 2.0) -> None:
    """Run ``check`` on every ``/ready`` probe; it fails if it raises or takes over ``timeout`` s."""
    if timeout <= 0:
        raise ValueError(f"readiness check {name!r}: timeout must be positive, not {timeout!r}")
    readiness_of(app).checks.append(Check(name, check, timeout))


@bp.get("/health")
def health() -> dict[str, str]:
    """Liveness: cheap, no dependencies."""
    return {"status": "ok"}


@bp.get("/ready")
def ready() -> tuple[dict[str, object], int]:
    """Readiness: every registered check, 200 when all pass, else 503."""
    results = readiness_of(current_app).run_all()
    all_pass = all(result["status"] == "pass" for result in results)
    return {"status": "ready" if all_pass else "not_ready", "checks": results}, 200 if all_pass else 503
