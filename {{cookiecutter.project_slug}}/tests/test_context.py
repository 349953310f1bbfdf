"""Request context: request IDs accepted, generated or replaced; user and trace IDs; reset."""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability import run_in_context, set_user_context, submit_in_context
from {{ cookiecutter.package_name }}.observability.context import current, trace_id_from, valid_request_id

HEX32 = re.compile(r"[0-9a-f]{32}\Z")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
log = logging.getLogger("tests.context")


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()

    @app.get("/whoami")
    def whoami():
        set_user_context("user-7")
        log.info("handled")
        return {"request_id": current().request_id}

    @app.get("/threads")
    def threads():
        set_user_context(99)
        # The failure mode: a plain thread starts with an empty context.
        naive = threading.Thread(target=log.info, args=("from_plain_thread",))
        naive.start()
        naive.join()
        thread = threading.Thread(target=run_in_context(log.info), args=("from_thread",))
        thread.start()
        thread.join()
        with ThreadPoolExecutor(max_workers=1) as pool:
            submit_in_context(pool, log.info, "from_executor").result()
        return {}

    return app


def test_valid_incoming_request_id_is_used_and_echoed(client, logs) -> None:
    response = client.get("/whoami", headers={"X-Request-ID": "gw-123:abc.DEF_9"})
    assert response.headers["X-Request-ID"] == "gw-123:abc.DEF_9"
    records = logs.read()
    assert {r["request_id"] for r in records} == {"gw-123:abc.DEF_9"}


def test_missing_request_id_is_generated(client, logs) -> None:
    response = client.get("/whoami")
    generated = response.headers["X-Request-ID"]
    assert HEX32.match(generated)
    assert response.get_json()["request_id"] == generated
    assert logs.one("request_completed")["request_id"] == generated


@pytest.mark.parametrize(
    "hostile",
    ["a" * 129, "id with spaces", '"};{"level":"CRITICAL', "\u00fcn\u00efcode", "x" * 5000, "semi;colon"],
    ids=["too-long", "spaces", "json-injection", "non-ascii", "huge", "semicolon"],
)
def test_hostile_request_id_is_replaced_and_noted_by_length_only(client, logs, hostile: str) -> None:
    # Control characters and newlines cannot be sent through the test client; the gunicorn
    # tests send them over a raw socket (test_gunicorn.py).
    response = client.get("/whoami", headers={"X-Request-ID": hostile})
    generated = response.headers["X-Request-ID"]
    assert HEX32.match(generated)
    records = logs.read()
    warning = logs.one("request_id_rejected", records)
    assert warning["level"] == "WARNING"
    assert warning["header_length"] == len(hostile)
    assert warning["request_id"] == generated
    assert all(hostile not in raw for raw in logs.raw)


def test_valid_request_id_rules() -> None:
    assert valid_request_id("a") == "a"
    assert valid_request_id("A" * 128) == "A" * 128
    assert valid_request_id("A" * 129) is None
    assert valid_request_id("") is None
    assert valid_request_id(None) is None
    assert valid_request_id("abc\n") is None


def test_user_context_reaches_later_records(client, logs) -> None:
    client.get("/whoami")
    records = logs.read()
    assert logs.one("handled", records)["user_id"] == "user-7"
    assert logs.one("request_completed", records)["user_id"] == "user-7"


def test_traceparent_adds_trace_id(client, logs) -> None:
    client.get("/whoami", headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
    assert logs.one("request_completed")["trace_id"] == TRACE


@pytest.mark.parametrize(
    "header",
    [
        f"00-{TRACE}-0000000000000000-01",
        f"00-{'0' * 32}-00f067aa0ba902b7-01",
        f"ff-{TRACE}-00f067aa0ba902b7-01",
        f"00-{TRACE.upper()}-00f067aa0ba902b7-01",
        f"00-{TRACE}-00f067aa0ba902b7-01-extra",
        "garbage",
    ],
)
def test_invalid_traceparent_is_ignored(header: str) -> None:
    assert trace_id_from(header) is None


def test_context_is_reset_after_each_request(client, logs) -> None:
    client.get("/whoami", headers={"X-Request-ID": "first"})
    assert current().request_id == "-"
    logging.getLogger("tests.context").info("after_request")
    event = logs.one("after_request")
    assert (event["request_id"], event["user_id"], event["method"], event["path"]) == ("-", "-", "-", "-")


def test_set_user_context_outside_request_does_nothing() -> None:
    set_user_context("nobody")
    assert current().user_id == "-"


def test_threads_and_executors_keep_the_request_context(client, logs) -> None:
    client.get("/threads", headers={"X-Request-ID": "thread-test"})
    records = logs.read()
    assert logs.one("from_plain_thread", records)["request_id"] == "-"
    for msg in ("from_thread", "from_executor"):
        event = logs.one(msg, records)
        assert event["request_id"] == "thread-test"
        assert str(event["user_id"]) == "99"
        assert event["path"] == "/threads"


def test_generated_request_ids_are_uuid4() -> None:
    import uuid

    from {{ cookiecutter.package_name }}.observability.context import new_request_id

    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(hex=value)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, value)


def test_rejected_request_id_is_not_echoed_in_request_started(make_app, logs) -> None:
    app = make_app(LOG_LEVEL="DEBUG")
    app.test_client().get("/health", headers={"X-Request-ID": "x" * 200})
    started = logs.one("request_started")
    assert started["headers"]["X-Request-Id"] == "[REJECTED]"
    assert "x" * 200 not in "".join(logs.raw)


def test_punctuation_only_request_ids_are_rejected() -> None:
    for value in ("-", "--", ".:_"):
        assert valid_request_id(value) is None
    assert valid_request_id("a-") == "a-"
    assert valid_request_id("9--x.y") == "9--x.y"  # punctuation is fine after the first character


@pytest.mark.parametrize("value", ["-rf", "--help", "-", ".hidden", "_x", ":1"])
def test_request_id_must_start_with_a_letter_or_digit(client, logs, value: str) -> None:
    # An ID starting with "-" reads as an option to the runbook's `flask logs trace "$RID"`.
    assert valid_request_id(value) is None
    response = client.get("/whoami", headers={"X-Request-ID": value})
    generated = response.headers["X-Request-ID"]
    assert HEX32.match(generated)
    records = logs.read()
    assert logs.one("request_id_rejected", records)["header_length"] == len(value)
    assert {r["request_id"] for r in records} == {generated}
