"""In-process measurements of the baked service's logging pipeline (run by ``run.py``).

Why a separate script: it must import the *baked* package (``src/`` on ``PYTHONPATH``) in a
fresh interpreter of the benchmark's virtualenv, so nothing the orchestrator imported or
configured can leak into the numbers. It prints one JSON object on stdout and nothing else.

What it measures:

- per-record cost of ``logging.getLogger("http").info("request_completed", extra=...)``
  through the service's configured pipeline (``configure_logging``), against the same call
  through a plain ``StreamHandler`` with python-json-logger's formatter and with the seed
  article's naive "dump every record attribute" formatter; batches of all of them are
  interleaved so drift (frequency scaling, noisy neighbours) hits all of them alike;
  ``--variants`` adds the service configured otherwise (a ``LOG_SCHEMA``, say) to the batches;
- the redactor's cost on 1 KB, 100 KB and 1 MB payloads (it should be bounded, not linear);
- the cost and line size of logging a record with such a payload through the whole pipeline;
- the line the service and the naive formatter write for one real ``GET /health`` record.

Run by hand for a profile of the hot path:
``PYTHONPATH=<baked>/src python bench/micro.py --package my_service --profile``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import json
import logging
import os
import pstats
import statistics
import sys
import time
import timeit
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TextIO

# LOG_PROBE_PATHS empty: the /health request whose line is measured logs its summary at INFO
# (by default a successful probe's summary is DEBUG, and would not be written at all).
OVERRIDES = {"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": "json", "LOG_PROBE_PATHS": ""}
EXTRA = {"status": 200, "duration_ms": 1.23, "size": 16, "content_type": "application/json"}
NAIVE_SKIPPED = ("args", "msg", "exc_info", "exc_text", "stack_info")
PJL_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
SIZES = {"1KB": 1_000, "100KB": 100_000, "1MB": 1_000_000}
MIN_BATCH_SECONDS = 0.05
BOUND_REPEATS = 5


class NaiveJsonFormatter(logging.Formatter):
    """The seed article's formatter, kept as the "before" picture.

    It serialises every LogRecord attribute (pathname, thread name, process ID, ...) on every
    record, which is what makes its lines long and its cost grow with what callers attach.
    """

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key.startswith("_") or key in NAIVE_SKIPPED:
                continue
            payload[key] = value
        return json.dumps(payload, ensure_ascii=False)


def pjl_formatter() -> logging.Formatter:
    """python-json-logger's formatter: ``pythonjsonlogger.json`` in v3+, ``jsonlogger`` before."""
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:
        from pythonjsonlogger.jsonlogger import JsonFormatter
    return JsonFormatter(PJL_FORMAT)


@dataclass(frozen=True)
class Service:
    """The baked package's modules this script drives."""

    package: ModuleType
    config: ModuleType
    setup: ModuleType
    context: ModuleType
    redaction: ModuleType


def load_service(name: str) -> Service:
    def module(suffix: str) -> ModuleType:
        return importlib.import_module(f"{name}.{suffix}")

    return Service(
        package=importlib.import_module(name),
        config=module("config"),
        setup=module("observability.setup"),
        context=module("observability.context"),
        redaction=module("observability.redaction"),
    )


def configure(service: Service, stream: TextIO, overrides: dict[str, str] | None = None) -> None:
    """The service's own start-up path for logging, pointed at ``stream``."""
    settings = service.config.load_settings(OVERRIDES | (overrides or {}))
    service.setup.configure_logging(settings, stream=stream)


def isolated_logger(name: str, formatter: logging.Formatter, stream: TextIO) -> logging.Logger:
    """A logger with one plain StreamHandler that does not reach the service's root handlers."""
    logger = logging.getLogger(name)
    logger.handlers.clear()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


@contextlib.contextmanager
def request_context(service: Service) -> Iterator[None]:
    """Bind a request context like the one ``request_completed`` is logged in."""
    ctx = service.context
    token = ctx.bind(ctx.LogContext(request_id=uuid.uuid4().hex, method="GET", path="/health"))
    try:
        yield
    finally:
        ctx.unbind(token)


# The logging module's switches for gathering record attributes (caller location, thread,
# process, task). The service's configure_logging turns off what it never prints, and installs
# a record factory that stamps the request context; a python-json-logger user runs with the
# standard library's defaults and its own factory. Each variant is timed in its own state
# (switches and factory), as it would run in its own process.
FLAG_NAMES = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing", "logAsyncioTasks")
STDLIB_FLAGS = {name: getattr(logging, name, None) for name in FLAG_NAMES}


