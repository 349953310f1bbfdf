"""StepTimer as a context manager and a decorator."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from {{ cookiecutter.package_name }}.observability import StepTimer
from {{ cookiecutter.package_name }}.observability.context import LogContext, bind


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


def test_decorated_calls_that_overlap_each_time_themselves(app, logs) -> None:
    # One decorator instance serves every call. With one shared stack of start times, the
    # short call below (started first, ended first) took the long call's start and was logged
    # at about 100 ms, and the long one at about 400 ms.
    @StepTimer("overlapping")
    def work(seconds: float, entered: threading.Event) -> None:
        entered.set()
        time.sleep(seconds)

    def call(request_id: str, seconds: float, entered: threading.Event) -> None:
        bind(LogContext(request_id))  # tells the two records apart (a new thread's own context)
        work(seconds, entered)

    short_entered = threading.Event()
    short = threading.Thread(target=call, args=("short", 0.2, short_entered))
    long = threading.Thread(target=call, args=("long", 0.3, threading.Event()))
    short.start()
    assert short_entered.wait(5)
    time.sleep(0.1)  # the long call starts while the short one is halfway through
    long.start()
    short.join()
    long.join()
    durations = {event["request_id"]: event["duration_ms"] for event in logs.events("step_timing")}
    # Sleeps never end early, so each call lasted at least its own sleep. No upper bounds: a
    # loaded machine may wake a thread late, and the short call's figure already tells.
    assert durations["short"] >= 200
    assert durations["long"] >= 300
