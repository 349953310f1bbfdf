"""Raising verbosity safely: per-request debug token, sampling, per-logger levels."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import debug_enabled, run_in_context
from {{ cookiecutter.package_name }}.observability.debug import sampled

TOKEN = "t0ken-for-debugging-0123456789"
log = logging.getLogger("tests.debug")


@pytest.fixture
def make_work_app(make_app) -> Callable[..., Flask]:
    """``make_app`` plus ``/work``, which logs at DEBUG: on a logger of its own, from a thread
    of the request, and on an unconfigured logger (``other``)."""

    def make(**overrides: object) -> Flask:
        app = make_app(**overrides)

        @app.get("/work")
        def work():
            log.debug("debug_details", extra={"enabled": debug_enabled()})
            thread = threading.Thread(target=run_in_context(log.debug), args=("from_thread",))
            thread.start()
            thread.join()
            logging.getLogger("other").debug("other_detail")
            return {}

        return app

    return make


@pytest.fixture
def app(make_work_app) -> Flask:
    return make_work_app(DEBUG_LOG_TOKEN=TOKEN)


# Everything /work logs at DEBUG, with the request's own records around it.
DEBUG_REQUEST = ["debug_logging_enabled", "request_started", "debug_details", "from_thread", "other_detail"]


def test_without_header_no_debug_records(client, logs) -> None:
    client.get("/work")
    assert logs.messages() == ["request_completed"]


def test_right_token_enables_debug_for_that_request_only(client, logs) -> None:
    client.get("/work", headers={"X-Debug-Log": TOKEN, "X-Request-ID": "dbg-1"})
    records = logs.read()
    assert logs.messages(records) == [*DEBUG_REQUEST, "request_completed"]
    assert all(r["request_id"] == "dbg-1" for r in records)
    assert logs.one("debug_logging_enabled", records)["debug_reason"] == "token"
    assert logs.one("request_completed", records)["debug_reason"] == "token"
    assert TOKEN not in "".join(logs.raw)
    client.get("/work")
    assert logs.messages() == ["request_completed"]


@pytest.mark.parametrize("sent", ["1", "true", TOKEN[:-1], TOKEN + "x", ""])
def test_wrong_token_enables_nothing_and_is_noted_without_echo(client, logs, sent: str) -> None:
    client.get("/work", headers={"X-Debug-Log": sent})
    records = logs.read()
    assert logs.messages(records) == ["debug_token_rejected", "request_completed"]
    assert logs.one("debug_token_rejected", records)["level"] == "WARNING"
    if len(sent) > 4:  # short values ("1", "true") occur in any line anyway
        assert all(sent not in raw for raw in logs.raw)


def test_header_does_nothing_when_no_token_is_configured(make_work_app, logs) -> None:
    make_work_app().test_client().get("/work", headers={"X-Debug-Log": "1"})
    assert logs.messages() == ["debug_token_rejected", "request_completed"]


def test_sampled_says_yes_to_a_share_rate_of_calls() -> None:
    assert all(sampled(1.0) for _ in range(100))
    assert not any(sampled(0.0) for _ in range(100))
    # An uneven rate, so a draw compared the wrong way round (yes for 90%) shows.
    # Binomial(5000, 0.1): 500 +- 21; these bounds are more than 9 standard deviations out.
    assert 300 < sum(sampled(0.1) for _ in range(5000)) < 700


def test_sampling_cannot_be_chosen_by_the_client_and_keeps_whole_requests(make_work_app, logs) -> None:
    # Sampling on the client's X-Request-ID let a client pick an ID that is always sampled, and
    # make every request of its own log at DEBUG with all its headers.
    client = make_work_app(LOG_SAMPLE_RATE="0.5").test_client()
    sampled_requests = 0
    for _ in range(200):
        client.get("/work", headers={"X-Request-ID": "always-the-same"})
        records = logs.read()
        if logs.messages(records) == ["request_completed"]:
            continue
        # Sampled: every record of the request is kept, the thread's too, and says why.
        sampled_requests += 1
        assert logs.messages(records) == [*DEBUG_REQUEST, "request_completed"]
        assert all(r["request_id"] == "always-the-same" for r in records)
        completed = logs.one("request_completed", records)
        assert (completed["debug_reason"], completed["sample_rate"]) == ("sampled", 0.5)
    # Binomial(200, 0.5): 100 +- 7; these bounds are more than 8 standard deviations out.
    assert 40 < sampled_requests < 160


def test_per_logger_levels(make_app, logs) -> None:
    make_app(LOG_LEVELS="deps=DEBUG,tests.debug.quiet=ERROR")
    logging.getLogger("deps").debug("deps_detail")
    logging.getLogger("deps.http").debug("child_detail")
    logging.getLogger("other").debug("other_detail")
    logging.getLogger("tests.debug.quiet").warning("quiet_warning")
    assert logs.messages() == ["deps_detail", "child_detail"]


def test_per_logger_levels_with_debug_token(make_work_app, logs) -> None:
    app = make_work_app(LOG_LEVELS="deps=DEBUG", DEBUG_LOG_TOKEN=TOKEN)
    logging.getLogger("deps").debug("deps_detail")
    logging.getLogger("other").debug("other_detail")
    logging.getLogger("other").info("other_info")
    assert logs.messages() == ["deps_detail", "other_info"]
    client = app.test_client()
    client.get("/work")  # no token: the gate keeps other's DEBUG out, and no request_started
    assert logs.messages() == ["request_completed"]
    client.get("/work", headers={"X-Debug-Log": TOKEN})
    assert "other_detail" in logs.messages()
