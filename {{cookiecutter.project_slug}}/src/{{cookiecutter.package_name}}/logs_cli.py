"""``flask logs``: answer incident questions from the service's own JSON log lines.

Why this exists: every record the service writes carries its request ID, so the log files
already know what happened in request X, which requests were slowest, and which failed and
why. Getting that out with ``grep | jq`` differs per person, chokes on torn or text-format
lines, and prints logged values raw. These commands read the files as they are:

    flask --app <package> logs trace REQUEST_ID app.log.2.gz app.log.1 app.log
    flask --app <package> logs slow --top 20 app.log
    flask --app <package> logs errors app.log.1 app.log

Files are read in the order given (oldest rotated file first; ``.gz`` is decompressed; no
file or ``-`` means stdin), line by line with bounded state, so gigabyte files are fine:
``trace`` keeps only the records of its request, ``slow`` a heap of the top N, ``errors``
only requests that have failed but not yet completed. Lines that are not JSON objects are
skipped and counted on stderr. Logged values are attacker-influenced (paths, headers,
messages), so every value is escaped before it is printed: no log line can drive the
terminal of the person reading it.

Hostile lines must not stop the reading with a traceback either. A line whose JSON nests
deeper than ``MAX_NESTING`` (the service writes a few levels; ~1000 would overflow the
stack when a value is printed) or whose ``duration_ms`` or ``status`` is an integer no float
can hold (JSON allows 310+ digits) is skipped and counted like a torn line. A ``ts`` that
parses but cannot be placed in time (``0001-01-01T00:00:00+05:00`` is before year 1 in UTC)
is treated like an unreadable ``ts``: the record is kept, shown at ``?`` after the others.
These checks stay cheap: only the two numeric fields are looked at, and only a line with
more than ``MAX_NESTING`` brackets has its depth measured.

A request ID may start with ``-`` (it comes from the client's ``X-Request-ID``), so ``trace``
takes an unknown option as its REQUEST_ID: ``flask logs trace "$RID"`` works for any ID but
``--help`` and ``--``.

Reading, computing and rendering are separate small functions, so each is testable alone.
"""

from __future__ import annotations

import calendar
import gzip
import heapq
import json
import math
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import IO

import click
from flask.cli import AppGroup

Record = dict[str, object]

STDIN = "-"
# Longer lines are skipped unread: the formatter bounds a record well below this.
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_TRACE_RECORDS = 50_000
MAX_PENDING_FAILURES = 100_000
# The service's records nest a few levels (redaction stops at 6); near 1000, printing a
# value overflows the stack. Deeper records are skipped as unreadable.
MAX_NESTING = 100
# The numbers the commands compute with; a huge JSON integer here cannot become a float.
NUMERIC_FIELDS = ("duration_ms", "status")
MAX_VALUE_CHARS = 160
MAX_NAME_WIDTH = 50
PROBLEM_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})
# Shown in a timeline line's head or the trace header, so not repeated as key=value.
HEAD_FIELDS = frozenset(
    {"ts", "level", "logger", "msg", "request_id", "user_id", "method", "path", "trace_id", "exc", "exc_type", "stack"}
)
_BARE = re.compile(r"[^\s\"'=]+")


# --- Reading: files -> lines -> records ------------------------------------------------


