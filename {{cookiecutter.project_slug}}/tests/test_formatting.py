"""Both formats: the same fields, one line per record, never an exception, never a forgery."""

from __future__ import annotations

import json
import logging
import math
import re

import pytest

from {{ cookiecutter.package_name }}.observability.formatting import JsonFormatter, TextFormatter, utc_timestamp
from {{ cookiecutter.package_name }}.observability.testing import parse_line

log = logging.getLogger("tests.formatting")
TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
INTERNALS = ("pathname", "thread", "processName", "lineno", "funcName", "args", "created", "msecs", "module")


def test_timestamp_is_rfc3339_utc_with_milliseconds() -> None:
    assert utc_timestamp(0.5) == "1970-01-01T00:00:00.500Z"
    assert utc_timestamp(1795547354.1234) == "2026-11-24T19:09:14.123Z"
    assert utc_timestamp(1795547355.0) == "2026-11-24T19:09:15.000Z"
    # The last instant of a second stays in that second.
    assert utc_timestamp(math.nextafter(1.0, 0.0)) == "1970-01-01T00:00:00.999Z"
    assert utc_timestamp(math.nextafter(1795547355.0, 0.0)) == "2026-11-24T19:09:14.999Z"


def test_record_has_the_fields_in_order_and_no_internals(app, logs) -> None:
    log.info("order_created", extra={"order_id": 42, "items": ["a", "b"]})
    event = logs.one("order_created")
    assert list(event)[:8] == ["ts", "level", "logger", "msg", "request_id", "user_id", "method", "path"]
    assert TS_RE.match(event["ts"])
    assert event["level"] == "INFO"
    assert event["logger"] == "tests.formatting"
    assert (event["request_id"], event["user_id"], event["method"], event["path"]) == ("-", "-", "-", "-")
    assert event["order_id"] == 42
    assert event["items"] == ["a", "b"]
    assert not set(INTERNALS) & set(event)


def test_timestamp_comes_from_record_creation_not_format_time() -> None:
    record = logging.makeLogRecord(  # made at another time than now, when it is formatted
        {"msg": "late", "created": 1795547354.25, "msecs": 250.0, "name": "x", "levelname": "INFO"}
    )
    assert json.loads(JsonFormatter().format(record))["ts"] == "2026-11-24T19:09:14.250Z"
    assert parse_line(TextFormatter().format(record))["ts"] == "2026-11-24T19:09:14.250Z"


def test_exceptions_add_type_and_stack(app, logs) -> None:
    try:
        raise KeyError("missing")
    except KeyError:
        log.exception("lookup_failed")
    event = logs.one("lookup_failed")
    assert event["level"] == "ERROR"
    assert event["exc_type"] == "KeyError"
    assert "Traceback (most recent call last)" in event["exc"]
    assert "KeyError: 'missing'" in event["exc"]
    assert len(logs.raw) == 1  # the stack stays inside the one line


class Unserialisable:
    def __repr__(self) -> str:
        return "<Unserialisable>"


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_awkward_values_still_give_one_well_formed_line(app, logs) -> None:
    circular: dict[str, object] = {"name": "loop"}
    circular["self"] = circular
    log.info(
        "awkward",
        extra={
            "obj": Unserialisable(),
            "broken": BrokenRepr(),
            "circular": circular,
            "tuple_keys": {("a", 1): "x"},
            "raw": b"\x00\xffbytes",
            "long": "x" * 100_000,
            "nan": float("nan"),
            "deep": [[[[[[[[["bottom"]]]]]]]]],
        },
    )
    event = logs.one("awkward")
    assert len(logs.raw) == 1
    assert event["obj"] == "<Unserialisable>"
    assert "repr failed" in event["broken"]
    assert event["circular"]["self"] == "[CIRCULAR]"
    assert event["tuple_keys"] == {"('a', 1)": "x"}
    assert event["raw"].startswith("b'\\x00\\xffbytes")
    assert len(event["long"]) < 5000
    assert event["long"].endswith("[truncated 95904 chars]")
    assert event["nan"] == "nan"
    assert "[TRUNCATED: too deep]" in json.dumps(event["deep"])


def test_bad_format_arguments_do_not_lose_the_record(app, logs) -> None:
    log.info("two %s %s", "only-one")  # noqa: PLE1206 - the mistake under test
    (event,) = logs.read()
    assert "message formatting failed" in event["msg"]


def test_extra_keys_named_like_base_fields_are_kept_apart(app, logs) -> None:
    log.info("clash", extra={"ts": "forged", "level": "forged", "logger": "forged"})
    event = logs.one("clash")
    assert event["level"] == "INFO"
    assert event["extra_ts"] == event["extra_level"] == "forged"


