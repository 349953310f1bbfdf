"""Everything ``flask logs`` prints: the trace timeline, the slow table, the failure lines.

Why a module: logged values are attacker-influenced (paths, headers, messages), so every
value passes through ``clean`` or ``show`` before it is printed and no log line can drive
the terminal of the person reading it. Keeping all output here keeps that rule checkable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from .deps import ALL_OPERATIONS, Row, RowKey
from .errors import Failure
from .records import REPLICA, Record, exception_headline, replica_of, service_of, text
from .slow import Completed, Slowest
from .summary import Group, GroupKey, Summary, ranked
from .trace import MAX_TRACE_RECORDS, Timeline

MAX_VALUE_CHARS = 160
MAX_NAME_WIDTH = 50
# Shown in a timeline line's head or the trace header, so not repeated as key=value.
HEAD_FIELDS = frozenset(
    {
        "ts", "level", "logger", "msg", "request_id", "user_id", "method", "path", "trace_id", "span_id",
        "service", "version", "env", "exc", "exc_type", "stack", REPLICA,
    }
)  # fmt: skip
# How far each level of nesting (a service called by the one above) is indented.
INDENT = "    "
_BARE = re.compile(r"[^\s\"'=]+")


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


def extra_fields(record: Record) -> str:
    """``key=value`` for the fields beyond the fixed head, escaped, plus the exception line."""
    shown = [(key, value) for key, value in record.items() if key not in HEAD_FIELDS and value is not None]
    parts = [f"{clean(key)}={show(value)}" for key, value in shown]
    headline = exception_headline(record)
    if headline:
        parts.append(f"exc={show(headline)}")
    return " ".join(parts)


# --- trace: the timeline -------------------------------------------------------------------


def format_offset(offset_ms: float | None) -> str:
    return "?" if offset_ms is None else f"{offset_ms:+g}ms"


def render_header(timeline: Timeline) -> str:
    """The request at the root (the service that received it first), its status, who, which
    trace, which services, how many records and when."""
    records = timeline.records
    root = [r for r, depth in zip(records, timeline.depths or [0] * len(records), strict=True) if depth == 0]
    first = next((r for r in root if text(r, "method") != "-"), root[0] if root else records[0])
    completed = [r for r in root if r.get("msg") == "request_completed"]
    kind = "trace" if timeline.by_trace else "request"
    parts = [f"{kind} {clean(timeline.request_id)}: {show(text(first, 'method'))} {show(text(first, 'path'))}"]
    if completed:
        parts.append(f"status {show(completed[-1].get('status'))}")
    for key in ("user_id", "trace_id"):
        value = next((text(r, key) for r in records if text(r, key) != "-"), None)
        if value is not None:
            parts.append(f"{key} {show(value)}")
    if timeline.services:
        parts.append("services " + " ".join(show(service) for service in timeline.services))
    stamps = sorted(text(r, "ts") for r in records)
    count = f"{len(records)} record" + ("" if len(records) == 1 else "s")
    if timeline.depths and any(timeline.depths):
        parts.append(f"{count} from {show(stamps[0])} to {show(stamps[-1])}")
    else:
        parts.append(f"{count} from {show(text(records[0], 'ts'))} to {show(text(records[-1], 'ts'))}")
    return ", ".join(parts)


def service_label(record: Record, replicas: bool) -> str:
    """The service a row came from, and its replica where several replicas are in view."""
    service = service_of(record)
    replica = replica_of(record) if replicas else None
    return service if replica is None or replica == service else f"{service}@{replica}"


def render_record(  # noqa: PLR0917 - the parts of one row
    record: Record,
    offset_ms: float | None,
    logger_width: int,
    marker: str = "  ",
    depth: int = 0,
    service: str | None = None,
    service_width: int = 0,
) -> str:
    head = [
        marker,
        format_offset(offset_ms).rjust(9),
        INDENT * depth + clean(text(record, "level"), 10).ljust(8),
    ]
    if service is not None:
        head.append(clean(service, MAX_NAME_WIDTH).ljust(service_width))
    head += [clean(text(record, "logger"), MAX_NAME_WIDTH).ljust(logger_width), show(text(record, "msg"))]
    extras = extra_fields(record)
    return " ".join(head) + (f"  {extras}" if extras else "")


def render_problem(timeline: Timeline, logger_width: int, labels: list[str | None], width: int) -> Iterator[str]:
    index = timeline.first_problem
    if index is None:
        yield "no warnings or errors in this request"
        return
    record = timeline.records[index]
    row = render_record(record, timeline.offsets_ms[index], logger_width, "", 0, labels[index], width)
    yield "first problem: " + row.strip()
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
    """The header, one row per record (other services' rows under the call they answered,
    indented, with a service column when there are several services or replicas), the first
    problem, and where the time went."""
    yield render_header(timeline)
    records = timeline.records
    width = min(max(len(clean(text(r, "logger"))) for r in records), MAX_NAME_WIDTH)
    depths = timeline.depths or [0] * len(records)
    several = bool(timeline.services)
    replicas = several and len({(service_of(r), replica_of(r)) for r in records}) > len(timeline.services)
    labels: list[str | None] = [service_label(r, replicas) if several else None for r in records]
    service_width = min(max((len(clean(label)) for label in labels if label is not None), default=0), MAX_NAME_WIDTH)
    for index, (record, offset) in enumerate(zip(records, timeline.offsets_ms, strict=True)):
        marker = ">>" if index == timeline.first_problem else "  "
        yield render_record(record, offset, width, marker, depths[index], labels[index], service_width)
    if timeline.dropped:
        yield f"... and {timeline.dropped} more records not shown (limit {MAX_TRACE_RECORDS})"
    yield ""
    yield from render_problem(timeline, width, labels, service_width)
    yield ""
    yield from render_spans(timeline)


# --- slow and errors: a table, and one line per failure ------------------------------------


def render_slow(rows: Sequence[Completed]) -> Iterator[str]:
    paths = [show(row.path, MAX_NAME_WIDTH) for row in rows]
    ids = [show(row.request_id, MAX_NAME_WIDTH) for row in rows]
    calls = [show(row.slowest_call, MAX_NAME_WIDTH) for row in rows]
    path_width = max(len("path"), *(len(path) for path in paths))
    id_width = max(len("request_id"), *(len(request_id) for request_id in ids))
    ts_width = max(len(show(row.ts)) for row in rows)
    call_width = max(len("slowest_call"), *(len(call) for call in calls))
    header = f"{'duration_ms':>12}  status  method   {'path'.ljust(path_width)}  {'request_id'.ljust(id_width)}  "
    yield header + f"{'ts'.ljust(ts_width)}  {'slowest_call'.ljust(call_width)}  service"
    for row, path, request_id, call in zip(rows, paths, ids, calls, strict=True):
        status = show(row.status, 10).rjust(6)
        columns = [show(row.method, 10).ljust(7), path.ljust(path_width), request_id.ljust(id_width)]
        columns += [show(row.ts).ljust(ts_width), call.ljust(call_width), show(row.service, MAX_NAME_WIDTH)]
        yield f"{row.duration_ms:>12.2f}  {status}  " + "  ".join(columns)


def render_crossed(result: Slowest, min_ms: float) -> str:
    share = f" ({result.crossed / result.total * 100:.1f}%)" if result.total else ""
    return f"{result.crossed} of {result.total} requests took >= {min_ms:g} ms{share}"


def render_failure(failure: Failure) -> str:
    status = "-" if failure.status is None else show(failure.status, 10)
    parts = [show(failure.ts), status.rjust(3), show(failure.request_id), show(failure.method), show(failure.path)]
    parts.append(show(failure.service, MAX_NAME_WIDTH))
    if failure.user is not None:
        parts.append(f"user={show(failure.user, MAX_NAME_WIDTH)}")
    if failure.dependency is not None:
        parts.append(f"dependency={show(failure.dependency, MAX_NAME_WIDTH)}")
    parts.append(" " + show(failure.msg))
    if failure.problem_status is not None:
        parts.append(f"status={show(failure.problem_status, 10)}")
    if failure.headline:
        parts.append(" " + clean(failure.headline, MAX_VALUE_CHARS))
    if failure.error is not None:
        parts.append(f" error={show(failure.error)}")
    if failure.exception:
        parts.append(f" exception={show(failure.exception)}")
    return " ".join(parts)


# --- summary and deps: tables --------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: int) -> Iterator[str]:
    """Aligned columns, the first ``numeric`` right-aligned; cells already made safe."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        cells = [c.rjust(w) if i < numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        yield ("  " + "  ".join(cells)).rstrip()


