"""``flask logs pretty``: log files (or stdin) drawn as the console format, filtered, followed.

Why a command: production writes JSON (in any ``LOG_SCHEMA``) or text, which machines read
well and people do not. This draws each record exactly as ``LOG_FORMAT=console`` would have
(the same ``ConsoleRenderer``, see ``observability/console.py``): time, level, logger,
message, fields, then the exception's stack as indented lines. Lines are read by
``reading.parse_record``, like every ``flask logs`` command: every schema, the text format,
``kubectl logs --prefix`` and ``docker compose logs`` prefixes (the replica they name is
shown as ``replica=``). A line that is not a record (a print, a crash on stderr, a torn
line) is passed through as it is, with non-printable characters escaped so that no line can
drive the terminal.

Filters: ``--level`` (that level and above), ``--request-id`` (a request ID or a trace ID,
repeatable), ``--path`` (a path, or a glob such as ``/orders/*``), ``--since``/``--until``
(RFC 3339 times, naive meaning UTC, or ``15m``/``2h``/``1d`` ago) and ``--grep`` (a regular
expression searched in the drawn line, stack included). ``--grep`` is also tried on lines
that are not records; the other filters need a record, so with any of them set such lines
are left out. ``--follow`` keeps reading the last file as it grows, and reopens it when it
is rotated (a new file at its path) or truncated.
"""

from __future__ import annotations

import os
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import IO, TYPE_CHECKING

import click

from .filters import when_option
from .reading import MAX_LINE_BYTES, STDIN, iter_lines, open_source, parse_record
from .records import REPLICA, Record, parse_ts, text

if TYPE_CHECKING:
    from ..observability.console import ConsoleRenderer

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Level names as other writers spell them, ranked with the service's own.
LEVEL_RANKS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "CRITICAL": 50, "FATAL": 50}
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Selection:
    """The filters given; a record or line is shown when it passes every one set."""

    level: int = 0
    request_ids: frozenset[str] = frozenset()
    path: str | None = None
    since: float | None = None
    until: float | None = None
    grep: re.Pattern[str] | None = None

    @property
    def needs_record(self) -> bool:
        return bool(self.level or self.request_ids or self.path is not None) or self.timed

    @property
    def timed(self) -> bool:
        return self.since is not None or self.until is not None

    def keeps(self, record: Record) -> bool:
        """The filters other than ``--grep``, which is tried on the drawn line."""
        if self.level and LEVEL_RANKS.get(text(record, "level").upper(), 0) < self.level:
            return False
        if self.request_ids and not self.request_ids & {text(record, "request_id"), text(record, "trace_id")}:
            return False
        if self.path is not None and not fnmatchcase(text(record, "path"), self.path):
            return False
        if self.timed:
            seconds = parse_ts(record.get("ts"))
            if seconds is None:
                return False
            if (self.since is not None and seconds < self.since) or (self.until is not None and seconds > self.until):
                return False
        return True

    def greps(self, shown: str) -> bool:
        return self.grep is None or self.grep.search(shown) is not None


def readable(record: Record) -> Record:
    """The record as the console draws it: the collector's replica as an ordinary field."""
    replica = record.pop(REPLICA, None)
    if replica is not None:
        record["replica" if "replica" not in record else "extra_replica"] = replica
    return record


def draw(line: str | None, selection: Selection, plain: ConsoleRenderer, shown: ConsoleRenderer) -> str | None:
    """What to print for one input line, or None to leave it out."""
    if line is None:  # longer than reading's limit: never a record the service wrote
        return None
    record = parse_record(line)
    if record is None:
        if selection.needs_record:
            return None
        from ..observability.console import printable  # imported on first use: see pretty_command

        passed = printable(line.rstrip("\r\n"))
        return passed if selection.greps(passed) else None
    if not selection.keeps(record):
        return None
    drawn = plain.render(readable(record))
    if not selection.greps(drawn):
        return None
    return drawn if shown is plain else shown.render(record)


