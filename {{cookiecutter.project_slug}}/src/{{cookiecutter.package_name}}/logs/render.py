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
from .records import Record, exception_headline, text
from .slow import Completed
from .trace import MAX_TRACE_RECORDS, Timeline

MAX_VALUE_CHARS = 160
MAX_NAME_WIDTH = 50
# Shown in a timeline line's head or the trace header, so not repeated as key=value.
HEAD_FIELDS = frozenset(
    {"ts", "level", "logger", "msg", "request_id", "user_id", "method", "path", "trace_id", "exc", "exc_type", "stack"}
)
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


# --- slow and errors: a table, and one line per failure ------------------------------------


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


def render_failure(failure: Failure) -> str:
    status = "-" if failure.status is None else show(failure.status, 10)
    parts = [show(failure.ts), status.rjust(3), show(failure.request_id), show(failure.method), show(failure.path)]
    parts.append(" " + show(failure.msg))
    if failure.headline:
        parts.append(" " + clean(failure.headline, MAX_VALUE_CHARS))
    if failure.error is not None:
        parts.append(f" error={show(failure.error)}")
    return " ".join(parts)
