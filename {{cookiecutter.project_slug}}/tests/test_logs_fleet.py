"""``flask logs`` across a fleet: every schema, several services and replicas, collector prefixes.

The same requests, logged by the real pipeline in each LOG_SCHEMA (and in text), give the same
answers from trace, slow and errors. Lines behind ``kubectl logs --prefix`` and ``docker
compose logs`` prefixes (colours and timestamps included) read as the lines themselves, and
name their replica. A request that crossed services is one timeline: lines merged by time,
each with its service, and a dependency call shows the called service's lines under it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.logs import logs_group
from {{ cookiecutter.package_name }}.logs.reading import parse_record
from {{ cookiecutter.package_name }}.observability import StepTimer, track_dependency
from {{ cookiecutter.package_name }}.observability.context import LogContext
from {{ cookiecutter.package_name }}.observability.formatting import JsonFormatter, ServiceIdentity, TextFormatter, render_json
from {{ cookiecutter.package_name }}.observability.redaction import Redactor
from {{ cookiecutter.package_name }}.observability.schemas import mapper_for

from gunicorn_helpers import BASE_OVERRIDES

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SCHEMAS = ["native", "ecs", "gcp", "datadog"]
PAIR = re.compile(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S+)')


def make_app() -> Flask:
    app = create_app({**BASE_OVERRIDES, "LOG_FORMAT": "json"})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/work")
    def work():
        with StepTimer("load_user"):
            pass
        with track_dependency("billing", "GET", "http://billing.internal/charge") as call:
            call.status = 503
        return {"ok": True}

    @app.get("/boom")
    def boom():
        raise RuntimeError("database exploded")

    @app.get("/unavailable")
    def unavailable():
        return {"error": "down"}, 503

    return app


@pytest.fixture
def logged(logs) -> Callable[[str], str]:
    """Four requests served by the real pipeline, once; their lines in ``schema``: the same
    events, mapped by the schema as the formatter maps them (the live pipeline in each schema
    is tested in test_schemas.py)."""
    client = make_app().test_client()
    for request_id, path in (("f-ok", "/health"), ("f-work", "/work"), ("f-boom", "/boom"), ("f-503", "/unavailable")):
        client.get(path, headers={"X-Request-ID": request_id, "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})
    native = logs.capsys.readouterr().out
    identity = ServiceIdentity()

    def serve(schema: str) -> str:
        mapper = mapper_for(schema, identity, "my-project")
        if mapper is None:
            return native
        return "".join(render_json(mapper(json.loads(line))) + "\n" for line in native.splitlines())

    return serve


def run(*args: str, stdin: str | None = None) -> Result:
    app = create_app({**BASE_OVERRIDES})
    app.cli.add_command(logs_group)
    return app.test_cli_runner().invoke(args=["logs", *args], input=stdin)


def rows_as_sets(output: str) -> list[object]:
    """A trace's output with each row's fields as a set: schemas may order fields differently."""
    shaped: list[object] = []
    for row in output.splitlines():
        head, sep, rest = row.partition("  ")
        shaped.append((head, frozenset(PAIR.findall(rest))) if sep and "=" in rest else row)
    return shaped


def as_text(output: str) -> str:
    """Native JSON lines as the text format writes the same events."""
    return "".join(TextFormatter().render(json.loads(line)) + "\n" for line in output.splitlines())


@pytest.mark.parametrize("schema", SCHEMAS[1:])
@pytest.mark.parametrize("args", [["slow"], ["errors"], ["trace", "f-work"], ["trace", "f-boom"], ["trace", TRACE]])
def test_every_schema_gives_the_same_answers(logged, schema: str, args: list[str]) -> None:
    native, other = logged("native"), logged(schema)
    assert native != other
    from_native = run(*args, stdin=native)
    from_schema = run(*args, stdin=other)
    assert from_schema.exit_code == from_native.exit_code == 0, from_schema.output
    assert from_schema.stderr == from_native.stderr == ""
    if args[0] == "trace":
        assert rows_as_sets(from_schema.stdout) == rows_as_sets(from_native.stdout)
    else:
        assert from_schema.stdout == from_native.stdout


def test_the_text_format_gives_the_same_answers(logged) -> None:
    native = logged("native")
    for args in (["slow"], ["errors"], ["trace", "f-work"]):
        assert run(*args, stdin=as_text(native)).stdout == run(*args, stdin=native).stdout


def test_a_trace_id_finds_every_request_of_the_trace(logged) -> None:
    result = run("trace", TRACE, stdin=logged("ecs"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"trace {TRACE}: ")
    rows = timeline_rows(result.stdout)
    assert sum(" request_completed" in row for row in rows) == 4
    # Four requests of one trace, none calling another: side by side, none nested.
    assert all(row.split()[1] in ("DEBUG", "INFO", "WARNING", "ERROR") for row in rows if not row.startswith(">>"))


PREFIXES: dict[str, Callable[[int, str], str]] = {
    "kubectl": lambda n, line: f"[pod/orders-7d9f8-{n}/app] {line}",
    "kubectl-timestamps": lambda n, line: f"[pod/orders-7d9f8-{n}/app] 2026-11-24T19:09:14.123456789Z {line}",
    "compose": lambda n, line: f"orders-{n}  | {line}",
    "compose-colour": lambda n, line: f"\x1b[36morders-{n}  |\x1b[0m {line}",
    "compose-timestamps": lambda n, line: f"orders-{n}  | 2026-11-24T19:09:14.123456789Z {line}",
    "docker-timestamps": lambda n, line: f"2026-11-24T19:09:14.123456789Z {line}",
}


@pytest.mark.parametrize("prefix", list(PREFIXES))
@pytest.mark.parametrize("text", [False, True], ids=["json", "text"])
def test_collector_prefixes_are_read_through(logged, prefix: str, text: bool) -> None:
    lines = logged("native")
    if text:
        lines = as_text(lines)
    prefixed = "".join(PREFIXES[prefix](1, line) + "\n" for line in lines.splitlines())
    for args in (["slow"], ["errors"], ["trace", "f-work"]):
        plain, behind = run(*args, stdin=lines), run(*args, stdin=prefixed)
        assert behind.stderr == ""
        assert behind.stdout == plain.stdout


def test_replicas_are_named_when_several_wrote_the_request(logged) -> None:
    lines = logged("native").splitlines()
    # One replica wrote the first half of the lines, another the rest (as after a restart).
    prefixed = [PREFIXES["kubectl"](1 if i < len(lines) // 2 else 2, line) for i, line in enumerate(lines)]
    record = parse_record(prefixed[0])
    assert record is not None
    assert record["@replica"] == "pod/orders-7d9f8-1/app"
    result = run("trace", TRACE, stdin="\n".join(prefixed) + "\n")
    assert "{{ cookiecutter.project_slug }}@orders-7d9f8-1 " in result.stdout
    assert "{{ cookiecutter.project_slug }}@orders-7d9f8-2 " in result.stdout


def test_a_prefix_alone_is_not_a_record() -> None:
    for junk in ("[pod/a/b] not a record", "web-1  | booting", "web-1  |", "[pod/a/b]"):
        assert parse_record(junk) is None


# --- Several services: one timeline, callees under the call ---------------------------------


def service_line(
    schema: str, service: str, created: float, level: str, logger: str, msg: str, context: LogContext, **fields: object
) -> str:
    identity = ServiceIdentity(service)
    formatter = JsonFormatter(Redactor(), identity, mapper_for(schema, identity, "my-project"))
    return formatter.line(created, level, logger, msg, context, list(fields.items()))


def fleet_lines(traced: bool = True, skew: float = 0.0) -> tuple[list[str], list[str], list[str]]:
    """orders (ecs) receives GET /checkout, calls inventory (gcp) and then payments (datadog),
    whose call fails. Times in seconds; ``skew`` shifts the callees' clocks."""
    t0 = 1795547354.0
    span = {"orders": "1111111111111111", "inventory": "2222222222222222", "payments": "3333333333333333"}

    def context(service: str, parent: str | None, method: str, path: str) -> LogContext:
        if not traced:
            return LogContext("rid-1", "-", method, path)
        return LogContext("rid-1", "-", method, path, TRACE, None, span[service], parent, True, None)

    def caller_of(service: str) -> dict[str, object]:
        parent = span["orders"] if traced and service != "orders" else ("0af7651916cd43dd" if traced else None)
        return {"parent_span_id": parent, "trace_sampled": True} if traced else {}

    orders = context("orders", None, "GET", "/checkout")
    inventory = context("inventory", span["orders"], "GET", "/items/42")
    payments = context("payments", span["orders"], "POST", "/charge")
    inventory_call = {"dependency": "inventory", "operation": "GET", "url": "http://inventory/items/42", "status": 200}
    payments_call = {"dependency": "payments", "operation": "POST", "url": "http://payments/charge", "status": 502}
    completed = {"size": 30, "content_type": "application/json"}
    orders_lines = [
        service_line("ecs", "orders", t0 + 0.001, "INFO", "app", "checkout_started", orders),
        service_line(
            "ecs", "orders", t0 + 0.030, "INFO", "deps", "dependency_call", orders,
            **inventory_call, duration_ms=25.0, retries=0, error=None,
        ),
        service_line(
            "ecs", "orders", t0 + 0.060, "WARNING", "deps", "dependency_call", orders,
            **payments_call, duration_ms=20.0, retries=0, error="http_5xx",
        ),
        service_line(
            "ecs", "orders", t0 + 0.061, "ERROR", "http", "request_completed", orders,
            status=502, duration_ms=61.0, **completed, **caller_of("orders"),
        ),
    ]  # fmt: skip
    inventory_lines = [
        service_line(
            "gcp", "inventory", t0 + 0.010 + skew, "INFO", "timing", "step_timing", inventory,
            step="stock_lookup", duration_ms=8.0,
        ),
        service_line(
            "gcp", "inventory", t0 + 0.020 + skew, "INFO", "http", "request_completed", inventory,
            status=200, duration_ms=15.0, size=12, content_type="application/json", **caller_of("inventory"),
        ),
    ]  # fmt: skip
    payments_lines = [
        service_line("datadog", "payments", t0 + 0.045 + skew, "ERROR", "errors", "unhandled_exception", payments),
        service_line(
            "datadog", "payments", t0 + 0.050 + skew, "ERROR", "http", "request_completed", payments,
            status=500, duration_ms=9.0, size=40, content_type="application/json", **caller_of("payments"),
        ),
    ]  # fmt: skip
    return orders_lines, inventory_lines, payments_lines


