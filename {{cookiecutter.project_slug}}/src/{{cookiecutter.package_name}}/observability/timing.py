"""Step timers: where inside a slow request the time went.

    with StepTimer("fetch_customer"):
        customer = client.get_customer(customer_id)

    @StepTimer("price_order")
    def price(order): ...

Each use logs one ``step_timing`` record with ``step`` and ``duration_ms``, plus
``error_type`` when the step raised (the exception itself propagates untouched).
"""

from __future__ import annotations

import logging
import time
from contextlib import ContextDecorator
from types import TracebackType

log = logging.getLogger("timing")


class StepTimer(ContextDecorator):
    def __init__(self, step: str, *, level: int = logging.INFO, logger: logging.Logger | None = None) -> None:
        self.step = step
        self.level = level
        self.logger = logger or log
        self.duration_ms: float | None = None
        self._starts: list[float] = []  # a stack, so one decorator instance may be re-entered

    def __enter__(self) -> StepTimer:
        self._starts.append(time.perf_counter())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.duration_ms = round((time.perf_counter() - self._starts.pop()) * 1000, 2)
        fields: dict[str, object] = {"step": self.step, "duration_ms": self.duration_ms}
        if exc_type is not None:
            fields["error_type"] = exc_type.__name__
        self.logger.log(self.level, "step_timing", extra=fields)
