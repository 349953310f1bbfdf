"""The service's logging pipeline as one object, and the summary's short way through it.

``configure_logging`` builds a ``Pipeline``: the formatter (with the one configured
redactor), the sinks on the root logger, the level policy and, when per-request debug is
possible, the gate. Request logging emits its summary through ``Pipeline.emit``.

``request_completed`` is the one record every request writes, and making and dispatching a
LogRecord costs more than building and writing its line. When nothing but the pipeline's
own sinks would see the record, ``emit`` asks the formatter for the line through the same
entry point every record uses (``EventFormatter.line``) and writes it to those sinks, with
the gate's decision applied as logging would apply it. Anything else that could see or
change the record (another handler, such as pytest's caplog, Sentry's or OpenTelemetry's; a
filter; a record factory that is not ours; a patched ``Logger``) and the record goes
through logging instead. Either way, one function made the line, so the two cannot differ.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .context import current, is_stamping
from .debug import LevelGate
from .formatting import EventFormatter
from .handlers import ServiceHandler
from .levels import LevelPolicy
from .redaction import Redactor

Fields = Sequence[tuple[str, object]]


@dataclass(frozen=True)
class Pipeline:
    formatter: EventFormatter
    sinks: tuple[ServiceHandler, ...]
    policy: LevelPolicy
    gate: LevelGate | None

    @property
    def redactor(self) -> Redactor:
        return self.formatter.redactor

    def only_listeners(self, logger: logging.Logger, level: int) -> bool:
        """Whether a record of ``logger`` at ``level`` would reach nothing but these sinks,
        unchanged. Checked per record: a handler or filter may be added at any time."""
        root = logging.root
        if root.handlers != list(self.sinks) or logger.handlers or logger.filters or logger.disabled:
            return False
        if not logger.propagate or logger.parent is not root or logger.__class__ is not logging.Logger:
            return False
        if not is_stamping(logging.getLogRecordFactory()):  # someone else's factory sees records
            return False
        if logging.Logger.handle.__module__ != "logging" or logging.Logger.callHandlers.__module__ != "logging":
            return False  # patched (Sentry's logging integration patches callHandlers)
        expected = [self.gate] if self.gate is not None else []
        return all(sink.filters == expected and sink.level <= level for sink in self.sinks)

    def emit(self, logger: logging.Logger, level: int, message: str, fields: Fields) -> None:
        """Log ``message`` with ``fields`` as extras, the shortest way that gives the same line."""
        if not logger.isEnabledFor(level):
            return
        if self.only_listeners(logger, level):
            context = current()
            if self.gate is not None and not self.gate.allows(level, logger.name, context):
                return
            line = self.formatter.line(time.time(), logging.getLevelName(level), logger.name, message, context, fields)
            for sink in self.sinks:
                with sink.lock:  # type: ignore[union-attr]
                    sink.write_line(line)
            return
        record = logger.makeRecord(logger.name, level, "(unknown file)", 0, message, (), None, "(unknown function)")
        record.__dict__.update(fields)  # extra without its per-key checks: these names are ours
        logger.handle(record)