def write(tmp_path: Path, name: str, lines: list[str], prefix: Callable[[str], str] = lambda line: line) -> str:
    path = tmp_path / name
    path.write_text("".join(prefix(line) + "\n" for line in lines), "utf-8")
    return str(path)


def timeline_rows(output: str) -> list[str]:
    lines = output.splitlines()
    return lines[1 : lines.index("")]


ROW = re.compile(r"(>>|  ) +(\S+) (?P<indent> *)(?P<level>[A-Z]+) +(?P<service>\S+) +(?P<logger>\S+) +(?P<msg>\S+)")


def shape(output: str) -> list[tuple[int, str, str]]:
    """Each row of a multi-service timeline as (nesting depth, service, message)."""
    shaped = []
    for row in timeline_rows(output):
        match = ROW.match(row)
        assert match is not None, row
        shaped.append((len(match["indent"]) // 4, match["service"], match["msg"]))
    return shaped


# orders calls inventory, then payments (which fails): each callee's lines under its call.
EXPECTED = [
    (0, "orders", "checkout_started"),
    (0, "orders", "dependency_call"),
    (1, "inventory", "step_timing"),
    (1, "inventory", "request_completed"),
    (0, "orders", "dependency_call"),
    (1, "payments", "unhandled_exception"),
    (1, "payments", "request_completed"),
    (0, "orders", "request_completed"),
]


@pytest.mark.parametrize(
    ("traced", "key"),
    [(True, "rid-1"), (True, TRACE), (False, "rid-1")],
    ids=["traced-by-request-id", "traced-by-trace-id", "request-id-only"],
)
def test_a_request_across_services_is_one_timeline(tmp_path: Path, traced: bool, key: str) -> None:
    orders, inventory, payments = fleet_lines(traced)
    files = [
        write(tmp_path, "inventory.log", inventory, lambda line: f"[pod/inventory-5c4d-x1/app] {line}"),
        write(tmp_path, "orders.log", orders, lambda line: f"orders-1  | {line}"),
        write(tmp_path, "payments.log", payments),
    ]
    result = run("trace", key, *files)
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header.startswith(f"{'request' if key == 'rid-1' else 'trace'} {key}: GET /checkout, status 502, ")
    assert "services orders inventory payments" in header
    assert shape(result.stdout) == EXPECTED
    # The first problem, in time, is payments' exception: the cause of orders' 502.
    marked = [row for row in timeline_rows(result.stdout) if row.startswith(">>")]
    assert len(marked) == 1
    assert ROW.match(marked[0])["service"] == "payments"  # type: ignore[index]
    assert "first problem: +45ms ERROR    payments  errors unhandled_exception" in result.stdout
    # Time spent: the root's total, each step and call with its service.
    assert "time spent (total 61 ms, from request_completed):" in result.stdout
    assert "orders: payments POST http://payments/charge" in result.stdout
    assert "inventory: stock_lookup" in result.stdout


def test_callees_stay_under_their_call_when_clocks_disagree(tmp_path: Path) -> None:
    orders, inventory, payments = fleet_lines(traced=True, skew=-0.5)  # the callees' clocks half a second slow
    files = [write(tmp_path, f"{n}.log", lines) for n, lines in (("o", orders), ("i", inventory), ("p", payments))]
    output = run("trace", "rid-1", *files).stdout
    assert shape(output) == EXPECTED
    assert timeline_rows(output)[2].split()[0] == "+0ms"  # shown at their own (earlier) time


def test_errors_and_slow_name_each_service(tmp_path: Path) -> None:
    orders, inventory, payments = fleet_lines()
    files = [write(tmp_path, f"{n}.log", lines) for n, lines in (("o", orders), ("i", inventory), ("p", payments))]
    errors = run("errors", *files).stdout.splitlines()
    assert [line.split()[1:6] for line in errors] == [
        ["502", "rid-1", "GET", "/checkout", "orders"],
        ["500", "rid-1", "POST", "/charge", "payments"],
    ]
    slow = run("slow", *files).stdout.splitlines()
    assert [row.split()[-1] for row in slow] == ["service", "orders", "inventory", "payments"]
