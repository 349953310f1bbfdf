"""``slow``: the slowest completed requests, from their ``request_completed`` records.

Why a module: the computation behind ``slow`` (``render`` prints the table). Only the top N
are ever held: a heap over the stream, so any file size is fine. Each row names the request's
slowest dependency call, often the reason it was slow. With ``min_ms``, only requests at
least that slow are listed, and ``Slowest`` counts how many crossed it out of how many.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter

from .requests import Request


@dataclass(frozen=True)
class Completed:
    duration_ms: float
    status: object
    method: str
    path: str
    request_id: str
    ts: str
    service: str = "-"
    slowest_call: str = "-"


@dataclass
class Slowest:
    rows: list[Completed] = field(default_factory=list)
    total: int = 0  # completed requests seen (after the filters)
    crossed: int = 0  # of those, at least min_ms


def completed_of(request: Request) -> Completed | None:
    if not request.completed or request.duration_ms is None:
        return None
    call = request.slowest_call
    slowest = f"{call.dependency}:{call.duration_ms:g}ms" if call is not None else "-"
    return Completed(
        request.duration_ms,
        request.status,
        request.method,
        request.path,
        request.request_id,
        request.ts,
        request.service,
        slowest,
    )


def slowest(requests: Iterable[Request], top: int, min_ms: float = 0.0) -> Slowest:
    """The ``top`` longest requests of at least ``min_ms``, longest first, and the counts;
    only ``top`` are ever held in memory (their rows are made last, for those alone)."""
    result = Slowest()

    def crossing() -> Iterator[Request]:
        for request in requests:
            if not request.completed or request.duration_ms is None:
                continue
            result.total += 1
            if request.duration_ms >= min_ms:
                result.crossed += 1
                yield request

    longest = heapq.nlargest(top, crossing(), key=attrgetter("duration_ms"))
    result.rows = [row for row in map(completed_of, longest) if row is not None]
    return result