def format_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_summary(summary: Summary) -> Iterator[str]:
    """The headline counts over the window, then the failure groups and the slow groups,
    largest first, each with an example request ID to ``trace``."""
    if not summary.requests:
        yield "no completed requests"
        return
    minutes = summary.minutes
    span = "" if not minutes else f" ({minutes:.1f} min)" if minutes >= 1 else f" ({minutes * 60:.1f} s)"
    window = f"{show(summary.first_ts)} to {show(summary.last_ts)}{span}"
    total = summary.requests
    yield (
        f"{total} requests from {window}: {summary.failed} failed ({summary.failed / total * 100:.1f}%), "
        f"{summary.slow} slow (>= {summary.slow_ms:g} ms, {summary.slow / total * 100:.1f}%)"
    )
    several = len({key[0] for key in summary.routes}) > 1
    slow = f"slow requests (>= {summary.slow_ms:g} ms)"
    for name, grouping, groups, columns in (
        ("failed requests", "exception and failing dependency", summary.failures, "exception"),
        (slow, "and slowest dependency", summary.slowness, ""),
    ):
        yield ""
        if not groups:
            yield f"{name}: none"
            continue
        yield f"{name} by route, status, {grouping}:".replace("status, and", "status and")
        header = ["count", "share", "per_min", "method", "route", "status"]
        header += (["exception"] if columns else []) + ["dependency", "user", "example"]
        if several:
            header.insert(3, "service")
        rows = [summary_row(summary, key, group, bool(columns), several) for key, group in ranked(groups)]
        yield from table(header, rows, 3)


