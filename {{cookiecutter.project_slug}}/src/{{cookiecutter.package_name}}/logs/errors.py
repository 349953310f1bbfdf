"""``errors``: failing requests (5xx, or any ERROR record), each with its first problem.

Why a module: the computation behind ``errors`` (``render`` prints each line). The first
problem is the request's first WARNING or worse, as ``trace`` marks it: often a dependency's
503 warning before the exception it caused, which is the cause, where the exception is the
symptom. Each failure also names its user, the first dependency call that failed, and the
exception (when the first problem is not the exception itself).

It streams: a failure is yielded when its request completes (``requests``), and only
requests still waiting for their ``request_completed`` are held, at most ``max_pending``. A
request that crossed several services fails in each of them on its own (each has its own
summary), so failures are kept per service and request ID, and each line names its service.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .records import Record, exception_headline, text
from .requests import MAX_PENDING_REQUESTS, Request, requests

MAX_PENDING_FAILURES = MAX_PENDING_REQUESTS


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
    user: str | None = None
    dependency: str | None = None
    exception: str = ""  # the first ERROR's exception, when the first problem came before it
    problem_status: object = None  # the first problem's own status (a dependency's 503)


def failure_of(request: Request) -> Failure:
    problem: Record = request.first_problem or request.first_error or {}
    call = request.failing_call
    exception = exception_headline(request.first_error) if request.first_error is not None else ""
    headline = exception_headline(problem)
    return Failure(
        request.request_id,
        request.ts,
        request.method,
        request.path,
        text(problem, "msg") if problem else "request_completed",
        headline,
        problem.get("error"),
        request.status,
        request.service,
        request.user,
        call.dependency if call is not None else None,
        exception if exception != headline else "",
        problem.get("status") if problem.get("msg") != "request_completed" else None,
    )


def failing_requests(records: Iterable[Record], max_pending: int = MAX_PENDING_FAILURES) -> Iterator[Failure]:
    """Requests with an ERROR record or a 5xx summary, each with its first problem.

    A failure is yielded when its request_completed arrives (which carries the status), so
    output streams; failures whose request never completed in the files come at the end,
    with status None, and so do the oldest past ``max_pending`` requests in flight.
    """
    return failures(requests(records, max_pending))


def failures(completed: Iterable[Request]) -> Iterator[Failure]:
    for request in completed:
        if request.failed:
            yield failure_of(request)