@dataclass
class ReadStats:
    """What reading saw besides records: skipped lines and unreadable file tails."""

    records: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def parse_record(line: str) -> Record | None:
    """The JSON object on this line, or None for anything else (torn, text, blank, array)
    and for an object the commands could not handle (see ``is_usable``)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and is_usable(value, text) else None


def is_usable(record: Record, line: str) -> bool:
    """False for a record that parses but would crash a command: a numeric field past float
    range, or nesting past ``MAX_NESTING``. Cheap on ordinary lines: a line with fewer
    brackets than the limit cannot nest that deep, so only bracket-heavy lines are walked."""
    for key in NUMERIC_FIELDS:
        if overflows_float(record.get(key)):
            return False
    if line.count("{") + line.count("[") <= MAX_NESTING:
        return True
    return not nests_deeper(record, MAX_NESTING)


def overflows_float(value: object) -> bool:
    """An integer too large for a float (JSON has no limit), which ``float()`` refuses."""
    if type(value) is not int:  # exact type: JSON makes no subclasses, and bools are not counts
        return False
    try:
        float(value)
    except OverflowError:
        return True
    return False


def nests_deeper(value: dict | list, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (``value`` itself is 1).

    Iterative, so measuring a deep value cannot overflow the stack the way printing it would.
    """
    stack: list[tuple[dict | list, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def iter_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[str | None]:
    """Decoded lines of a binary stream; None for a line over ``max_bytes`` (its rest is skipped)."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes:
            while line and not line.endswith(b"\n"):
                line = stream.readline(max_bytes)
            yield None
            continue
        yield line.decode("utf-8", errors="replace")


@contextmanager
def open_source(path: str) -> Iterator[IO[bytes]]:
    """A binary stream for a path: stdin for ``-`` (left open), decompressed for ``.gz``."""
    if path != STDIN and path.endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield stream
    else:
        with click.open_file(path, "rb") as stream:
            yield stream


def read_records(paths: Sequence[str], stats: ReadStats) -> Iterator[Record]:
    """Every JSON record of the files, in order, one line at a time; counts the rest in ``stats``."""
    for path in paths or (STDIN,):
        try:
            with open_source(path) as stream:
                for line in iter_lines(stream):
                    record = parse_record(line) if line is not None else None
                    if record is None:
                        stats.skipped += 1
                        continue
                    stats.records += 1
                    yield record
        except (OSError, EOFError, zlib.error) as exc:  # e.g. a .gz cut short: keep what was read
            stats.problems.append(f"{path}: {exc}; read up to that point")


# --- Values: typed access and safe display -----------------------------------------------


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


def clean(value: str, limit: int | None = None) -> str:
    """``value`` safe for a terminal: non-printable characters escaped, optionally shortened."""
    if limit is not None and len(value) > limit:
        value = value[:limit] + "..."
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)


def show(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A logged value as one safe token: bare when simple, else JSON-quoted; always escaped."""
    if isinstance(value, str) and _BARE.fullmatch(value):
        return clean(value, limit)
    return clean(json.dumps(value, ensure_ascii=False, separators=(",", ":")), limit)


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


def extra_fields(record: Record) -> str:
    """``key=value`` for the fields beyond the fixed head, escaped, plus the exception line."""
    shown = [(key, value) for key, value in record.items() if key not in HEAD_FIELDS and value is not None]
    parts = [f"{clean(key)}={show(value)}" for key, value in shown]
    headline = exception_headline(record)
    if headline:
        parts.append(f"exc={show(headline)}")
    return " ".join(parts)


def report_reading(stats: ReadStats) -> None:
    """Tell stderr what was skipped, so a quiet result is never mistaken for a clean one."""
    for problem in stats.problems:
        click.echo(f"warning: {clean(problem)}", err=True)
    if stats.skipped:
        noun = "line that was not a JSON log record" if stats.skipped == 1 else "lines that were not JSON log records"
        click.echo(f"skipped {stats.skipped} {noun}", err=True)
    if stats.skipped and not stats.records:
        click.echo("no JSON records at all: this tool reads LOG_FORMAT=json output", err=True)


def emit(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


# --- trace: one request as a timeline --------------------------------------------------


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


def format_offset(offset_ms: float | None) -> str:
    return "?" if offset_ms is None else f"+{offset_ms:g}ms"


def render_header(timeline: Timeline) -> str:
    records = timeline.records
    first = next((r for r in records if text(r, "method") != "-"), records[0])
    completed = [r for r in records if r.get("msg") == "request_completed"]
    parts = [f"request {clean(timeline.request_id)}: {show(text(first, 'method'))} {show(text(first, 'path'))}"]
    if completed:
        parts.append(f"status {show(completed[-1].get('status'))}")
    for key in ("user_id", "trace_id"):
        value = next((text(r, key) for r in records if text(r, key) != "-"), None)
        if value is not None:
            parts.append(f"{key} {show(value)}")
    count = f"{len(records)} record" + ("" if len(records) == 1 else "s")
    parts.append(f"{count} from {show(text(records[0], 'ts'))} to {show(text(records[-1], 'ts'))}")
    return ", ".join(parts)


def render_record(record: Record, offset_ms: float | None, logger_width: int, marker: str = "  ") -> str:
    head = [
        marker,
        format_offset(offset_ms).rjust(9),
        clean(text(record, "level"), 10).ljust(8),
        clean(text(record, "logger"), MAX_NAME_WIDTH).ljust(logger_width),
        show(text(record, "msg")),
    ]
    extras = extra_fields(record)
    return " ".join(head) + (f"  {extras}" if extras else "")


def render_problem(timeline: Timeline, logger_width: int) -> Iterator[str]:
    index = timeline.first_problem
    if index is None:
        yield "no warnings or errors in this request"
        return
    record = timeline.records[index]
    yield "first problem: " + render_record(record, timeline.offsets_ms[index], logger_width, marker="").strip()
    for line in text(record, "exc", "").splitlines():
        yield "    " + clean(line)


def render_spans(timeline: Timeline) -> Iterator[str]:
    total = timeline.total_ms
    if not timeline.spans:
        yield "no dependency calls or steps logged"
        return
    shown_total = "?" if total is None else f"{total:g}"
    yield f"time spent (total {shown_total} ms, from {timeline.total_from}):"
    width = min(max(len(clean(span.name)) for span in timeline.spans), MAX_NAME_WIDTH)
    for span in timeline.spans:
        share = f"{span.duration_ms / total * 100:.1f}%" if total else "-"
        detail = " ".join(f"{key}={show(value)}" for key, value in span.detail if value not in (None, 0))
        row = f"  {span.kind.ljust(10)} {clean(span.name, MAX_NAME_WIDTH).ljust(width)} "
        yield (row + f"{span.duration_ms:>10.2f} ms {share.rjust(7)}  {detail}").rstrip()


def render_timeline(timeline: Timeline) -> Iterator[str]:
    yield render_header(timeline)
    width = min(max(len(clean(text(r, "logger"))) for r in timeline.records), MAX_NAME_WIDTH)
    for index, (record, offset) in enumerate(zip(timeline.records, timeline.offsets_ms, strict=True)):
        yield render_record(record, offset, width, ">>" if index == timeline.first_problem else "  ")
    if timeline.dropped:
        yield f"... and {timeline.dropped} more records not shown (limit {MAX_TRACE_RECORDS})"
    yield ""
    yield from render_problem(timeline, width)
    yield ""
    yield from render_spans(timeline)


# --- slow: the slowest completed requests ------------------------------------------------


@dataclass(frozen=True)
class Completed:
    duration_ms: float
    status: object
    method: str
    path: str
    request_id: str
    ts: str


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
            )


def slowest(records: Iterable[Record], top: int) -> list[Completed]:
    """The ``top`` longest requests, longest first; only ``top`` are ever held in memory."""
    return heapq.nlargest(top, completed_requests(records), key=attrgetter("duration_ms"))


def render_slow(rows: Sequence[Completed]) -> Iterator[str]:
    paths = [show(row.path, MAX_NAME_WIDTH) for row in rows]
    ids = [show(row.request_id, MAX_NAME_WIDTH) for row in rows]
    path_width = max(len("path"), *(len(path) for path in paths))
    id_width = max(len("request_id"), *(len(request_id) for request_id in ids))
    yield f"{'duration_ms':>12}  status  method   {'path'.ljust(path_width)}  {'request_id'.ljust(id_width)}  ts"
    for row, path, request_id in zip(rows, paths, ids, strict=True):
        status = show(row.status, 10).rjust(6)
        columns = [show(row.method, 10).ljust(7), path.ljust(path_width), request_id.ljust(id_width), show(row.ts)]
        yield f"{row.duration_ms:>12.2f}  {status}  " + "  ".join(columns)


# --- errors: failing requests and their first error --------------------------------------


@dataclass
class Failure:
    request_id: str
    ts: str
    method: str
    path: str
    msg: str
    headline: str
    error: object
    status: object = None


def failure_from(record: Record) -> Failure:
    return Failure(
        text(record, "request_id"),
        text(record, "ts"),
        text(record, "method"),
        text(record, "path"),
        text(record, "msg"),
        exception_headline(record),
        record.get("error"),
    )


def failing_requests(records: Iterable[Record], max_pending: int = MAX_PENDING_FAILURES) -> Iterator[Failure]:
    """Requests with an ERROR record or a 5xx summary, each with its first error.

    A failure is yielded when its request_completed arrives (which carries the status), so
    output streams; failures whose request never completed in the files come at the end.
    Pending failures are kept in arrival order in an OrderedDict, so pushing out the oldest
    is O(1): on a plain dict, finding the front means stepping over every slot deleted there,
    which made long runs with ``max_pending`` failures in flight quadratic.
    """
    pending: OrderedDict[str, Failure] = OrderedDict()
    for record in records:
        request_id = record.get("request_id")
        if not isinstance(request_id, str) or request_id == "-":
            continue
        if is_level(record, ERROR_LEVELS) and request_id not in pending:
            pending[request_id] = failure_from(record)
        if record.get("msg") == "request_completed":
            failure = pending.pop(request_id, None)
            status = record.get("status")
            if failure is None and (number(status) or 0) >= 500:
                failure = failure_from(record)
            if failure is not None:
                failure.status = status
                yield failure
        if len(pending) > max_pending:  # bounded: the oldest goes out with its status unknown
            yield pending.popitem(last=False)[1]
    yield from pending.values()


def render_failure(failure: Failure) -> str:
    status = "-" if failure.status is None else show(failure.status, 10)
    parts = [show(failure.ts), status.rjust(3), show(failure.request_id), show(failure.method), show(failure.path)]
    parts.append(" " + show(failure.msg))
    if failure.headline:
        parts.append(" " + clean(failure.headline, MAX_VALUE_CHARS))
    if failure.error is not None:
        parts.append(f" error={show(failure.error)}")
    return " ".join(parts)


# --- The click commands ----------------------------------------------------------------

logs_group = AppGroup(
    "logs",
    help="Read the service's JSON log files: trace one request, list slow or failing requests.",
)

files_argument = click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="[FILE]..."
)


# An ID such as "-abc" is not an option here: trace has none but --help, so an unknown
# option is left in place as the REQUEST_ID (or a FILE) instead of failing the runbook.
@logs_group.command("trace", with_appcontext=False, context_settings={"ignore_unknown_options": True})
@click.argument("request_id")
@files_argument
def trace_command(request_id: str, files: tuple[str, ...]) -> None:
    """One request's records as a timeline, its first problem, and where its time went.

    FILEs are read in the order given (oldest rotated file first); none or '-' reads stdin.
    """
    stats = ReadStats()
    matched, dropped = collect_request(read_records(files, stats), request_id)
    report_reading(stats)
    if not matched:
        raise click.ClickException(f"no records with request_id '{clean(request_id)}'")
    emit(render_timeline(build_timeline(request_id, matched, dropped)))


@logs_group.command("slow", with_appcontext=False)
@files_argument
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="How many requests to list.")
def slow_command(files: tuple[str, ...], top: int) -> None:
    """The slowest requests (from request_completed records), slowest first."""
    stats = ReadStats()
    rows = slowest(read_records(files, stats), top)
    report_reading(stats)
    if not rows:
        click.echo("no request_completed records found", err=True)
        return
    emit(render_slow(rows))


@logs_group.command("errors", with_appcontext=False)
@files_argument
def errors_command(files: tuple[str, ...]) -> None:
    """Failing requests (5xx, or any ERROR record), one line each with its first error."""
    stats = ReadStats()
    count = 0
    for failure in failing_requests(read_records(files, stats)):
        click.echo(render_failure(failure))
        count += 1
    report_reading(stats)
    if not count:
        click.echo("no failing requests found", err=True)
