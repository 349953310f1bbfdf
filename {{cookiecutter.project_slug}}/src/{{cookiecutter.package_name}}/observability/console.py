"""``LOG_FORMAT=console``: the same event dict as the JSON and text formats, drawn for a person.

Why a module: local work wants lines a person reads at a glance, and production wants lines
a machine reads back; both must carry the same fields, redacted the same way. So this is not
a second pipeline: ``ConsoleFormatter`` is an ``EventFormatter`` like ``JsonFormatter`` and
``TextFormatter``, and only its ``render`` differs. ``build_event`` has already made and
redacted the event dict when ``render`` sees it. ``flask logs pretty`` draws the records it
reads from log files with the same ``ConsoleRenderer``, so a file read later looks like the
terminal did.

A line is the time of day (UTC, as in ``ts``), the level (coloured), the logger, the message,
then every other field as ``key=value`` (written by the text format's ``text_value``, so
quoting and escaping are the text format's), leaving out context fields that are ``-`` and,
for the service's own lines, its identity (the same on every line). An exception's stack
(``exc``) and ``stack`` follow as real lines, indented, each line escaped: this is the one
format where a record may take several lines, which is why it is never written to a file
(``setup.py`` keeps JSON or text there) and never chosen unless configured.

Colour only goes to a terminal: ``wants_color`` says no for anything that is not a TTY, for
``TERM=dumb`` and whenever ``NO_COLOR`` is set to a non-empty value (https://no-color.org).
No logged value can drive the terminal: every character that is not printable (escape
sequences, carriage returns, bidi controls) is shown escaped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from .formatting import IDENTITY_FIELDS, EventFormatter, ServiceIdentity, text_key, text_value
from .redaction import Redactor

# Select Graphic Rendition codes; nothing else is ever written.
RESET = "\x1b[0m"
DIM = "\x1b[2m"
BOLD = "\x1b[1m"
KEY = "\x1b[36m"  # cyan
LEVEL_COLORS = {
    "DEBUG": "\x1b[34m",  # blue
    "INFO": "\x1b[32m",  # green
    "WARNING": "\x1b[33m",  # yellow
    "ERROR": "\x1b[31m",  # red
    "CRITICAL": "\x1b[1;97;41m",  # bold white on red
}
LEVEL_WIDTH = len("CRITICAL")
LOGGER_WIDTH = 12
CLOCK_WIDTH = len("19:09:14.123")
# Multi-line fields, written after the line as indented lines.
MULTILINE_FIELDS = ("exc", "stack")
HEAD_FIELDS = frozenset({"ts", "level", "logger", "msg", *MULTILINE_FIELDS})
# Request-context fields, left out when they hold the "outside a request" marker.
CONTEXT_FIELDS = frozenset({"request_id", "user_id", "method", "path"})
MISSING = "-"
INDENT = "    "
# The formatter's own ts: the clock part is what a person at a terminal needs.
OWN_TS = re.compile(r"\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d\.\d{3})Z")


def wants_color(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Whether lines written to ``stream`` should be coloured: a terminal, no ``NO_COLOR``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def printable(value: str) -> str:
    """``value`` with every non-printable character (ESC, CR, line and bidi controls) escaped."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)


def as_text(value: object) -> str:
    return printable(value if isinstance(value, str) else text_value(value))


def clock(ts: object) -> str:
    """``19:09:14.123`` for the formatter's own ``ts``; any other ``ts`` (from a file) as it is."""
    if isinstance(ts, str):
        match = OWN_TS.fullmatch(ts)
        return match.group(1) if match else printable(ts)
    return MISSING if ts is None else as_text(ts)


class ConsoleRenderer:
    """An event dict (the service's own fields) -> the console's lines, joined by ``\\n``.

    ``show_identity``: whether ``service``, ``version`` and ``env`` are written (the live
    console leaves them out, since they are its own; ``flask logs pretty`` keeps them, since
    its input may come from several services). Never raises on odd values: a record read from
    a file may hold anything JSON can.
    """

    def __init__(self, *, color: bool = False, show_identity: bool = False) -> None:
        self.color = color
        self.hidden = frozenset() if show_identity else frozenset(IDENTITY_FIELDS)

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text

    def render(self, event: Mapping[str, object]) -> str:
        level = as_text(event.get("level", MISSING))
        logger = as_text(event.get("logger", MISSING))
        message = as_text(event.get("msg", ""))
        head = " ".join(
            (
                self.paint(DIM, clock(event.get("ts")).ljust(CLOCK_WIDTH)),
                self.paint(LEVEL_COLORS.get(level.upper(), ""), level.ljust(LEVEL_WIDTH)),
                self.paint(DIM, logger.ljust(LOGGER_WIDTH)),
                self.paint(BOLD, message),
            )
        )
        fields = self.fields(event.items())
        lines = [f"{head} {fields}" if fields else head]
        for key in MULTILINE_FIELDS:
            value = event.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                lines.extend(INDENT + printable(line) for line in value.rstrip("\n").split("\n"))
            else:
                lines.append(f"{INDENT}{self.paint(KEY, key)}={as_text(value)}")
        return "\n".join(lines)

    def fields(self, items: Iterable[tuple[str, object]]) -> str:
        parts = []
        for key, value in items:
            if key in HEAD_FIELDS or key in self.hidden or (value == MISSING and key in CONTEXT_FIELDS):
                continue
            parts.append(f"{self.paint(KEY, text_key(key))}={printable(text_value(value))}")
        return " ".join(parts)


class ConsoleFormatter(EventFormatter):
    """``LOG_FORMAT=console``: ``build_event``'s dict (redacted), drawn by ``ConsoleRenderer``.

    Takes no schema: schemas are JSON layouts for backends (``config.py`` refuses one with
    this format), and a person reads the service's own field names.
    """

    def __init__(
        self, redactor: Redactor | None = None, identity: ServiceIdentity | None = None, *, color: bool = False
    ) -> None:
        super().__init__(redactor, identity)
        self.renderer = ConsoleRenderer(color=color)

    def render(self, event: dict[str, object]) -> str:
        return self.renderer.render(event)
