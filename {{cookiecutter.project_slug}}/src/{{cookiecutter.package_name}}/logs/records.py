"""Typed access to a record's values, whichever format or producer wrote them.

Why a module: a record is a dict of whatever a line held, so every command needs the same
careful reads: a number that really is a finite number, a field as text, a ``ts`` as a
point in time, a level, the exception's headline. None of these raises on odd values.

A ``ts`` that parses but cannot be placed in time (``0001-01-01T00:00:00+05:00`` is before
year 1 in UTC) reads like an unreadable ``ts``: None, so the record is still shown (at ``?``).
"""

from __future__ import annotations

import calendar
import json
import math
from datetime import datetime

Record = dict[str, object]

# Where reading keeps the replica a collector's prefix named (kubectl's pod, compose's container).
REPLICA = "@replica"

PROBLEM_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})


def number(value: object) -> float | None:
    """A finite int or float as float; None for anything else (bools, strings, NaN, and
    integers too large for a float: JSON allows 310+ digits, and ``float()`` raises on them)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        converted = float(value)
    except OverflowError:
        return None
    return converted if math.isfinite(converted) else None


def text(record: Record, key: str, default: str = "-") -> str:
    """A field as a string: strings as they are, other JSON values encoded, missing -> default."""
    value = record.get(key)
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def parse_ts(value: object) -> float | None:
    """Seconds since the epoch for an RFC 3339 ``ts`` (naive means UTC); None if unreadable,
    including a ``ts`` whose shift to UTC leaves datetime's range (years 1 to 9999)."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        utc = stamp.utctimetuple()
    except (ValueError, OverflowError):
        return None
    return calendar.timegm(utc) + stamp.microsecond / 1_000_000


def is_level(record: Record, levels: frozenset[str]) -> bool:
    level = record.get("level")
    return isinstance(level, str) and level.upper() in levels


def exception_headline(record: Record) -> str:
    """The line naming the exception (``ValueError: bad input``) of a record, or ''."""
    exc_type = text(record, "exc_type", "")
    lines = [line for line in text(record, "exc", "").splitlines() if line.strip()]
    for line in reversed(lines):
        name = line.split(":", 1)[0]
        if exc_type and (name == exc_type or name.endswith("." + exc_type)):
            return line
    return lines[-1] if lines else exc_type


def service_of(record: Record) -> str:
    """The service that wrote the record (``-`` for lines from before services were named)."""
    return text(record, "service")


def replica_of(record: Record) -> str | None:
    """The replica a collector's prefix named: the pod of ``pod/<pod>/<container>``, or
    docker compose's container name."""
    replica = record.get(REPLICA)
    if not isinstance(replica, str):
        return None
    return replica.split("/")[1] if replica.startswith("pod/") and replica.count("/") == 2 else replica
