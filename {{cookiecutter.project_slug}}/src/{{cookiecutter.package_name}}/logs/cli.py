"""The ``flask logs`` click group: trace, slow, errors, summary and deps, each reading ->
computing -> printing, each taking the filters of ``filters`` (``--user``, ``--route``...).

Why a module: argument handling and stdout/stderr live here only; each command is a few
lines joining ``reading``, its own module, and ``render``. What was skipped goes to stderr,
so a quiet result is never mistaken for a clean one.

A request ID may start with ``-`` (it comes from the client's ``X-Request-ID``), so ``trace``
takes an unknown option as its REQUEST_ID: ``flask logs trace "$RID"`` works for any ID but
``--help`` and ``--``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import click

from .deps import ordered, tally
from .errors import failures
from .filters import Filters, filter_options, plain
from .pretty import pretty_command
from .reading import ReadStats, read_records
from .records import Record, parse_ts, service_of
from .render import (
    clean,
    render_crossed,
    render_deps,
    render_failure,
    render_slow,
    render_summary,
    render_timeline,
)
from .requests import Call, Request, call_from, requests
from .rotation import expand
from .slow import slowest
from .summary import summarise
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


def selected(files: tuple[str, ...], stats: ReadStats, filters: Filters) -> Iterator[Request]:
    """The requests of the files that pass the filters (lines without a filter's needle unread)."""
    found = requests(read_records(files, stats, filters.needles()))
    return (request for request in found if filters.keeps(request)) if filters else found


def emit(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


# A plain click group, not Flask's AppGroup: no command needs the app, and the standalone
# entry (``__main__``) then never imports Flask for its own sake.
logs_group = click.Group(
    "logs",
    help=(
        "Read the service's log files, without building the app: what fails and is slow (summary),"
        " failing requests (errors), slow ones (slow), dependencies (deps), one request (trace)."
    ),
)


def expand_files(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Each FILE with its rotated files, and each directory's log files, oldest first."""
    files = expand(value)
    if value and not files:
        raise click.BadParameter("no log files in " + ", ".join(clean(path) for path in value), ctx, param)
    return tuple(files)


FILES_HELP = (
    "A FILE is read with its rotated files, oldest first (app.log.5 ... app.log.1, then app.log;"
    " .N.gz too); a DIR means every log file in it (.lock files skipped). No FILE, or '-', reads stdin."
)
F = TypeVar("F", bound=Callable[..., None])


def files_argument(command: F) -> F:
    """The FILE|DIR arguments every command takes, and their paragraph in its help."""
    command.__doc__ = f"{inspect.cleandoc(command.__doc__ or '')}\n\n{FILES_HELP}"
    argument = click.argument(
        "files", nargs=-1, type=click.Path(exists=True, allow_dash=True), metavar="[FILE|DIR]...", callback=expand_files
    )
    return argument(command)


# An ID such as "-abc" is not an option here: trace has none but --help, so an unknown
# option is left in place as the REQUEST_ID (or a FILE) instead of failing the runbook.
@logs_group.command("trace", context_settings={"ignore_unknown_options": True})
@click.argument("request_id")
@files_argument
@filter_options
def trace_command(request_id: str, files: tuple[str, ...], filters: Filters) -> None:
    """One request's records as a timeline, its first problem, and where its time went.

    REQUEST_ID is a request ID or a W3C trace ID. FILEs may come from several services and
    replicas, in any LOG_SCHEMA, with kubectl or docker compose prefixes: their lines are
    merged by time, and a call to another service shows that service's lines under it.
    """
    stats = ReadStats()
    needles = [request_id] if plain(request_id) else []
    records = read_records(files, stats, needles + filters.needles())
    matched, dropped = collect_request(records, request_id)
    report_reading(stats)
    if filters:
        kept = {(r.service, r.request_id) for r in requests(matched) if filters.keeps(r)}
        matched = [r for r in matched if (service_of(r), r.get("request_id")) in kept]
    if not matched:
        wanted = " matching the filters" if filters else ""
        raise click.ClickException(f"no records with request_id or trace_id '{clean(request_id)}'{wanted}")
    emit(render_timeline(build_timeline(request_id, matched, dropped)))


@logs_group.command("slow")
@files_argument
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="How many requests to list.")
@click.option("--min-ms", type=click.FloatRange(min=0), help="Only requests at least this slow, and how many were.")
@filter_options
def slow_command(files: tuple[str, ...], top: int, min_ms: float | None, filters: Filters) -> None:
    """The slowest requests (from request_completed records), slowest first, each with its
    slowest dependency call."""
    stats = ReadStats()
    result = slowest(selected(files, stats, filters), top, min_ms or 0.0)
    report_reading(stats)
    if result.rows:
        emit(render_slow(result.rows))
    elif not result.total:
        click.echo("no request_completed records found", err=True)
    if min_ms is not None:
        click.echo(render_crossed(result, min_ms))


@logs_group.command("errors")
@files_argument
@filter_options
def errors_command(files: tuple[str, ...], filters: Filters) -> None:
    """Failing requests (5xx, or any ERROR record), one line each: its user, the dependency
    whose call failed first, and its first problem (its first WARNING or ERROR, as trace
    marks it), with the exception when that came later."""
    stats = ReadStats()
    count = 0
    for failure in failures(selected(files, stats, filters)):
        click.echo(render_failure(failure))
        count += 1
    report_reading(stats)
    if not count:
        click.echo("no failing requests found", err=True)


@logs_group.command("summary")
@files_argument
@click.option("--slow-ms", default=1000.0, show_default=True, type=click.FloatRange(min=0), help="What counts as slow.")
@filter_options
def summary_command(files: tuple[str, ...], slow_ms: float, filters: Filters) -> None:
    """What is failing and what is slow: failed requests grouped by route, status, exception
    and failing dependency, slow ones by route, status and slowest dependency; each group with
    its count, its share of the route's requests, its rate per minute, its user when it has
    one, and an example request ID to trace."""
    stats = ReadStats()
    summary = summarise(selected(files, stats, filters), slow_ms)
    report_reading(stats)
    emit(render_summary(summary))


@logs_group.command("deps")
@files_argument
@filter_options
def deps_command(files: tuple[str, ...], filters: Filters) -> None:
    """Each dependency's calls: how many failed, their outcomes (statuses, error categories)
    and p50/p95/max duration; per operation too where a dependency has several. With
    --dependency, only that dependency's calls."""
    stats = ReadStats()
    if filters.selects_requests:  # the calls of the requests that pass
        calls: Iterable[tuple[str, Call]] = (
            (request.service, call)
            for request in selected(files, stats, filters)
            for call in request.calls
            if filters.keeps_call(call)
        )
    else:  # every call, requests' or not, one record at a time
        needles = [*filters.needles(), "dependency_call"]  # a user ID is the rarer
        calls = (
            (service_of(record), call)
            for record in read_records(files, stats, needles)
            if record.get("msg") == "dependency_call" and in_window(record, filters)
            for call in (call_from(record),)
            if filters.keeps_call(call)
        )
    rows = ordered(tally(calls))
    report_reading(stats)
    if not rows:
        click.echo("no dependency_call records found", err=True)
        return
    emit(render_deps(rows))


def in_window(record: Record, filters: Filters) -> bool:
    return filters.in_window(parse_ts(record.get("ts"))) if filters.since or filters.until else True


logs_group.add_command(pretty_command)
