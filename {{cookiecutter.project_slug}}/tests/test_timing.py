"""StepTimer as a context manager and a decorator."""

from __future__ import annotations

import logging
import time

import pytest

from {{ cookiecutter.package_name }}.observability import StepTimer


def test_step_timer_context_manager(app, logs) -> None:
    with StepTimer("fetch_customer") as timer:
        time.sleep(0.01)
    event = logs.one("step_timing")
    assert event["step"] == "fetch_customer"
    assert event["duration_ms"] >= 10
    assert event["duration_ms"] == timer.duration_ms
    assert "error_type" not in event


def test_step_timer_decorator_and_error_type(app, logs) -> None:
    @StepTimer("price_order")
    def price(fail: bool) -> int:
        if fail:
            raise TimeoutError("pricing service timed out")
        return 3

    assert price(False) == 3
    with pytest.raises(TimeoutError):
        price(True)
    first, second = logs.events("step_timing")
    assert first["step"] == second["step"] == "price_order"
    assert "error_type" not in first
    assert second["error_type"] == "TimeoutError"


def test_step_timer_level_is_configurable(app, logs) -> None:
    with StepTimer("quiet", level=logging.DEBUG):
        pass
    assert not logs.read()
