"""``trace``: one request's records as a timeline, its first problem, where its time went.

Why a module: this is the computation behind ``flask logs trace`` (``render`` prints it).
Only the records of the one request are kept, at most ``MAX_TRACE_RECORDS``: those whose
``request_id`` or ``trace_id`` is the ID asked for, so a W3C trace ID finds the request in
every service it crossed, and a request ID does too (``http_request`` passes it on).

The records may come from several services and replicas. They are grouped into executions,
one per service and span (a span is one service handling the request: ``span_id``), and the
execution that started the request is the root: the one whose caller (``parent_span_id``) is
not among them, or, without trace context, the one that took longest. Each other execution is
shown under the ``dependency_call`` of its caller whose time it falls in, indented, so a call
to another service shows that service's lines under it; one no call can be found for is
merged into its caller's lines by time. Within an execution, records are in time order
(records with an unreadable ``ts`` last, in file order). The first WARNING or worse, in time
order across all services, is marked, and dependency calls and steps are ranked by their
share of the root's total.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from urllib.parse import urlsplit

from .records import PROBLEM_LEVELS, Record, is_level, number, parse_ts, replica_of, service_of, text

MAX_TRACE_RECORDS = 50_000


@dataclass(frozen=True)
class Span:
    """A dependency call or a step: where part of the request's time went."""

    kind: str
    name: str
    duration_ms: float
    detail: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Timeline:
    request_id: str
    # The rows in display order: each execution's records in time order, other services'
    # executions under the dependency call they answered; with their depth of nesting.
    records: list[Record]
    offsets_ms: list[float | None]
    first_problem: int | None
    total_ms: float | None
    total_from: str
    spans: list[Span]
    dropped: int = 0
    depths: list[int] = field(default_factory=list)
    # Service names in order of appearance, and whether to show them (several services or replicas).
    services: list[str] = field(default_factory=list)
    by_trace: bool = False


@dataclass
class Execution:
    """One service's handling of the request: its records, in time order, with their times."""

    service: str
    span_id: str | None
    stamped: list[tuple[float | None, int, Record]] = field(default_factory=list)
    children: dict[int, list[Execution]] = field(default_factory=dict)  # dependency_call index -> callees
    merged: list[Execution] = field(default_factory=list)  # callees no call was found for

    @property
    def parent_span_id(self) -> str | None:
        for _, _, record in self.stamped:
            parent = record.get("parent_span_id")
            if isinstance(parent, str):
                return parent
        return None

    @property
    def duration_ms(self) -> float:
        durations = [number(r.get("duration_ms")) for _, _, r in self.stamped if r.get("msg") == "request_completed"]
        return max((d for d in durations if d is not None), default=-1.0)

    def window(self) -> tuple[float, float] | None:
        """When it ran: from its request_completed back by its duration, or its first record."""
        stamps = [s for s, _, _ in self.stamped if s is not None]
        if not stamps:
            return None
        end = max(stamps)
        duration = self.duration_ms
        return (min(*stamps, end - duration / 1000) if duration >= 0 else min(stamps)), end


def collect_request(
    records: Iterable[Record], request_id: str, limit: int = MAX_TRACE_RECORDS
) -> tuple[list[Record], int]:
    """The records of one request or trace (at most ``limit``) and how many more there were."""
    matched: list[Record] = []
    dropped = 0
    for record in records:
        if record.get("request_id") != request_id and record.get("trace_id") != request_id:
            continue
        if len(matched) < limit:
            matched.append(record)
        else:
            dropped += 1
    return matched, dropped


def in_time_order(records: Sequence[Record]) -> list[tuple[float | None, Record]]:
    """Records with their timestamps, sorted by time; equal or unreadable times keep file order."""
    stamped = [(parse_ts(record.get("ts")), index, record) for index, record in enumerate(records)]
    stamped.sort(key=lambda item: (item[0] is None, item[0] or 0.0, item[1]))
    return [(stamp, record) for stamp, _, record in stamped]


