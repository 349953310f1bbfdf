"""``deps``: each dependency's calls, how they went, and how long they took.

Why a module: "is it us or them" is answered per dependency: calls, failed calls (5xx, an
error category, or logged at WARNING or worse), the outcomes (``200:371 503:41 timeout:2``),
and p50/p95/max duration, per dependency and, where it has several, per operation.

Memory is bounded: durations are kept exactly up to ``MAX_SAMPLES`` per row, then as an
evenly spaced sample of every 2nd, 4th... call (the maximum stays exact), and at most
``MAX_OUTCOMES`` distinct outcomes per row (the rest as ``other``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .requests import Call

MAX_SAMPLES = 50_000
MAX_OUTCOMES = 20
MAX_ROWS = 10_000
ALL_OPERATIONS = "*"
RowKey = tuple[str, str, str]  # service, dependency, operation


@dataclass
class Durations:
    """Durations, exactly up to ``MAX_SAMPLES``, then every ``stride``-th: bounded, and
    deterministic (the same files give the same percentiles)."""

    values: list[float] = field(default_factory=list)
    stride: int = 1
    seen: int = 0
    maximum: float | None = None

    def add(self, value: float) -> None:
        self.maximum = value if self.maximum is None else max(self.maximum, value)
        if self.seen % self.stride == 0:
            self.values.append(value)
            if len(self.values) >= MAX_SAMPLES:
                self.values = self.values[::2]
                self.stride *= 2
        self.seen += 1

    def percentile(self, share: float) -> float | None:
        """Nearest rank: the smallest value with at least ``share`` of the values at or below."""
        if not self.values:
            return None
        ordered = sorted(self.values)
        return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


@dataclass
class Row:
    calls: int = 0
    failed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    durations: Durations = field(default_factory=Durations)

    def add(self, call: Call) -> None:
        self.calls += 1
        self.failed += call.failed
        outcome = call.outcome
        if outcome not in self.outcomes and len(self.outcomes) >= MAX_OUTCOMES:
            outcome = "other"
        self.outcomes[outcome] += 1
        if call.duration_ms is not None:
            self.durations.add(call.duration_ms)


def tally(calls: Iterable[tuple[str, Call]]) -> dict[RowKey, Row]:
    """Rows per (service, dependency, ``*``) and per (service, dependency, operation)."""
    rows: dict[RowKey, Row] = {}
    for service, call in calls:
        for key in ((service, call.dependency, ALL_OPERATIONS), (service, call.dependency, call.operation)):
            if key in rows or len(rows) < MAX_ROWS:
                rows.setdefault(key, Row()).add(call)
    return rows


def ordered(rows: dict[RowKey, Row]) -> list[tuple[RowKey, Row]]:
    """Dependencies with the most failed calls first, then the slowest (p95); under each,
    its operations (when it has several), busiest first."""
    totals = [(key, row) for key, row in rows.items() if key[2] == ALL_OPERATIONS]
    totals.sort(key=lambda item: (-item[1].failed, -(item[1].durations.percentile(0.95) or 0.0), item[0]))
    result: list[tuple[RowKey, Row]] = []
    for key, row in totals:
        result.append((key, row))
        operations = [(k, r) for k, r in rows.items() if k[:2] == key[:2] and k[2] != ALL_OPERATIONS]
        if len(operations) > 1:
            result += sorted(operations, key=lambda item: (-item[1].calls, item[0]))
    return result
