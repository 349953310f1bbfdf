"""``errors``: failing requests (5xx, or any ERROR record), each with its first error.

Why a module: the computation behind ``flask logs errors`` (``render`` prints each line).
It streams: a failure is yielded when its request completes, and only failures still
waiting for their ``request_completed`` are held, at most ``MAX_PENDING_FAILURES``. A request
that crossed several services fails in each of them on its own (each has its own summary),
so failures are kept per service and request ID, and each line names its service.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .records import ERROR_LEVELS, Record, exception_headline, is_level, number, service_of, text

MAX_PENDING_FAILURES = 100_000


@dataclass
class Failure:
    request_id: str
    ts: str
    method: str
    path: str
    msg: str
    headline: str
    error: object
    status: object = None
    service: str = "-"


def failure_from(record: Record) -> Failure:
    return Failure(
        text(record, "request_id"),
        text(record, "ts"),
        text(record, "method"),
        text(record, "path"),
        text(record, "msg"),
        exception_headline(record),
        record.get("error"),
        service=service_of(record),
    )


def failing_requests(records: Iterable[Record], max_pending: int = MAX_PENDING_FAILURES) -> Iterator[Failure]:
    """Requests with an ERROR record or a 5xx summary, each with its first error.

    A failure is yielded when its request_completed arrives (which carries the status), so
    output streams; failures whose request never completed in the files come at the end.
    Pending failures are kept in arrival order in an OrderedDict, so pushing out the oldest
    is O(1): on a plain dict, finding the front means stepping over every slot deleted there,
    which made long runs with ``max_pending`` failures in flight quadratic.
    """
    pending: OrderedDict[tuple[str, str], Failure] = OrderedDict()
    for record in records:
        request_id = record.get("request_id")
        if not isinstance(request_id, str) or request_id == "-":
            continue
        key = (service_of(record), request_id)
        if is_level(record, ERROR_LEVELS) and key not in pending:
            pending[key] = failure_from(record)
        if record.get("msg") == "request_completed":
            failure = pending.pop(key, None)
            status = record.get("status")
            if failure is None and (number(status) or 0) >= 500:
                failure = failure_from(record)
            if failure is not None:
                failure.status = status
                yield failure
        if len(pending) > max_pending:  # bounded: the oldest goes out with its status unknown
            yield pending.popitem(last=False)[1]
    yield from pending.values()
