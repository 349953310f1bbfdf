"""``logs/errors.py``: failing requests stream out, with bounded memory, none lost, each
with its first problem (the first WARNING or worse), user and failing dependency."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from {{ cookiecutter.package_name }}.logs import requests
from {{ cookiecutter.package_name }}.logs.errors import Failure, failing_requests


def test_failing_requests_stay_bounded_and_stream() -> None:
    def record(request_id: str, msg: str, level: str = "ERROR", status: int | None = None) -> dict[str, object]:
        return {"request_id": request_id, "msg": msg, "level": level, "status": status}

    records = [
        record("a", "db_failed"),
        record("b", "cache_failed"),
        record("c", "queue_failed"),
        record("a", "request_completed", status=500),
        record("d", "request_completed", level="INFO", status=200),
        record("-", "startup_failed"),
    ]
    failures: list[Failure] = list(failing_requests(records, max_pending=1))
    assert [(f.request_id, f.msg, f.status) for f in failures] == [
        ("a", "db_failed", None),  # pushed out of the bounded pending set before it completed
        ("b", "cache_failed", None),
        ("a", "request_completed", 500),
        ("c", "queue_failed", None),
    ]
    assert [f.request_id for f in failing_requests(records)] == ["a", "b", "c"]  # unbounded: in order of failure


def test_errors_evicts_the_oldest_pending_failure_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``max_pending``, failures go out oldest first, none lost or repeated, also when
    requests in the middle complete. Eviction (``requests.requests``) is
    OrderedDict.popitem(last=False), O(1) by construction: on a plain dict, next(iter()) steps
    over every slot deleted at its front, which made errors quadratic past MAX_PENDING_FAILURES
    (not timed here: asserted by type)."""
    evictions: list[bool] = []

    class RecordingOrderedDict(OrderedDict):
        def popitem(self, last: bool = True) -> tuple[object, object]:
            evictions.append(last)
            return super().popitem(last)

    monkeypatch.setattr(requests, "OrderedDict", RecordingOrderedDict)
    records: list[dict[str, object]] = []
    completed: set[str] = set()
    for i in range(2000):
        records.append({"request_id": f"r{i}", "msg": "failed", "level": "ERROR"})
        if i % 3 == 2:  # the one before is still pending (max_pending=5): complete it from the middle
            records.append({"request_id": f"r{i - 1}", "msg": "request_completed", "level": "INFO", "status": 502})
            completed.add(f"r{i - 1}")

    failures = list(failing_requests(records, max_pending=5))
    ids = [f.request_id for f in failures]
    assert sorted(ids) == sorted(f"r{i}" for i in range(2000))
    assert all(f.status == 502 for f in failures if f.request_id in completed)
    unfinished = [f.request_id for f in failures if f.status is None]
    assert unfinished == [f"r{i}" for i in range(2000) if f"r{i}" not in completed]
    assert len(evictions) >= len(unfinished) - 5
    assert not any(evictions)  # every eviction took the front: popitem(last=False)


def test_a_failure_names_its_first_problem_user_and_failing_dependency() -> None:
    """The dependency's 503 warning came first: it is the first problem, not the exception it
    caused (named after it), as trace marks it."""
    base = {"request_id": "r1", "user_id": "u-7", "method": "GET", "path": "/checkout"}
    records: list[dict[str, object]] = [
        {**base, "msg": "dependency_call", "level": "INFO", "dependency": "inventory", "status": 200},
        {**base, "msg": "dependency_call", "level": "WARNING", "dependency": "payments", "status": 503},
        {**base, "msg": "unhandled_exception", "level": "ERROR", "exc_type": "PaymentError", "exc": "PaymentError: no"},
        {**base, "msg": "request_completed", "level": "ERROR", "status": 500},
    ]
    (failure,) = failing_requests(records)
    assert (failure.msg, failure.user, failure.dependency) == ("dependency_call", "u-7", "payments")
    assert failure.exception == "PaymentError: no"
    assert failure.status == 500