def current_flags() -> dict[str, object]:
    return {name: getattr(logging, name, None) for name in FLAG_NAMES}


def apply_flags(flags: dict[str, object]) -> None:
    for name, value in flags.items():
        setattr(logging, name, value)


Prepare = Callable[[], None]


def interleaved_us(
    calls: dict[str, Callable[[], object]], repeats: int, number: int, prepares: dict[str, Prepare]
) -> dict[str, list[float]]:
    """Microseconds per call for each variant, one batch of each per repeat, order rotating.
    Before each batch, the variant's ``prepare`` puts logging in the state it runs under."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            prepares[name]()
            seconds = timeit.Timer(calls[name]).timeit(number)
            samples[name].append(seconds / number * 1e6)
    return samples


def summary(samples: list[float]) -> dict[str, object]:
    return {"median_us": statistics.median(samples), "min_us": min(samples), "samples_us": samples}


def record_calls(
    service: Service, sink: TextIO, variants: dict[str, dict[str, str]]
) -> tuple[dict[str, Callable[[], object]], dict[str, Prepare]]:
    """The ways of logging the same ``request_completed`` record that are compared, and how
    to put logging in the state each runs under in its own process.

    The service's records run with its ``configure_logging``: its record factory (which
    stamps the request context) and its record switches. The baselines run with neither:
    the standard library's own factory and defaults, as in a process without the service.
    ``stdlib_floor`` (a plain ``%(message)s`` formatter) is what the standard library's
    logger, handler and stream write cost on their own: no JSON formatter can go below it.
    ``python_json_logger_service_flags`` is python-json-logger with the service's switches,
    to show how much of the difference the formatter alone makes. Each of ``variants``
    (name -> settings overrides, e.g. ``LOG_SCHEMA``) is the service configured so, timed
    as ``ours:<name>``; with variants, every batch of the service reconfigures it first.
    """
    plain_factory = logging.getLogRecordFactory()
    apply_flags(STDLIB_FLAGS)
    configure(service, sink)
    service_flags = current_flags()
    stamping_factory = logging.getLogRecordFactory()

    def as_service(overrides: dict[str, str] | None = None) -> Prepare:
        def prepare() -> None:
            logging.setLogRecordFactory(stamping_factory)
            if variants:
                configure(service, sink, overrides)
            apply_flags(service_flags)

        return prepare

    def as_plain(flags: dict[str, object]) -> Prepare:
        def prepare() -> None:
            logging.setLogRecordFactory(plain_factory)
            apply_flags(flags)

        return prepare

    ours = logging.getLogger("http")
    pjl = isolated_logger("bench.pjl", pjl_formatter(), sink)
    naive = isolated_logger("bench.naive", NaiveJsonFormatter(), sink)
    floor = isolated_logger("bench.floor", logging.Formatter("%(message)s"), sink)

    def service_call() -> object:
        return ours.info("request_completed", extra=EXTRA)

    calls: dict[str, Callable[[], object]] = {"ours": service_call}
    prepares = {"ours": as_service()}
    for name, overrides in variants.items():
        calls[f"ours:{name}"] = service_call
        prepares[f"ours:{name}"] = as_service(overrides)
    calls |= {
        "python_json_logger": lambda: pjl.info("request_completed", extra=EXTRA),
        "python_json_logger_service_flags": lambda: pjl.info("request_completed", extra=EXTRA),
        "naive": lambda: naive.info("request_completed", extra=EXTRA),
        "stdlib_floor": lambda: floor.info("request_completed", extra=EXTRA),
    }
    prepares |= {
        "python_json_logger": as_plain(STDLIB_FLAGS),
        "python_json_logger_service_flags": as_plain(service_flags),
        "naive": as_plain(STDLIB_FLAGS),
        "stdlib_floor": as_plain(STDLIB_FLAGS),
    }
    return calls, prepares


def format_calls(
    service: Service, sink: TextIO, variants: dict[str, dict[str, str]]
) -> dict[str, Callable[[], object]]:
    """``Formatter.format`` alone on a ready record: the formatters without logging's overhead.

    Each formatter gets its own record (python-json-logger adds attributes to the records it
    formats), stamped by the service's handler filters as in production. Each of
    ``variants`` contributes the formatter the service builds with its settings.
    """
    calls: dict[str, Callable[[], object]] = {}
    for name, overrides in [("ours", {}), *((f"ours:{n}", o) for n, o in variants.items())]:
        configure(service, sink, overrides)
        calls[name] = service_format_call()
    configure(service, sink)
    for name, formatter in (("python_json_logger", pjl_formatter()), ("naive", NaiveJsonFormatter())):
        calls[name] = service_format_call(formatter)
    return calls


def service_format_call(formatter: logging.Formatter | None = None) -> Callable[[], object]:
    """``format`` of one ready ``request_completed`` record, by ``formatter`` or the service's."""
    handler = next(h for h in logging.getLogger().handlers if h.formatter is not None)
    record = logging.getLogger("http").makeRecord("http", logging.INFO, __file__, 1, "request_completed", (), None)
    record.__dict__.update(EXTRA)
    handler.filter(record)
    chosen = formatter or handler.formatter
    return lambda: chosen.format(record)


