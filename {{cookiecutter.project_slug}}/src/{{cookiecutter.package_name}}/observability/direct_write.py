"""The request summary's fast path: its line written straight to the service's own sinks.

``request_completed`` is the one record every request writes. Making and dispatching a
LogRecord (``LogRecord.__init__`` alone derives a file name and module for every record)
costs more than building and writing the line, and under load it was most of what logging
added to a request. When nothing but the sinks ``configure_logging`` installed would see the
record, the line is built from the formatter's own ``base_event`` and ``render`` and written
to those sinks; no LogRecord is made. Anything else that could see or change the record
turns this off, and the summary goes through logging like every other record: pytest's
caplog or any handler of your own, a filter (per-request debug installs one), a record
factory (OpenTelemetry's logging instrumentation sets one), a patched ``Logger`` (Sentry's
logging integration patches ``callHandlers``), or a redaction key naming a summary field.
``tests/test_direct_write.py`` checks that both paths write the same line.
"""

from __future__ import annotations

import logging
import time

from .context import current
from .formatting import EventFormatter, base_event
from .handlers import ServiceHandler
from .setup import OWNED

SUMMARY_FIELDS = ("status", "duration_ms", "size", "content_type")


def direct_sinks(logger: logging.Logger, level: int) -> list[ServiceHandler] | None:
    """The sinks to write ``logger``'s summary to directly, or None to go through logging.

    Checked on every request (a handler may be added at any time): each condition is one
    thing that would make logging do more than format the record and write it to these sinks.
    """
    root = logging.root
    sinks = root.handlers
    if (
        not sinks
        or logger.handlers
        or logger.filters
        or logger.disabled
        or not logger.propagate
        or logger.parent is not root
        or logger.__class__ is not logging.Logger
        or logging.getLogRecordFactory() is not logging.LogRecord
        or logging.Logger.handle.__module__ != "logging"
        or logging.Logger.callHandlers.__module__ != "logging"
    ):
        return None
    formatter = sinks[0].formatter
    if not isinstance(formatter, EventFormatter) or formatter.redacts_any(SUMMARY_FIELDS):
        return None
    for sink in sinks:
        if not getattr(sink, OWNED, False) or sink.filters or sink.level > level or sink.formatter is not formatter:
            return None
    return sinks  # type: ignore[return-value]


def write_summary(
    sinks: list[ServiceHandler],
    logger_name: str,
    level: int,
    *,
    status: int,
    duration_ms: float,
    size: int | None,
    content_type: str | None,
) -> None:
    """The line ``build_event`` would make of the summary's record, written to ``sinks``."""
    formatter: EventFormatter = sinks[0].formatter  # type: ignore[assignment]
    redactor = formatter.redactor
    event = base_event(time.time(), logging.getLevelName(level), logger_name, "request_completed", current(), redactor)
    event["status"] = status
    event["duration_ms"] = duration_ms
    event["size"] = size
    event["content_type"] = None if content_type is None else redactor.text(content_type)
    line = formatter.render(event)
    for sink in sinks:
        with sink.lock:  # type: ignore[union-attr]
            sink.write_line(line)
