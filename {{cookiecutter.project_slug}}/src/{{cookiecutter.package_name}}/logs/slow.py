"""``slow``: the slowest completed requests, from their ``request_completed`` records.

Why a module: the computation behind ``flask logs slow`` (``render`` prints the table).
Only the top N are ever held: a heap over the stream, so any file size is fine.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from .records import Record, number, service_of, text


@dataclass(frozen=True)
class Completed:
    duration_ms: float
    status: object
    method: str
    path: str
    request_id: str
    ts: str
    service: str = "-"


def completed_requests(records: Iterable[Record]) -> Iterator[Completed]:
    for record in records:
        duration = number(record.get("duration_ms"))
        if record.get("msg") == "request_completed" and duration is not None:
            yield Completed(
                duration,
                record.get("status"),
                text(record, "method"),
                text(record, "path"),
                text(record, "request_id"),
                text(record, "ts"),
                service_of(record),
            )


def slowest(records: Iterable[Record], top: int) -> list[Completed]:
    """The ``top`` longest requests, longest first; only ``top`` are ever held in memory."""
    return heapq.nlargest(top, completed_requests(records), key=attrgetter("duration_ms"))
