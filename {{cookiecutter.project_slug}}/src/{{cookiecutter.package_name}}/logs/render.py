"""Everything ``flask logs`` prints: the trace timeline, the slow table, the failure lines.

Why a module: logged values are attacker-influenced (paths, headers, messages), so every
value passes through ``clean`` or ``show`` before it is printed and no log line can drive
the terminal of the person reading it. Keeping all output here keeps that rule checkable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from .errors import Failure
from .records import REPLICA, Record, exception_headline, replica_of, service_of, text
from .slow import Completed
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
    path_width = max(len("path"), *(len(path) for path in paths))
    id_width = max(len("request_id"), *(len(request_id) for request_id in ids))
    ts_width = max(len(show(row.ts)) for row in rows)
    header = f"{'duration_ms':>12}  status  method   {'path'.ljust(path_width)}  {'request_id'.ljust(id_width)}  "
    yield header + f"{'ts'.ljust(ts_width)}  service"
    for row, path, request_id in zip(rows, paths, ids, strict=True):
        status = show(row.status, 10).rjust(6)
        columns = [show(row.method, 10).ljust(7), path.ljust(path_width), request_id.ljust(id_width)]
        columns += [show(row.ts).ljust(ts_width), show(row.service, MAX_NAME_WIDTH)]
        yield f"{row.duration_ms:>12.2f}  {status}  " + "  ".join(columns)


def render_failure(failure: Failure) -> str:
    status = "-" if failure.status is None else show(failure.status, 10)
    parts = [show(failure.ts), status.rjust(3), show(failure.request_id), show(failure.method), show(failure.path)]
    parts.append(show(failure.service, MAX_NAME_WIDTH))
    parts.append(" " + show(failure.msg))
    if failure.headline:
        parts.append(" " + clean(failure.headline, MAX_VALUE_CHARS))
    if failure.error is not None:
        parts.append(f" error={show(failure.error)}")
    return " ".join(parts)
