"""What the schemas share: where an event's own fields end, unit conversions, and reading back.

Writing: a schema maps the event dict ``build_event`` made (``formatting.py``). Its fixed
fields come first, always in the same order (time, level, logger, message, the request
context, the service's identity, the trace when there is one), so a schema reads those by
name and takes the rest (the event's own fields, then the exception) by position, without
testing every key. The one line every request writes, the usual request summary
(``SUMMARY_FIELDS``), each schema builds in one go.

Reading: ``Reader`` turns a line written in a schema back into the service's own fields, for
``flask logs``. Its table names each schema field (a dotted path, written nested or dotted:
``{"http":{"request":{"id":...}}}`` and ``{"http.request.id":...}`` read the same) and the
field it came from, with the conversion back (nanoseconds to milliseconds, ...). A field the
table does not name keeps its name, so extra fields read back as they were written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from math import isfinite

from ..context import CONTEXT_FIELDS, MISSING

Event = dict[str, object]
# ts, level, logger, msg and the request context: the fields every event starts with.
BASE_COUNT = 4 + len(CONTEXT_FIELDS)
# Durations a schema converts inline (to nanoseconds) when they are plain floats below this.
MAX_MS = 1e15
LOWER_LEVELS = {name: name.lower() for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}
# A field that comes from the event and is written in another unit or shape: value -> value.
Convert = Callable[[object], object]


# The usual request summary: the line every request writes, which each schema builds in one go
# (its ``summary_line``) instead of field by field; tests check both give the same line. Usual:
# a request_completed of the fixed fields (no trace) and exactly these four, in a request
# (request ID, method and path known), with a body size, a content type and a plain float
# duration. Traced, sampled, debugged or aborted summaries have more fields and take the
# general path.
SUMMARY_FIELDS = ("status", "duration_ms", "size", "content_type")


def lower_level(level: object) -> object:
    return LOWER_LEVELS.get(level) or (level.lower() if isinstance(level, str) else level)  # type: ignore[call-overload]


def nanoseconds(duration_ms: object) -> object:
    """Milliseconds as whole nanoseconds (ECS ``event.duration``, Datadog ``duration``);
    anything that is not a finite number is passed through."""
    if isinstance(duration_ms, (int, float)) and not isinstance(duration_ms, bool) and isfinite(duration_ms):
        return int(duration_ms * 1_000_000 + (0.5 if duration_ms >= 0 else -0.5))
    return duration_ms


def exception_message(exc_text: object, exc_type: object) -> str | None:
    """The exception's message, from the last line of its (already redacted) traceback that
    names its type: ``KeyError: 'missing'`` gives ``'missing'``."""
    if not isinstance(exc_text, str) or not isinstance(exc_type, str):
        return None
    for line in reversed(exc_text.rstrip().splitlines()):
        name, sep, message = line.partition(": ")
        if name == exc_type or name.endswith("." + exc_type):
            return message if sep else ""
    return None


class CustomNames(dict[str, str]):
    """The name an extra field is written under, worked out once per key: its own, or
    ``extra_<name>`` where ``rename(key)`` says it clashes with the schema. A dict lookup per
    field instead of a call; bounded, since keys can come from clients (cleared when full)."""

    MAX_KEYS = 4096

    def __init__(self, rename: Callable[[str], bool]) -> None:
        super().__init__()
        self.rename = rename

    def __missing__(self, key: str) -> str:
        name = "extra_" + key if self.rename(key) else key
        if len(self) >= self.MAX_KEYS:
            self.clear()
        self[key] = name
        return name


# --- reading back ---------------------------------------------------------------------------


def milliseconds_from_ns(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    try:
        return round(value / 1_000_000, 6)
    except OverflowError:  # an integer past float range: left for the reader to refuse
        return value


def upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


# schema field (dotted path) -> (the service's field, or None to drop it; conversion back)
ReadTable = Mapping[str, tuple[str | None, Convert | None]]


def field_adder(
    custom: CustomNames, duration: str, stack: str, error_type: str
) -> Callable[[Event, dict[str, str], Iterator[tuple[str, object]]], None]:
    """A schema's ``add_fields``: the event's own fields, each under the schema's name (custom
    ones under their own), durations in nanoseconds, the exception's message beside its stack.
    Built once per schema (a closure, so the hot loop reads cells, not globals)."""

    def add_fields(out: Event, names: dict[str, str], fields: Iterator[tuple[str, object]]) -> None:
        for key, value in fields:
            name = names.get(key)
            if name is None:
                out[custom[key]] = value
            elif value is None:
                continue
            elif name == duration:
                # nanoseconds(), inlined for the usual finite float (NaN fails both comparisons)
                if isinstance(value, float) and 0.0 <= value < MAX_MS:
                    out[name] = int(value * 1_000_000 + 0.5)
                else:
                    out[name] = nanoseconds(value)
            elif name == stack:
                text = exception_message(value, out.get(error_type))
                if text is not None:
                    out["error.message"] = text
                out[name] = value
            else:
                out[name] = value

    return add_fields


class Reader:
    """A line in one schema -> the service's own fields (see the module docstring)."""

    def __init__(self, table: ReadTable) -> None:
        self.table = table
        # Every proper prefix of a path in the table: the nested objects to walk into.
        self.roots = frozenset(
            ".".join(path.split(".")[:depth]) for path in table for depth in range(1, path.count(".") + 1)
        )

    def read(self, record: Mapping[str, object]) -> Event:
        event: Event = {}
        self.walk(record, "", event)
        for key in CONTEXT_FIELDS:  # written only when set: "-" like the service's own lines
            event.setdefault(key, MISSING)
        return event

    def walk(self, node: Mapping[str, object], prefix: str, event: Event) -> None:
        for key, value in node.items():
            path = prefix + key
            spec = self.table.get(path)
            if spec is not None:
                name, convert = spec
                if name is not None:
                    event[name] = convert(value) if convert is not None else value
            elif path in self.roots and isinstance(value, dict):
                self.walk(value, path + ".", event)
            else:
                event[path] = value
