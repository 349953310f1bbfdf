"""``trace``: one request's records as a timeline, its first problem, where its time went.

Why a module: this is the computation behind ``flask logs trace`` (``render`` prints it).
Only the records of the one request are kept, at most ``MAX_TRACE_RECORDS``; they are put in
time order (records with an unreadable ``ts`` last, in file order), the first WARNING or
worse is marked, and dependency calls and steps are ranked by their share of the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from .records import PROBLEM_LEVELS, Record, is_level, number, parse_ts, text

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
    records: list[Record]
    offsets_ms: list[float | None]
    first_problem: int | None
    total_ms: float | None
    total_from: str
    spans: list[Span]
    dropped: int = 0


def collect_request(
    records: Iterable[Record], request_id: str, limit: int = MAX_TRACE_RECORDS
) -> tuple[list[Record], int]:
    """The records of one request (at most ``limit``) and how many more there were."""
    matched: list[Record] = []
    dropped = 0
    for record in records:
        if record.get("request_id") != request_id:
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


def span_of(record: Record) -> Span | None:
    duration = number(record.get("duration_ms"))
    msg = record.get("msg")
    if duration is None or msg not in ("dependency_call", "step_timing"):
        return None
    if msg == "step_timing":
        return Span("step", text(record, "step"), duration, (("error_type", record.get("error_type")),))
    name = " ".join(text(record, key, "") for key in ("dependency", "operation", "url")).strip() or "-"
    detail = tuple((key, record.get(key)) for key in ("status", "retries", "error"))
    return Span("dependency", name, duration, detail)


def build_timeline(request_id: str, records: Sequence[Record], dropped: int = 0) -> Timeline:
    ordered = in_time_order(records)
    stamps = [stamp for stamp, _ in ordered]
    in_order = [record for _, record in ordered]
    start = next((s for s in stamps if s is not None), None)
    offsets = [round((s - start) * 1000, 1) if s is not None and start is not None else None for s in stamps]
    total, total_from = request_total(in_order, stamps)
    spans = [span for span in map(span_of, in_order) if span is not None]
    spans.sort(key=attrgetter("duration_ms"), reverse=True)
    return Timeline(request_id, in_order, offsets, first_problem(in_order), total, total_from, spans, dropped)