def timed_variants(
    calls: dict[str, Callable[[], object]], repeats: int, number: int, prepares: dict[str, Prepare] | None = None
) -> dict[str, object]:
    prepares = prepares or dict.fromkeys(calls, lambda: None)
    for name, call in calls.items():  # warm caches (timestamp second, key cache) before timing
        prepares[name]()
        for _ in range(min(number, 2000)):
            call()
    samples = interleaved_us(calls, repeats, number, prepares)
    return {name: summary(values) for name, values in samples.items()}


def per_record(service: Service, repeats: int, number: int, variants: dict[str, dict[str, str]]) -> dict[str, object]:
    with open(os.devnull, "w", encoding="utf-8") as sink, request_context(service):
        calls, prepares = record_calls(service, sink, variants)
        logged = timed_variants(calls, repeats, number, prepares)
        prepares["ours"]()  # the service's own state again, for what follows
        formatted = timed_variants(format_calls(service, sink, variants), repeats, number)
    return logged | {"format_only": formatted, "repeats": repeats, "number": number}


def nested_payload(target_bytes: int) -> dict[str, object]:
    """Nested dicts and lists of about ``target_bytes`` of JSON, sensitive keys at every level."""
    groups: list[list[dict[str, object]]] = []
    payload: dict[str, object] = {
        "request": {"headers": {"Authorization": "Bearer abcdefgh12345678", "Accept": "application/json"}},
        "api_key": "k-0123456789",
        "groups": groups,
    }
    size = len(json.dumps(payload))
    index = 0
    while size < target_bytes:
        if index % 100 == 0:
            groups.append([])
        item = {
            "id": index,
            "name": f"item-{index}",
            "password": "hunter2",
            "tags": ["alpha", "beta", "gamma"],
            "profile": {"email": f"user{index}@example.com", "session_id": "s" * 16, "bio": "lorem ipsum " * 4},
        }
        groups[-1].append(item)
        size += len(json.dumps(item)) + 2
        index += 1
    return payload