def first_problem(records: Sequence[Record]) -> int | None:
    return next((i for i, record in enumerate(records) if is_level(record, PROBLEM_LEVELS)), None)


def request_total(records: Sequence[Record], stamps: Sequence[float | None]) -> tuple[float | None, str]:
    """The request's duration: from request_completed if logged, else the span of its timestamps."""
    completed = [number(r.get("duration_ms")) for r in records if r.get("msg") == "request_completed"]
    durations = [d for d in completed if d is not None]
    if durations:
        return max(durations), "request_completed"
    known = [s for s in stamps if s is not None]
    if not known:
        return None, "nothing"
    return round((max(known) - min(known)) * 1000, 2), "the span of its timestamps"


def span_of(record: Record, prefix: str = "") -> Span | None:
    duration = number(record.get("duration_ms"))
    msg = record.get("msg")
    if duration is None or msg not in ("dependency_call", "step_timing"):
        return None
    if msg == "step_timing":
        return Span("step", prefix + text(record, "step"), duration, (("error_type", record.get("error_type")),))
    name = " ".join(text(record, key, "") for key in ("dependency", "operation", "url")).strip() or "-"
    detail = tuple((key, record.get(key)) for key in ("status", "retries", "error"))
    return Span("dependency", prefix + name, duration, detail)


def executions(records: Sequence[Record]) -> list[Execution]:
    """The records grouped by service and span, each group in time order."""
    stamped = sorted(
        ((parse_ts(record.get("ts")), index, record) for index, record in enumerate(records)),
        key=lambda item: (item[0] is None, item[0] or 0.0, item[1]),
    )
    groups: dict[tuple[str, object], Execution] = {}
    for stamp, index, record in stamped:
        raw_span = record.get("span_id")
        span_id = raw_span if isinstance(raw_span, str) else None
        key = (service_of(record), span_id)
        if key not in groups:
            groups[key] = Execution(key[0], span_id)
        groups[key].stamped.append((stamp, index, record))
    return list(groups.values())


def client_calls(groups: list[Execution]) -> dict[str, tuple[Execution, int]]:
    """Each traced dependency_call by its OpenTelemetry client span (``client_span_id``), the
    parent the called service logs: its execution and its index there."""
    found: dict[str, tuple[Execution, int]] = {}
    for group in groups:
        for index, (_, _, record) in enumerate(group.stamped):
            span = record.get("client_span_id")
            if record.get("msg") == "dependency_call" and isinstance(span, str):
                found[span] = (group, index)
    return found


def pick_root(groups: list[Execution]) -> Execution:
    """The execution that started the request: its caller is not among these; without trace
    context, the one that took longest (a caller outlasts its callees), then the earliest."""
    spans = {group.span_id for group in groups if group.span_id is not None} | set(client_calls(groups))
    candidates = [group for group in groups if group.parent_span_id not in spans] or groups

    def rank(group: Execution) -> tuple[float, float]:
        window = group.window()
        return (-group.duration_ms, window[0] if window is not None else float("inf"))

    return min(candidates, key=rank)


def attach(root: Execution, groups: list[Execution]) -> None:
    """Put every other execution under its caller's dependency_call, or merge it by time.

    The caller is the execution whose span is the callee's parent, and with OpenTelemetry the
    call itself is known (the callee's parent is the call's ``client_span_id``); without trace
    context, the root, for another service's execution (the request ID came with the call).
    Executions with no caller in view (other requests of the same trace, or the same service
    again) are merged into the root's lines by time.
    """
    by_span = {group.span_id: group for group in groups if group.span_id is not None}
    clients = client_calls(groups)
    for group in groups:
        if group is root:
            continue
        if group.parent_span_id in clients:
            caller, index = clients[group.parent_span_id]
            caller.children.setdefault(index, []).append(group)
            continue
        if group.span_id is not None:
            parent = by_span.get(group.parent_span_id) if group.parent_span_id is not None else None
        else:
            parent = root if group.service != root.service else None
        call = calling_record(parent, group) if parent is not None and parent is not group else None
        if parent is None or call is None:
            (parent or root).merged.append(group)
        else:
            parent.children.setdefault(call, []).append(group)


