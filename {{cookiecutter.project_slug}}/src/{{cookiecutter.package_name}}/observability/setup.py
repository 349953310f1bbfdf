"""Install the service's logging pipeline on the root logger, once per configuration.

``configure_logging`` is called by ``create_app`` before Flask first touches ``app.logger``
(so Flask adds no handler of its own) and by gunicorn's logger class in the master. It is
idempotent: handlers it installed before are closed and replaced, never stacked, so a second
``create_app`` adds no handler and no line is printed twice.

Per record: the record factory stamps the request context where the record is made ->
the logger's level -> each sink: the gate (only when per-request debug is possible) ->
the formatter (redaction + rendering) -> the write.

Process-wide state this module sets, all of it here: the root logger's handlers and level,
the levels of the loggers ``LevelPolicy`` names, the record factory (``stamp_records``),
``logging.captureWarnings``, the stdlib's record-attribute switches, and ``_active``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import replace
from typing import TextIO

from ..config import CONSOLE, DEFAULT_LOG_FORMAT, FILE_SINK_MODULE, Settings
from .console import wants_color
from .context import stamp_records
from .debug import LevelGate
from .formatting import EventFormatter
from .handlers import ServiceHandler, StdoutSink, StreamSink
from .levels import LevelPolicy
from .pipeline import Pipeline
from .schemas import formatter_for

# Marks handlers this module owns, so reconfiguring replaces exactly those.
OWNED = "_service_owned_handler"
# The pipeline installed last: the next configuration undoes the logger levels it set.
_active: Pipeline | None = None


def build_formatter(settings: Settings, stream: TextIO | None = None) -> EventFormatter:
    """Format, redaction, the service's identity and the JSON schema (``LOG_SCHEMA``). The
    console format is coloured only on a terminal, never with ``NO_COLOR``."""
    if settings.log_format != CONSOLE:
        return formatter_for(settings)
    return formatter_for(settings, color=wants_color(sys.stdout if stream is None else stream))


def build_file_formatter(settings: Settings, formatter: EventFormatter) -> EventFormatter:
    """The log file's formatter: stdout's, except that console lines (colour, a record over
    several lines) never go to a file: with LOG_FORMAT=console the file keeps the generated
    format (``DEFAULT_LOG_FORMAT``, JSON or text), which ``flask logs`` and lnav read."""
    if settings.log_format != CONSOLE:
        return formatter
    return formatter_for(replace(settings, log_format=DEFAULT_LOG_FORMAT))


class PerSinkPipeline(Pipeline):
    """A pipeline whose sinks format differently (console on stdout, JSON or text in the file).
    The summary's shortcut writes one line to every sink, so here it is off: every record goes
    through logging and each sink formats its own line. Only LOG_FORMAT=console with a file."""

    def only_listeners(self, logger: logging.Logger, level: int) -> bool:
        return False


def build_handlers(settings: Settings, stream: TextIO | None) -> list[ServiceHandler]:
    handlers: list[ServiceHandler] = []
    file_settings = settings.file
    if file_settings is None or file_settings.to_stdout:
        handlers.append(StreamSink(stream) if stream is not None else StdoutSink())
    if file_settings is not None and file_settings.path:  # only services generated with the file sink
        sink: ServiceHandler = importlib.import_module(FILE_SINK_MODULE).build_file_handler(file_settings)
        handlers.append(sink)
    return handlers


def remove_owned_handlers(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        if getattr(handler, OWNED, False):
            logger.removeHandler(handler)
            handler.close()


def skip_unused_record_attributes() -> None:
    """Stop the stdlib from gathering what no line of this service prints.

    The logging HOWTO's "Optimization" section documents these switches. Caller location
    (``findCaller`` walks the stack on every call), thread, process and task names are never
    formatted here, so gathering them only costs time on every record.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    if sys.version_info >= (3, 12):
        logging.logAsyncioTasks = False


def apply_levels(policy: LevelPolicy, gated: bool) -> None:
    """Logger levels from the policy; with the gate, every named logger lets DEBUG through
    and the gate applies the same policy per record (a debug request sees everything)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if gated else policy.base)
    if _active is not None:
        for name in _active.policy.levels:
            logging.getLogger(name).setLevel(logging.NOTSET)
    for name, level in policy.levels.items():
        logging.getLogger(name).setLevel(logging.DEBUG if gated else level)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> Pipeline:
    """Install the pipeline ``settings`` describe (to ``stream`` instead of stdout, for the
    benchmark and tests) and return it."""
    global _active
    skip_unused_record_attributes()
    stamp_records()
    root = logging.getLogger()
    remove_owned_handlers(root)
    policy = LevelPolicy(settings.log_level, settings.log_levels)
    gate = LevelGate(policy) if settings.per_request_debug_possible else None
    formatter = build_formatter(settings, stream)
    file_formatter = build_file_formatter(settings, formatter)
    sinks = build_handlers(settings, stream)
    for sink in sinks:
        setattr(sink, OWNED, True)
        if gate is not None:
            sink.addFilter(gate)
        sink.setFormatter(formatter if isinstance(sink, StreamSink) else file_formatter)
        root.addHandler(sink)
    apply_levels(policy, gate is not None)
    logging.captureWarnings(True)
    shared = all(sink.formatter is formatter for sink in sinks)
    _active = (Pipeline if shared else PerSinkPipeline)(formatter, tuple(sinks), policy, gate)
    return _active
