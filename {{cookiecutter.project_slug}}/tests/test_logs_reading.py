"""``logs/reading.py``: lines to records, JSON or text, skipping and counting the rest."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.logs.reading import ReadStats, iter_lines, parse_record, read_records
from {{ cookiecutter.package_name }}.observability.formatting import TextFormatter, utc_timestamp

TORN = '{"ts":"2026-01-01T00:00:00.000Z","level":"INFO","logger":"http","msg":"requ'
TEXT = '2026-01-01T00:00:00.000Z INFO http request_completed request_id=r1 status=200 note="a b"'


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ('{"msg":"ok"}\n', {"msg": "ok"}),
        ("  {}  ", {}),
        ("[1, 2]", None),
        ('"text"', None),
        ("", None),
        (TORN, None),
        ('{"a":' + "[" * 100_000, None),
    ],
)
def test_parse_record_accepts_json_objects_only(line: str, parsed: object) -> None:
    assert parse_record(line) == parsed


def test_overlong_lines_are_skipped_without_being_held() -> None:
    stream = io.BytesIO(b'{"a":1}\n' + b"x" * 50 + b"\n" + b'{"b":2}')
    assert list(iter_lines(stream, max_bytes=20)) == ['{"a":1}\n', None, '{"b":2}']


def test_read_records_counts_what_it_skips(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_text('{"msg":"a"}\nnoise\n\n{"msg":"b"}\n', "utf-8")
    stats = ReadStats()
    assert [r["msg"] for r in read_records([str(path)], stats)] == ["a", "b"]
    assert (stats.records, stats.skipped) == (2, 2)


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        (TEXT + "\n", {"ts": "2026-01-01T00:00:00.000Z", "level": "INFO", "logger": "http", "msg": "request_completed",
                       "request_id": "r1", "status": 200, "note": "a b"}),
        ("2026-01-01T00:00:00+02:00 INFO http hello", {"ts": "2026-01-01T00:00:00+02:00", "level": "INFO",
                                                       "logger": "http", "msg": "hello"}),
        (TEXT.replace("note=", "note= "), None),  # not a whole record
        (TEXT[:-2], None),  # torn inside a quoted value
        ("2026-01-01 00:00:00 INFO http hello", None),  # not RFC 3339: not tried
        ("[2026-01-01 00:00:00 +0000] [7] [INFO] Booting worker", None),
        ("INFO http hello world", None),
        (TEXT.replace("status=200", "status=" + "9" * 310), None),  # past float range, as in JSON
    ],
)  # fmt: skip
def test_parse_record_reads_text_lines_that_start_with_a_timestamp(line: str, parsed: object) -> None:
    assert parse_record(line) == parsed


def test_a_text_value_too_deep_to_decode_is_kept_as_the_string_it_was() -> None:
    deep = "[" * 5000 + "]" * 5000
    line = TextFormatter().render({"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "m", "note": deep})
    record = parse_record(line)
    assert record is not None
    assert record["note"] == deep


def test_read_records_reads_json_and_text_lines_alike(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "b", "n": 1}
    path.write_text(json.dumps({**event, "msg": "a"}) + "\nnoise\n" + TextFormatter().render(event) + "\n", "utf-8")
    stats = ReadStats()
    assert list(read_records([str(path)], stats)) == [{**event, "msg": "a"}, event]
    assert (stats.records, stats.skipped) == (2, 1)
