"""The filters every command takes: which requests to look at.

Why a module: the questions of an incident are narrow (this user, this endpoint, calls to
that dependency, the 5xx of the last 15 minutes), and each command answers them the same way.
A filter selects requests (``requests.Request``), since a request's facts sit on different
records: ``--user`` (its user ID), ``--path`` (its path; a glob such as ``/orders/*``),
``--route`` (its route template, or its path where the route is the path: also a glob),
``--dependency`` (it called that dependency; ``deps`` then shows only that dependency's
calls), ``--status`` (``503``, ``5xx``, or a range ``500-504``), and ``--since``/``--until``
(the time of its summary: RFC 3339, naive meaning UTC, or ``90s``/``15m``/``2h``/``1d`` ago).
Each option can be repeated: a request passes when it matches one value of every option given.

Search before parsing: most of the time goes into decoding lines, so where a filter names a
text every line it needs must contain, lines without it are passed over unparsed
(``needles``, searched for as bytes by ``search.py``): the request ID for ``trace``,
``--user``, and ``--path`` (every record of a request carries both). A record logged before
the user was identified does not carry the user ID, so with ``--user`` such records are not
seen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

import click

from .records import number, parse_ts
from .requests import Call, Request

RELATIVE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
STATUS = re.compile(r"([1-5])xx|(\d{3})(?:-(\d{3}))?")
# A value that appears as it is in every format and schema (no escaping, quoting aside).
PLAIN = re.compile(r"[A-Za-z0-9_.:@/+<>-]+")
GLOB_CHARS = re.compile(r"[*?\[]")


def parse_when(value: str, now: float) -> float | None:
    """Seconds since the epoch for RFC 3339 (``2026-11-24T19:09:14Z``, a date; naive = UTC) or
    a duration before ``now`` (``90s``, ``15m``, ``2h``, ``1d``); None for anything else."""
    given = value.strip()
    relative = RELATIVE.fullmatch(given)
    if relative is not None:
        return now - float(relative.group(1)) * SECONDS[relative.group(2)]
    return parse_ts(given)


def parse_status(value: str) -> tuple[int, int] | None:
    """``503`` -> (503, 503), ``5xx`` -> (500, 599), ``500-504`` -> (500, 504); None if neither."""
    match = STATUS.fullmatch(value.strip().lower())
    if match is None:
        return None
    if match.group(1):
        low = int(match.group(1)) * 100
        return low, low + 99
    low = int(match.group(2))
    return low, int(match.group(3) or low)


@dataclass(frozen=True)
class Filters:
    users: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    statuses: tuple[tuple[int, int], ...] = ()
    since: float | None = None
    until: float | None = None

    def __bool__(self) -> bool:
        """Whether any filter was given."""
        return self.selects_requests or bool(self.dependencies) or self.since is not None or self.until is not None

    def keeps(self, request: Request) -> bool:
        """Whether the request matches one value of every filter given."""
        if self.users and request.user not in self.users:
            return False
        if self.paths and not any(fnmatchcase(request.path, glob) for glob in self.paths):
            return False
        if self.routes and not any(fnmatchcase(request.endpoint, glob) for glob in self.routes):
            return False
        if self.dependencies and not any(call.dependency in self.dependencies for call in request.calls):
            return False
        if self.statuses:
            status = number(request.status)
            if status is None or not any(low <= status <= high for low, high in self.statuses):
                return False
        return self.in_window(request.when)

    @property
    def selects_requests(self) -> bool:
        """Whether a filter needs the request's other records (not one record alone)."""
        return bool(self.users or self.paths or self.routes or self.statuses)

    def in_window(self, when: float | None) -> bool:
        if self.since is None and self.until is None:
            return True
        if when is None or (self.since is not None and when < self.since):
            return False
        return self.until is None or when <= self.until

    def keeps_call(self, call: Call) -> bool:
        return not self.dependencies or call.dependency in self.dependencies

    def needles(self) -> list[str]:
        """Texts every line a request needs contains: one of the user IDs and of the paths
        (a glob's text before its first wildcard), when they are plain and singular."""
        found: list[str] = []
        if len(self.users) == 1 and PLAIN.fullmatch(self.users[0]):
            found.append(self.users[0])
        if len(self.paths) == 1:
            literal = GLOB_CHARS.split(self.paths[0], 1)[0]
            if literal and PLAIN.fullmatch(literal):
                found.append(literal)
        return found


def plain(value: str) -> bool:
    return PLAIN.fullmatch(value) is not None


# --- the click options, shared by every command -------------------------------------------


def when_option(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``--since``/``--until``: a time (``parse_when``), or a usage error naming the option."""
    if value is None:
        return None
    seconds = parse_when(value, time.time())
    if seconds is None:
        raise click.BadParameter(f"{value!r} is neither an RFC 3339 time nor a duration such as 15m, 2h or 1d")
    return seconds


def status_option(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    ranges = []
    for given in value:
        parsed = parse_status(given)
        if parsed is None:
            raise click.BadParameter(f"{given!r}: give a status (503), a class (5xx) or a range (500-504)")
        ranges.append(parsed)
    return tuple(ranges)


FILTER_OPTIONS = (
    click.option("--user", "users", multiple=True, metavar="USER_ID", help="Requests of this user."),
    click.option("--path", "paths", multiple=True, metavar="GLOB", help="Requests to this path (/orders/*)."),
    click.option(
        "--route", "routes", multiple=True, metavar="GLOB", help="Requests to this route (/orders/<int:order_id>)."
    ),
    click.option("--dependency", "dependencies", multiple=True, metavar="NAME", help="Requests that called it."),
    click.option(
        "--status", "statuses", multiple=True, metavar="STATUS", callback=status_option, help="503, 5xx or 500-504."
    ),
    click.option("--since", callback=when_option, metavar="TIME", help="RFC 3339, or 15m / 2h / 1d ago."),
    click.option("--until", callback=when_option, metavar="TIME", help="RFC 3339, or 15m / 2h / 1d ago."),
)
FILTER_NAMES = ("users", "paths", "routes", "dependencies", "statuses", "since", "until")


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the filter options; the command receives them as one ``filters: Filters``."""

    def with_filters(**kwargs: object) -> None:
        chosen = {name: kwargs.pop(name) for name in FILTER_NAMES}
        command(filters=Filters(**chosen), **kwargs)  # type: ignore[arg-type]

    with_filters.__name__ = command.__name__
    with_filters.__doc__ = command.__doc__
    for option in reversed(FILTER_OPTIONS):
        with_filters = option(with_filters)
    return with_filters
