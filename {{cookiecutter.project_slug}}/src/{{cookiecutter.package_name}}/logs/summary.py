"""``summary``: what is failing and what is slow, grouped by cause, with counts and rates.

Why a module: in an incident the first question is "what is broken, and how badly", before
any one request. Failed requests (5xx, or an ERROR record) are grouped by route, status,
exception type and the dependency whose call failed first; slow requests (at least
``slow_ms``) by route, status and their slowest dependency. Each group has its count, its
share of its route's requests, its rate per minute over the window the records span, the
user when all its requests came from one user, and one example request ID for ``trace``.

Memory is bounded by the number of groups, not of requests: past ``MAX_GROUPS`` groups (or
routes) further ones are counted under ``(other)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .records import text
from .requests import Request

MAX_GROUPS = 1000
MAX_USERS_KEPT = 2  # enough to tell "one user" from "several"
OTHER = "(other)"
GroupKey = tuple[str, str, str, str, str, str]  # service, method, route, status, exception, dependency
RouteKey = tuple[str, str, str]  # service, method, route


@dataclass
class Group:
    count: int = 0
    example: str = "-"
    users: set[str] = field(default_factory=set)
    no_user: bool = False

    def add(self, request: Request) -> None:
        if self.count == 0:
            self.example = request.request_id
        self.count += 1
        if request.user is None:
            self.no_user = True
        elif len(self.users) < MAX_USERS_KEPT:
            self.users.add(request.user)

    @property
    def user(self) -> str:
        """The one user all the group's requests came from; ``(several)``; ``-`` for none."""
        if len(self.users) == 1 and not self.no_user:
            return next(iter(self.users))
        return "(several)" if self.users else "-"


@dataclass
class Summary:
    slow_ms: float
    requests: int = 0
    failed: int = 0
    slow: int = 0
    first: float | None = None
    last: float | None = None
    first_ts: str = "-"
    last_ts: str = "-"
    routes: Counter[RouteKey] = field(default_factory=Counter)
    failures: dict[GroupKey, Group] = field(default_factory=dict)
    slowness: dict[GroupKey, Group] = field(default_factory=dict)

    @property
    def minutes(self) -> float | None:
        if self.first is None or self.last is None or self.last <= self.first:
            return None
        return (self.last - self.first) / 60

    def add(self, request: Request) -> None:
        if not request.completed:
            return
        self.requests += 1
        when = request.when
        if when is not None:
            if self.first is None or when < self.first:
                self.first, self.first_ts = when, request.ts
            if self.last is None or when > self.last:
                self.last, self.last_ts = when, request.ts
        route = (request.service, request.method, request.endpoint)
        if route not in self.routes and len(self.routes) >= MAX_GROUPS:
            route = (request.service, request.method, OTHER)
        self.routes[route] += 1
        status = text({"status": request.status}, "status")
        if request.failed:
            self.failed += 1
            call = request.failing_call
            dependency = call.dependency if call is not None else "-"
            add_to(self.failures, (*route, status, request.exception, dependency), request)
        if request.duration_ms is not None and request.duration_ms >= self.slow_ms:
            self.slow += 1
            call = request.slowest_call
            dependency = call.dependency if call is not None else "-"
            add_to(self.slowness, (*route, status, "-", dependency), request)

    def share(self, key: GroupKey, group: Group) -> float:
        total = self.routes.get(key[:3], 0)
        return group.count / total if total else 0.0

    def per_minute(self, group: Group) -> float | None:
        minutes = self.minutes
        return group.count / minutes if minutes else None


def add_to(groups: dict[GroupKey, Group], key: GroupKey, request: Request) -> None:
    if key not in groups and len(groups) >= MAX_GROUPS:
        key = (key[0], key[1], OTHER, "-", "-", "-")
    groups.setdefault(key, Group()).add(request)


def summarise(requests: Iterable[Request], slow_ms: float) -> Summary:
    summary = Summary(slow_ms)
    for request in requests:
        summary.add(request)
    return summary


def ranked(groups: dict[GroupKey, Group]) -> list[tuple[GroupKey, Group]]:
    """Largest groups first (ties: by key, so the output is stable)."""
    return sorted(groups.items(), key=lambda item: (-item[1].count, item[0]))
