"""``logs/records.py``: typed reads of a record's values that never raise."""

from __future__ import annotations

import math

import pytest

from {{ cookiecutter.package_name }}.logs.records import exception_headline, number, parse_ts


def test_exception_headline_picks_the_raised_exception() -> None:
    chained = "Traceback...\nKeyError: 'x'\n\nDuring handling...\nTraceback...\napp.errors.PricingError: no price\nmore"
    assert exception_headline({"exc_type": "PricingError", "exc": chained}) == "app.errors.PricingError: no price"
    assert exception_headline({"exc_type": "ValueError"}) == "ValueError"
    assert exception_headline({}) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12.0), (1.5, 1.5), (True, None), ("12", None), (None, None), (math.nan, None), (10**400, None)],
)
def test_number_is_a_finite_int_or_float_only(value: object, expected: float | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1970-01-01T00:00:01.500Z", 1.5),
        ("1970-01-01T02:00:00+02:00", 0.0),
        ("1970-01-01T00:00:00", 0.0),  # naive means UTC
        ("0001-01-01T00:00:00+05:00", None),  # before year 1 in UTC
        ("yesterday", None),
        (5, None),
    ],
)
def test_parse_ts_reads_rfc3339_and_never_raises(value: object, expected: float | None) -> None:
    assert parse_ts(value) == expected
