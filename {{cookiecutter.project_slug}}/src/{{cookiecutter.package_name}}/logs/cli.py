"""The ``flask logs`` click group: trace, slow and errors, each reading -> computing -> printing.

Why a module: argument handling and stdout/stderr live here only; each command is a few
lines joining ``reading``, its own module, and ``render``. What was skipped goes to stderr,
so a quiet result is never mistaken for a clean one.

A request ID may start with ``-`` (it comes from the client's ``X-Request-ID``), so ``trace``
takes an unknown option as its REQUEST_ID: ``flask logs trace "$RID"`` works for any ID but
``--help`` and ``--``.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from flask.cli import AppGroup

from .errors import failing_requests
from .reading import ReadStats, read_records
from .render import clean, render_failure, render_slow, render_timeline
from .slow import slowest
from .trace import build_timeline, collect_request


def report_reading(stats: ReadStats) -> None:
    """Tell stderr what was skipped, so a quiet result is never mistaken for a clean one."""
    for problem in stats.problems:
        click.echo(f"warning: {clean(problem)}", err=True)
    if stats.skipped:
        noun = "line that was not a log record" if stats.skipped == 1 else "lines that were not log records"
        click.echo(f"skipped {stats.skipped} {noun}", err=True)
    if stats.skipped and not stats.records:
        click.echo("no log records at all: this tool reads the service's own lines, JSON or text", err=True)


def emit(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


logs_group = AppGroup(
    "logs",
    help="Read the service's log files: trace one request, list slow or failing requests.",
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

    REQUEST_ID is a request ID or a W3C trace ID. FILEs may come from several services and
    replicas, in any LOG_SCHEMA, with kubectl or docker compose prefixes: their lines are
    merged by time, and a call to another service shows that service's lines under it.
    FILEs are read in the order given (oldest rotated file first); none or '-' reads stdin.
    """
    stats = ReadStats()
    matched, dropped = collect_request(read_records(files, stats), request_id)
    report_reading(stats)
    if not matched:
        raise click.ClickException(f"no records with request_id or trace_id '{clean(request_id)}'")
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
