"""Requests out of a stream of records: what each request did, yielded as it completes.

Why a module: ``errors``, ``slow``, ``summary`` and ``deps`` answer per request, and the
filters (``--user``, ``--route``, ``--status``, ``--dependency``...) select requests, but a
request's facts are spread over its records: its user and path on every record, its first
warning or error and its dependency calls on their own records, its status, duration and
route only on ``request_completed``. ``requests`` folds each request's records into one
``Request`` and yields it when its ``request_completed`` arrives (the service's records of
a request come before its summary).

Memory stays bounded: only requests still waiting for their summary are held (at most
``max_pending``, the oldest going out unfinished, with status None), each with at most
``MAX_CALLS`` dependency calls; requests whose summary never came are yielded at the end.
A record arriving just after its request's summary (``slow_request``) is recognised, from a
bounded memory of recent summaries, and not taken for a new request. Records without a
request ID (start-up, background work) belong to no request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .records import ERROR_LEVELS, PROBLEM_LEVELS, Record, is_level, number, parse_ts, service_of, text

MAX_PENDING_REQUESTS = 100_000
MAX_CALLS = 1000
RECENTLY_COMPLETED = 10_000


@dataclass
class Call:
    """One ``dependency_call``: which dependency, how it went, how long it took."""

    dependency: str
    operation: str
    status: object
    error: str | None
    duration_ms: float | None
    failed: bool

    @property
    def outcome(self) -> str:
        """The status, or the error category when there was no status (``timeout``)."""
        if self.status is not None:
            return text({"status": self.status}, "status")
        return self.error or "-"


def call_from(record: Record) -> Call:
    status = record.get("status")
    error = record.get("error")
    failed = is_level(record, PROBLEM_LEVELS) or (number(status) or 0) >= 500 or error not in (None, "")
    return Call(
        text(record, "dependency"),
        text(record, "operation"),
        status,
        None if error in (None, "") else text(record, "error"),
        number(record.get("duration_ms")),
        failed,
    )


@dataclass
class Request:
    service: str
    request_id: str
    ts: str = "-"
    method: str = "-"
    path: str = "-"
    route: str | None = None
    user: str | None = None
    status: object = None
    duration_ms: float | None = None
    completed: bool = False
    first_problem: Record | None = None
    first_error: Record | None = None
    calls: list[Call] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        """The route template, or the path where the route is the path (or none matched)."""
        return self.route or self.path

    @property
    def failed(self) -> bool:
        """A 5xx, or any ERROR record (the errors command's definition of a failure)."""
        return (number(self.status) or 0) >= 500 or self.first_error is not None

    @property
    def when(self) -> float | None:
        return parse_ts(self.ts)

    @property
    def failing_call(self) -> Call | None:
        return next((call for call in self.calls if call.failed), None)

    @property
    def slowest_call(self) -> Call | None:
        timed = [call for call in self.calls if call.duration_ms is not None]
        return max(timed, key=lambda call: call.duration_ms or 0.0) if timed else None

    @property
    def exception(self) -> str:
        """The exception type of the first ERROR record, or '-'."""
        return text(self.first_error, "exc_type") if self.first_error is not None else "-"

    def add(self, record: Record) -> None:
        """Fold one record in. Written out plainly: it runs for every record of a big file."""
        if self.ts == "-":
            self.ts = text(record, "ts")
        if self.method == "-":
            self.method = text(record, "method")
        if self.path == "-":
            self.path = text(record, "path")
        user = record.get("user_id")
        if isinstance(user, str) and user != "-":
            self.user = user
        level = record.get("level")
        # Once an ERROR is in, the first problem is too (an ERROR is a problem): nothing to do.
        if self.first_error is None and isinstance(level, str) and (upper := level.upper()) in PROBLEM_LEVELS:
            if self.first_problem is None:
                self.first_problem = record
            if upper in ERROR_LEVELS:
                self.first_error = record
        msg = record.get("msg")
        if msg == "dependency_call" and len(self.calls) < MAX_CALLS:
            self.calls.append(call_from(record))
        elif msg == "request_completed":
            self.completed = True
            self.ts = text(record, "ts")
            self.status = record.get("status")
            self.duration_ms = number(record.get("duration_ms"))
            route = record.get("route")
            self.route = route if isinstance(route, str) else None


def requests(records: Iterable[Record], max_pending: int = MAX_PENDING_REQUESTS) -> Iterator[Request]:
    """Each request, when its request_completed arrives; unfinished ones pushed out past
    ``max_pending`` (oldest first) and at the end. Pending requests are an OrderedDict in
    arrival order, so pushing out the oldest is O(1)."""
    pending: OrderedDict[tuple[str, str], Request] = OrderedDict()
    recent: OrderedDict[tuple[str, str], None] = OrderedDict()
    for record in records:
        request_id = record.get("request_id")
        if not isinstance(request_id, str) or request_id == "-":
            continue
        service = record.get("service")
        key = (service if isinstance(service, str) else service_of(record), request_id)
        request = pending.get(key)
        if request is None:
            if key in recent:  # slow_request and the like, just after the summary
                continue
            request = pending[key] = Request(*key)
        request.add(record)
        if request.completed:
            del pending[key]
            recent[key] = None
            if len(recent) > RECENTLY_COMPLETED:
                recent.popitem(last=False)
            yield request
        elif len(pending) > max_pending:
            yield pending.popitem(last=False)[1]
    yield from pending.values()
