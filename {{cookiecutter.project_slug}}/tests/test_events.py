"""Fields named like LogRecord attributes, which a plain ``extra`` may not use (the standard
library raises KeyError): ``log_event`` takes them and renames them."""

from __future__ import annotations

import logging

from {{ cookiecutter.package_name }}.observability import log_event

log = logging.getLogger("tests.events")


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
    assert logs.messages(records) == ["login"]
    assert records[0]["password"] == "[REDACTED]"
    assert records[0]["level"] == "WARNING"