def text_payload(target_chars: int) -> str:
    """Free text with a secret in it, ``target_chars`` long."""
    chunk = "user logged in; token=abc123def456 from https://example.com/path?q=1 lorem ipsum. "
    return (chunk * (target_chars // len(chunk) + 1))[:target_chars]


def bounded_us(fn: Callable[[], object]) -> dict[str, object]:
    """Median microseconds per call, with a batch size that makes each batch >= 50 ms."""
    timer = timeit.Timer(fn)
    number = 1
    while timer.timeit(number) < MIN_BATCH_SECONDS and number < 1_000_000:
        number *= 4
    samples = [timer.timeit(number) / number * 1e6 for _ in range(BOUND_REPEATS)]
    return {"median_us": statistics.median(samples), "min_us": min(samples), "number": number}


def redaction_bound(service: Service) -> dict[str, object]:
    """Redactor.value/.text per payload size: bounded work should make these roughly flat."""
    redactor = service.redaction.Redactor()
    results: dict[str, object] = {}
    for label, size in SIZES.items():
        nested, text = nested_payload(size), text_payload(size)
        results[label] = {
            "value": bounded_us(lambda p=nested: redactor.value(p)) | {"json_bytes": len(json.dumps(nested))},
            "text": bounded_us(lambda t=text: redactor.text(t)) | {"chars": len(text)},
        }
    return results


# Texts built to make a redactor rescan (each 4 KB or 16 KB of the same fragment), beside a
# benign message of the same size that names one secret. Linear work makes 16 KB cost about
# 4x what 4 KB does; a quadratic matcher costs 16x (the first version: pwd= x 1024, 16 ms).
HOSTILE_TEXTS = ("pwd=", "pwdx", "cookie: ", 'password: "', "password:\n", "token=a, ", "://a:", "eyJ", "[")
BENIGN_TEXT = "GET /orders/123 user=ann status=200 took 12 ms; "


def hostile_redaction(service: Service) -> dict[str, object]:
    """Redactor.text on hostile texts of 4 KB and 16 KB (no truncation), and on a benign one."""
    redactor = service.redaction.Redactor()
    cases = {repr(f if f != "[" else "password=[[["): (f if f != "[" else "password=[[[", "") for f in HOSTILE_TEXTS}
    cases["benign, one secret"] = (BENIGN_TEXT, " password=x")
    results: dict[str, object] = {}
    for label, (fragment, tail) in cases.items():
        results[label] = {}
        for size, chars in (("4KB", 4096), ("16KB", 16384)):
            text = (fragment * (chars // len(fragment) + 1))[: chars - len(tail)] + tail
            timing = bounded_us(lambda t=text, n=chars: redactor.text(t, n))
            results[label][size] = timing["median_us"]
    return results


def logged_line(service: Service, extra: dict[str, object]) -> str:
    """The line the configured pipeline writes for one record with ``extra``."""
    buffer = io.StringIO()
    configure(service, buffer)
    logging.getLogger("http").info("request_completed", extra=extra)
    return buffer.getvalue().rstrip("\n")


def end_to_end(service: Service) -> dict[str, object]:
    """Logging a record that carries a big ``extra`` through the whole configured pipeline."""
    extras = {f"dict_{label}": {**EXTRA, "payload": nested_payload(size)} for label, size in SIZES.items()}
    extras["str_1MB"] = {**EXTRA, "payload": text_payload(SIZES["1MB"])}
    with request_context(service):
        return {label: record_cost(service, extra) for label, extra in extras.items()}


def record_cost(service: Service, extra: dict[str, object]) -> dict[str, object]:
    line_bytes = len(logged_line(service, extra).encode())
    with open(os.devnull, "w", encoding="utf-8") as sink:
        configure(service, sink)
        log = logging.getLogger("http")
        return bounded_us(lambda: log.info("request_completed", extra=extra)) | {"line_bytes": line_bytes}


def request_lines(service: Service) -> dict[str, str]:
    """One real ``GET /health`` through Flask's test client, as ours and as the naive formatter.

    The naive handler is added after the service's, so it formats the very record the
    service's handler stamped with the request context: same record, two renderings.
    """
    ours_out, naive_out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(ours_out):  # the service's handler writes to sys.stdout
        app = service.package.create_app(OVERRIDES)
        naive = logging.StreamHandler(naive_out)
        naive.setFormatter(NaiveJsonFormatter())
        root = logging.getLogger()
        root.addHandler(naive)
        try:
            status = app.test_client().get("/health").status_code
        finally:
            root.removeHandler(naive)
    if status != 200:
        raise RuntimeError(f"GET /health answered {status}")
    return {"ours": completed_line(ours_out.getvalue()), "naive": completed_line(naive_out.getvalue())}


def completed_line(output: str) -> str:
    for line in output.splitlines():
        if '"request_completed"' in line:
            return line
    raise RuntimeError(f"no request_completed line in {output[:500]!r}")


def profile(service: Service, number: int) -> None:
    """cProfile of the service's per-record path, printed to stderr (not part of the run)."""
    with open(os.devnull, "w", encoding="utf-8") as sink, request_context(service):
        calls, prepares = record_calls(service, sink, {})
        prepares["ours"]()
        call = calls["ours"]
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [call() for _ in range(number)])
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", required=True, help="the baked package's import name")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the hot path and exit")
    parser.add_argument(
        "--variants",
        type=json.loads,
        default={},
        help='JSON {"name": {"SETTING": "value"}}: the service configured so, timed per record beside ours',
    )
    args = parser.parse_args()
    service = load_service(args.package)
    if args.profile:
        profile(service, args.number)
        return
    result = {
        "per_record": per_record(service, args.repeats, args.number, args.variants),
        "redaction": redaction_bound(service),
        "hostile_redaction": hostile_redaction(service),
        "end_to_end": end_to_end(service),
        "request_lines": request_lines(service),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
