"""Fields named like LogRecord attributes: a plain ``extra`` raises, ``log_event`` does not."""

from __future__ import annotations

import logging

import pytest

from {{ cookiecutter.package_name }}.observability import log_event

log = logging.getLogger("tests.events")


def test_plain_extra_with_a_record_attribute_name_raises_in_the_caller() -> None:
    # The failure log_event exists to prevent: the standard library refuses the call.
    with pytest.raises(KeyError):
        log.warning("user_renamed", extra={"name": "ann"})


def test_log_event_renames_clashing_keys(app, logs) -> None:
    log_event(log, "user_renamed", name="ann", module="billing", args=[1], message="hi", msg="m", plain=1)
    event = logs.one("user_renamed")
    assert event["logger"] == "tests.events"
    assert (event["extra_name"], event["extra_module"], event["extra_args"]) == ("ann", "billing", [1])
    assert (event["extra_message"], event["extra_msg"], event["plain"]) == ("hi", "m", 1)


def test_log_event_level_and_redaction(app, logs) -> None:
    log_event(log, "debug_only", level=logging.DEBUG, value=1)
    log_event(log, "login", level=logging.WARNING, password="hunter2hunter2")
    records = logs.read()
    assert [r["msg"] for r in records] == ["login"]
    assert records[0]["password"] == "[REDACTED]"
    assert records[0]["level"] == "WARNING"
