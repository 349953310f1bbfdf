"""Step timers: where inside a slow request the time went.

    with StepTimer("fetch_customer") as timer:
        customer = client.get_customer(customer_id)
    timer.duration_ms  # the block's duration, also logged

    @StepTimer("price_order")
    def price(order): ...

Each use logs one ``step_timing`` record with ``step`` and ``duration_ms``, plus
``error_type`` when the step raised (the exception itself propagates untouched).

As a decorator, one ``StepTimer`` serves every call of the function, from any number of
threads or executor tasks at once, so each call times itself with a fresh timer: state kept
on the shared instance would mix up the starts of overlapping calls.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

log = logging.getLogger("timing")

P = ParamSpec("P")
R = TypeVar("R")


class StepTimer:
    def __init__(self, step: str, *, level: int = logging.INFO, logger: logging.Logger | None = None) -> None:
        self.step = step
        self.level = level
        self.logger = logger or log
        self.duration_ms: float | None = None
        self._start = 0.0

    def __enter__(self) -> StepTimer:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.duration_ms = round((time.perf_counter() - self._start) * 1000, 2)
        fields: dict[str, object] = {"step": self.step, "duration_ms": self.duration_ms}
        if exc_type is not None:
            fields["error_type"] = exc_type.__name__
        self.logger.log(self.level, "step_timing", extra=fields)

    def fresh(self) -> StepTimer:
        """A timer for one call: same step, level and logger, its own start."""
        return StepTimer(self.step, level=self.level, logger=self.logger)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``func``: every call runs inside its own timer (see the module docstring)."""

        @functools.wraps(func)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.fresh():
                return func(*args, **kwargs)

        return timed