def test_context_fields_cannot_be_forged_through_extra(app, logs) -> None:
    log.info("forge", extra={"request_id": "forged", "user_id": "admin"})
    event = logs.one("forge")
    assert event["request_id"] == "-"
    assert event["user_id"] == "-"


HOSTILE = [
    'line one\nline two {"level": "CRITICAL"}',
    "carriage\rreturn",
    "unicode\u2028line\u2029separators\x85next",
    "escape \x1b[31mred\x1b[0m and bidi \u202eevil",
    'quote " and backslash \\ and = sign',
    'status=200 msg="forged"',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_never_splits_or_forges_a_line(app, logs, value: str) -> None:
    log.warning(value, extra={"field": value, value: "as key"})
    output = logs.capsys.readouterr().out
    assert output.count("\n") == 1
    assert len(output.splitlines()) == 1  # no Unicode line break survives either
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", output)
    event = parse_line(output.rstrip("\n"))
    assert event["msg"] == value
    assert event["field"] == value
    assert event["level"] == "WARNING"
    assert "status" not in event


def test_request_completed_line_is_small(client, logs) -> None:
    client.get("/health", headers={"X-Request-ID": "a" * 32})
    logs.one("request_completed")
    (line,) = [raw for raw in logs.raw if "request_completed" in raw]
    assert len(line.encode()) < 300


@pytest.mark.parametrize("use_orjson", [True, False], ids=["orjson", "stdlib-json"])
def test_json_rendering_is_the_same_with_or_without_orjson(monkeypatch: pytest.MonkeyPatch, use_orjson: bool) -> None:
    from {{ cookiecutter.package_name }}.observability import formatting

    if not use_orjson:
        monkeypatch.setattr(formatting, "orjson", None)
    event = {
        "msg": "caf\u00e9 \u2028 \x85 \u202e \x1b",
        "big": 2**70,  # beyond orjson's 64-bit integers: the stdlib path takes it
        "nested": {"a": [1, 2.5, None, True]},
    }
    line = formatting.render_json(event)
    assert json.loads(line) == event
    assert len(line.splitlines()) == 1
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", line)
    assert "caf\u00e9" in line  # ordinary non-ASCII stays readable


def test_extra_named_like_exception_fields_cannot_forge_them(app, logs) -> None:
    log.info("forge", extra={"exc_type": "FakeError", "exc": "Traceback forged", "stack": "s"})
    event = logs.one("forge")
    assert "exc_type" not in event
    assert "exc" not in event
    assert (event["extra_exc_type"], event["extra_exc"]) == ("FakeError", "Traceback forged")


def test_text_keys_that_sanitise_into_base_fields_are_renamed(make_app, logs) -> None:
    make_app(LOG_FORMAT="text")
    log.info("forge", extra={"request id": "FORGED", "user id": "admin"})
    logs.read()
    (line,) = logs.raw
    assert line.count(" request_id=") == 1
    assert "request_id=-" in line
    assert "extra_request_id=FORGED" in line


def test_odd_records_are_never_lost(app, logs) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError

        __repr__ = __str__

    log.info("int key", extra={1: "one"})
    log.info("huge int", extra={"v": 10**5000, "w": 2**70})
    log.info(Unprintable())
    log.info("surrogate \ud800 in message", extra={"name_": "caf\udce9.txt"})
    log.info("del \x7f char")
    records = logs.read()
    assert logs.messages(records)[:2] == ["int key", "huge int"]
    assert records[0]["1"] == "one"
    assert records[1]["v"].startswith("<int of")
    assert str(records[1]["w"]) == str(2**70)  # a string in JSON; the text parser reads digits
    assert "message formatting failed" in records[2]["msg"]
    assert "surrogate" in records[3]["msg"]
    assert all("\x7f" not in raw for raw in logs.raw)
    assert all(raw.encode("utf-8") for raw in logs.raw)


def test_bad_timestamps_still_give_a_line() -> None:
    record = logging.makeLogRecord({"msg": "x", "created": float("inf"), "name": "x", "levelname": "INFO"})
    assert json.loads(JsonFormatter().format(record))["msg"] == "log_record_unformattable"


@pytest.mark.parametrize("value", ["12345", "-3.5", "4e71", "44548121767143568892e68076680467", "null", "true"])
def test_text_strings_that_look_like_numbers_stay_strings(value: str) -> None:
    record = logging.makeLogRecord({"msg": value, "name": "x", "levelname": "INFO", "thing": value})
    event = parse_line(TextFormatter().format(record))
    assert (event["msg"], event["thing"]) == (value, value)
    assert parse_line(TextFormatter().format(logging.makeLogRecord({"msg": "m", "count": 12345})))["count"] == 12345