def summary_row(summary: Summary, key: GroupKey, group: Group, exception: bool, several: bool) -> list[str]:
    service, method, route, status, exc_type, dependency = key
    row = [str(group.count), f"{summary.share(key, group) * 100:.1f}%", format_rate(summary.per_minute(group))]
    row += [show(method, 10), show(route, MAX_NAME_WIDTH), show(status, 10)]
    row += [show(exc_type, MAX_NAME_WIDTH)] if exception else []
    row += [show(dependency, MAX_NAME_WIDTH), show(group.user, MAX_NAME_WIDTH), show(group.example, MAX_NAME_WIDTH)]
    if several:
        row.insert(3, show(service, MAX_NAME_WIDTH))
    return row


def render_deps(rows: Sequence[tuple[RowKey, Row]]) -> Iterator[str]:
    """One row per dependency (operation ``*``), its operations under it where it has several."""
    several = len({key[0] for key, _ in rows}) > 1
    header = ["calls", "failed", "fail%", "p50_ms", "p95_ms", "max_ms", "dependency", "operation", "outcomes"]
    if several:
        header.insert(6, "service")
    lines = []
    for (service, dependency, operation), row in rows:
        durations = row.durations
        cells = [str(row.calls), str(row.failed), f"{row.failed / row.calls * 100:.1f}%"]
        cells += [format_ms(durations.percentile(0.5)), format_ms(durations.percentile(0.95))]
        cells += [format_ms(durations.maximum)]
        name = show(dependency, MAX_NAME_WIDTH) if operation == ALL_OPERATIONS else "  " + show(dependency, 40)
        outcomes = " ".join(f"{show(outcome, 20)}:{count}" for outcome, count in row.outcomes.most_common())
        cells += [name, show(operation, MAX_NAME_WIDTH), outcomes]
        if several:
            cells.insert(6, show(service, MAX_NAME_WIDTH))
        lines.append(cells)
    yield from table(header, lines, 6)


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