def calling_record(parent: Execution, callee: Execution) -> int | None:
    """The index (in ``parent.stamped``) of the dependency_call ``callee`` answered: the one
    whose URL path and method are the callee's request (clocks may disagree across hosts),
    then the one whose time holds the middle of the callee's, else the nearest in time."""
    window = callee.window()
    first = callee.stamped[0][2] if callee.stamped else {}
    path, method = text(first, "path"), text(first, "method")
    calls = [
        (i, stamp, record)
        for i, (stamp, _, record) in enumerate(parent.stamped)
        if record.get("msg") == "dependency_call"
    ]
    if not calls:
        return None
    middle = (window[0] + window[1]) / 2 if window is not None else None

    def rank(call: tuple[int, float | None, Record]) -> tuple[bool, bool, float]:
        _, end, record = call
        same_path = path != "-" and urlsplit(text(record, "url", "")).path == path
        same_method = method != "-" and text(record, "operation") == method
        if end is None or middle is None:
            return same_path, same_method, float("-inf")
        start = end - (number(record.get("duration_ms")) or 0.0) / 1000
        distance = 0.0 if start <= middle <= end else min(abs(middle - start), abs(middle - end))
        return same_path, same_method, -distance

    return max(calls, key=rank)[0]


def rows(execution: Execution, depth: int = 0) -> Iterator[tuple[float | None, Record, int]]:
    """The display rows of an execution: its records and the merged callees' by time, each
    dependency_call followed by the rows of the executions that answered it, one level in."""
    own: list[tuple[float | None, int, Record, int | None]] = [
        (stamp, index, record, i) for i, (stamp, index, record) in enumerate(execution.stamped)
    ]
    merged: list[tuple[float | None, int, Record, int | None]] = [
        (stamp, index, record, None) for group in execution.merged for stamp, index, record in group.stamped
    ]
    for stamp, _, record, own_index in sorted(
        own + merged, key=lambda item: (item[0] is None, item[0] or 0.0, item[1])
    ):
        yield stamp, record, depth
        for child in execution.children.get(own_index, []) if own_index is not None else []:
            yield from rows(child, depth + 1)


def build_timeline(request_id: str, records: Sequence[Record], dropped: int = 0) -> Timeline:
    groups = executions(records)
    root = pick_root(groups)
    attach(root, groups)
    laid_out = list(rows(root))
    in_order = [record for _, record, _ in laid_out]
    stamps = [stamp for stamp, _, _ in laid_out]
    known = [s for s in stamps if s is not None]
    start = min(known) if known else None
    offsets = [round((s - start) * 1000, 1) if s is not None and start is not None else None for s in stamps]
    # The first problem in time, across services.
    by_time = sorted(range(len(laid_out)), key=lambda i: (stamps[i] is None, stamps[i] or 0.0))
    problem = next((i for i in by_time if is_level(in_order[i], PROBLEM_LEVELS)), None)
    root_records = [record for _, _, record in root.stamped]
    total, total_from = request_total(root_records, [stamp for stamp, _, _ in root.stamped])
    several = len({(service_of(r), replica_of(r)) for r in in_order}) > 1
    services = list(dict.fromkeys(service_of(r) for r in in_order))
    spans = [
        span
        for record in in_order
        if (span := span_of(record, f"{service_of(record)}: " if len(services) > 1 else "")) is not None
    ]
    spans.sort(key=attrgetter("duration_ms"), reverse=True)
    by_trace = not any(r.get("request_id") == request_id for r in in_order)
    return Timeline(
        request_id,
        in_order,
        offsets,
        problem,
        total,
        total_from,
        spans,
        dropped,
        [depth for _, _, depth in laid_out],
        services if several else [],
        by_trace,
    )