def follow_lines(
    path: str, stop: Callable[[], bool] = lambda: False, poll: float = POLL_SECONDS
) -> Iterator[str | None]:
    """Every line of ``path``, then each line written to it later, until ``stop()`` says so at
    the file's end. A line is given once it is complete (a half-written line waits); when the
    path holds a new file (rotated) the old one is read to its end and the new one from its
    start; a file that shrank (truncated) is read again from its start."""
    stream = open(path, "rb")  # noqa: SIM115 - replaced on rotation, closed in finally
    pending = b""
    rotated = False
    try:
        while True:
            chunk = stream.readline(MAX_LINE_BYTES + 1 - len(pending))
            if chunk:
                pending += chunk
                if pending.endswith(b"\n"):
                    yield pending.decode("utf-8", errors="replace")
                    pending = b""
                elif len(pending) > MAX_LINE_BYTES:
                    yield None
                    pending = b""
                continue
            if rotated:  # the old file is read to its end: go on with the new one
                stream.close()
                stream, pending, rotated = open(path, "rb"), b"", False  # noqa: SIM115
                continue
            if stop():
                return
            rotated = replaced(path, stream)
            if not rotated:
                if os.fstat(stream.fileno()).st_size < stream.tell():
                    stream.seek(0)
                    pending = b""
                time.sleep(poll)
    finally:
        stream.close()


def replaced(path: str, stream: IO[bytes]) -> bool:
    """Whether ``path`` now names another file than the open ``stream`` (rotation)."""
    try:
        current = os.stat(path)
    except OSError:  # between the rename and the new file: not yet
        return False
    opened = os.fstat(stream.fileno())
    return (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev)


def input_lines(paths: Sequence[str], follow: bool, stop: Callable[[], bool] = lambda: False) -> Iterator[str | None]:
    """The lines of every file in order (stdin for none or ``-``); with ``follow``, the last
    file then goes on being read as it grows."""
    paths = list(paths) or [STDIN]
    followed = paths.pop() if follow and paths[-1] != STDIN else None
    for path in paths:
        with open_source(path) as stream:
            yield from iter_lines(stream)
    if followed is not None:
        yield from follow_lines(followed, stop)


@click.command("pretty")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="[FILE]...")
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), help="Only records at this level or above.")
@click.option("--request-id", "request_ids", multiple=True, help="Only this request ID or trace ID (repeatable).")
@click.option("--path", help="Only requests to this path; a glob such as '/orders/*' matches several.")
@click.option(
    "--since",
    metavar="TIME",
    callback=when_option,
    help="Only records from TIME: RFC 3339 (naive = UTC), or 15m, 2h, 1d ago.",
)
@click.option("--until", metavar="TIME", callback=when_option, help="Only records up to TIME, as --since.")
@click.option("--grep", "pattern", help="Only lines matching this regular expression (as drawn, stack included).")
@click.option("-f", "--follow", is_flag=True, help="Keep reading the last FILE as it grows (rotation included).")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="auto: colour a terminal unless NO_COLOR is set.",
)
@click.option("--service", "show_service", is_flag=True, help="Also show service, version and env on each line.")
def pretty_command(  # noqa: PLR0917 - one parameter per option, as click passes them
    files: tuple[str, ...],
    level: str | None,
    request_ids: tuple[str, ...],
    path: str | None,
    since: float | None,
    until: float | None,
    pattern: str | None,
    follow: bool,
    color: str,
    show_service: bool,
) -> None:
    """Draw log lines as the console format: JSON in any LOG_SCHEMA, or text.

    FILEs are read in the order given (oldest rotated file first; .gz too); none or '-'
    reads stdin, so `kubectl logs -f ... | flask logs pretty` works. Lines that are not
    records are passed through (escaped); filters other than --grep leave them out.
    """
    # Imported here, not at the top: every command's module loads with this one, and the
    # observability package brings the app's settings and Flask (reading.py says why not).
    from ..observability.console import ConsoleRenderer, printable, wants_color
    from ..observability.handlers import detach_dead_stream

    try:
        grep = re.compile(pattern) if pattern is not None else None
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}", param_hint="--grep") from None
    if follow and files and files[-1].endswith(".gz"):
        raise click.BadParameter("a .gz file does not grow: follow the live file", param_hint="--follow")
    selection = Selection(LEVEL_RANKS[level.upper()] if level else 0, frozenset(request_ids), path, since, until, grep)
    colored = color == "always" or (color == "auto" and wants_color(sys.stdout))
    plain = ConsoleRenderer(show_identity=show_service)
    shown = ConsoleRenderer(color=colored, show_identity=show_service) if colored else plain
    try:
        for line in input_lines(files, follow):
            drawn = draw(line, selection, plain, shown)
            if drawn is not None:
                click.echo(drawn, color=colored)
    except KeyboardInterrupt:  # the way out of --follow
        pass
    except BrokenPipeError:  # the reader went away (| head): nothing more to show, no traceback
        detach_dead_stream(sys.stdout)
    except (OSError, EOFError, zlib.error) as exc:  # a vanished file, a .gz cut short: keep what was shown
        raise click.ClickException(printable(str(exc))) from None
