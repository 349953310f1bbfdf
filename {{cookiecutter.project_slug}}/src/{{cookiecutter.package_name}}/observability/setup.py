"""Install the service's logging pipeline on the root logger, once per configuration.

``configure_logging`` is called by ``create_app`` before Flask first touches ``app.logger``
(so Flask adds no handler of its own) and by gunicorn's logger class in the master. It is
idempotent: handlers it installed before are closed and replaced, never stacked, so a second
``create_app`` adds no handler and no line is printed twice.

Pipeline per handler: the handler stamps the request context on the logging thread ->
LevelGate (only when per-request debug is possible) -> formatter (redaction + rendering).
"""

from __future__ import annotations

import logging
from typing import TextIO

from ..config import Settings
from .debug import LevelGate
from .formatting import JsonFormatter, TextFormatter
from .handlers import StdoutSink, StreamSink
from .redaction import Redactor

# Marks handlers this module owns, so reconfiguring replaces exactly those.
OWNED = "_service_owned_handler"
DEFAULT_LOGGER_LEVELS = {"werkzeug": "WARNING"}
# Loggers whose level the last configuration set, reset before the next one applies its own.
_levelled_loggers: set[str] = set()


def build_formatter(settings: Settings) -> logging.Formatter:
    redactor = Redactor(settings.log_redact_keys)
    return JsonFormatter(redactor) if settings.log_format == "json" else TextFormatter(redactor)


def build_handlers(settings: Settings, stream: TextIO | None) -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    file_settings = settings.file
    if file_settings is None or file_settings.to_stdout:
        handlers.append(StreamSink(stream) if stream is not None else StdoutSink())
    if file_settings is not None and file_settings.path:
        from .file_handler import build_file_handler

        handlers.append(build_file_handler(file_settings))
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
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # Python 3.12+; harmless before


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    skip_unused_record_attributes()
    root = logging.getLogger()
    remove_owned_handlers(root)
    formatter = build_formatter(settings)
    gate = LevelGate(settings.log_level, settings.log_levels) if settings.per_request_debug_possible else None
    for handler in build_handlers(settings, stream):
        setattr(handler, OWNED, True)
        if gate is not None:
            handler.addFilter(gate)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    # With the gate installed the loggers must let DEBUG through; the gate decides per request.
    root.setLevel("DEBUG" if gate is not None else settings.log_level)
    for name in _levelled_loggers:
        logging.getLogger(name).setLevel(logging.NOTSET)
    _levelled_loggers.clear()
    for name, level in {**DEFAULT_LOGGER_LEVELS, **settings.log_levels}.items():
        logging.getLogger(name).setLevel(level)
        _levelled_loggers.add(name)
    logging.captureWarnings(True)
