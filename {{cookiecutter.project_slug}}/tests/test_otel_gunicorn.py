"""OpenTelemetry under gunicorn, two workers, exporting over OTLP/HTTP to a receiver this test
runs on loopback, which decodes what arrives (the protobuf messages the collector reads).

Every request's server span arrives exactly once, in the trace its lines name; its dependency
call is a client span whose context the called service received; the log records arrive with
the same IDs; no secret is anywhere in what was exported; the master runs no exporter thread
(the providers are made in each worker, after fork); and everything arrives by the workers'
prompt exit (the batches are held back until then).
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

import gunicorn_helpers
from gunicorn_helpers import free_port, get, gunicorn

pytest.importorskip("opentelemetry.sdk", reason='the otel extra is not installed: pip install -e ".[otel]"')
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SECRET = "hunter2-s3cr3t"
REQUESTS = 12
TRACED_APP = """
import logging
import os

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability import http_request

app = create_app()
SECRET = os.environ.get("SECRET", "")


@app.get("/orders/<int:order_id>")
def order(order_id):
    logging.getLogger("shop").warning("charging card password=%s", SECRET, extra=dict(api_key=SECRET))
    http_request("inventory", "GET", os.environ.get("DOWNSTREAM", "") + "/items?token=" + SECRET)
    return dict(order=order_id)
"""
SERVER, CLIENT = 2, 3  # OTLP's span kinds
ROUTE = "/orders/<int:order_id>"


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint (POST /v1/traces, /v1/logs) that is also the called service."""

    bodies: ClassVar[list[tuple[str, bytes]]] = []
    called: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        Receiver.bodies.append((self.path, body))
        self.reply(b"", "application/x-protobuf")

    def do_GET(self) -> None:
        Receiver.called.append({k.lower(): v for k, v in self.headers.items()})
        self.reply(b"{}", "application/json")

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.bodies.clear()
    Receiver.called.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def traced_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "traced_app.py").write_text(TRACED_APP)
    command = [sys.executable, "-m", "gunicorn", "--pythonpath", str(tmp_path), "traced_app:app"]
    monkeypatch.setattr(gunicorn_helpers, "gunicorn_command", lambda: command)


def attributes(item: Any) -> dict[str, Any]:
    return {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in item.attributes}


def exported(path: str, message: Any) -> list[Any]:
    """Every span or log record that arrived at ``path``, decoded."""
    items = []
    for arrived, body in Receiver.bodies:
        if arrived == path:
            request = message.FromString(body)
            for resource in getattr(request, "resource_spans" if path.endswith("traces") else "resource_logs"):
                for scope in getattr(resource, "scope_spans" if path.endswith("traces") else "scope_logs"):
                    items.extend(scope.spans if path.endswith("traces") else scope.log_records)
    return items


def thread_count(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts the master's threads through /proc")
def test_two_workers_export_every_span_once_with_the_ids_of_the_lines_and_no_secret(receiver, traced_app) -> None:
    env = {
        "WEB_CONCURRENCY": "2",
        "LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver,
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_SERVICE_NAME": "shop-api",
        "DOWNSTREAM": receiver,
        "SECRET": SECRET,
        # Nothing is exported before shutdown: what arrives, the worker's exit sent.
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "OTEL_BLRP_SCHEDULE_DELAY": "600000",
    }
    with gunicorn(**env) as server:
        for n in range(REQUESTS):
            headers = {"X-Request-ID": f"order-{n}", "Authorization": f"Bearer {SECRET}"}
            assert get(f"{server.url}/orders/{n}?password={SECRET}", headers)[0] == 200
        master_threads = thread_count(server.process.pid)
        assert Receiver.bodies == []  # nothing yet: the batches wait for the shutdown
        stopping = time.monotonic()
    stopped_in = time.monotonic() - stopping
    assert master_threads == 1  # no batch processor, no exporter thread in the master
    # Each worker took its SIGTERM at once (a worker whose exporter threads started before its
    # signal handlers slept through it until the 30 s graceful timeout) and flushed on exit.
    assert stopped_in < 10

    lines = [json.loads(line) for line in server.lines if line.startswith("{")]
    summaries = {r["request_id"]: r for r in lines if r["msg"] == "request_completed" and r["path"] != "/health"}
    spans = exported("/v1/traces", ExportTraceServiceRequest)
    server_spans = [s for s in spans if s.kind == SERVER and attributes(s).get("http.route") == ROUTE]
    by_request = Counter(attributes(s)["request_id"] for s in server_spans)
    assert by_request == Counter(f"order-{n}" for n in range(REQUESTS))  # each exactly once
    for span in server_spans:
        line = summaries[attributes(span)["request_id"]]
        assert (span.trace_id.hex(), span.span_id.hex()) == (line["trace_id"], line["span_id"])
        assert span.name == f"GET {ROUTE}"
    clients = {s.parent_span_id.hex(): s for s in spans if s.kind == CLIENT}
    sent = {headers["x-request-id"]: headers["traceparent"] for headers in Receiver.called}
    for span in server_spans:
        client = clients[span.span_id.hex()]
        request_id = attributes(span)["request_id"]
        version, trace_id, parent, flags = sent[request_id].split("-")
        assert (version, trace_id, parent) == ("00", span.trace_id.hex(), client.span_id.hex())
        assert int(flags, 16) & 1  # sampled

    records = exported("/v1/logs", ExportLogsServiceRequest)
    charged = [r for r in records if r.body.string_value == "charging card password=[REDACTED]"]
    assert len(charged) == REQUESTS
    for record in charged:
        line = summaries[attributes(record)["request_id"]]
        assert (record.trace_id.hex(), record.span_id.hex()) == (line["trace_id"], line["span_id"])
        assert attributes(record)["api_key"] == "[REDACTED]"
    first = next(body for path, body in Receiver.bodies if path == "/v1/traces")
    resource = attributes(ExportTraceServiceRequest.FromString(first).resource_spans[0].resource)
    assert resource["service.name"] == "shop-api"
    assert all(SECRET.encode() not in body for _, body in Receiver.bodies)
    assert SECRET not in server.stdout


def test_a_collector_that_is_down_costs_requests_nothing_and_the_workers_still_exit_themselves() -> None:
    """Exports fail (nothing listens on the port); requests are served as usual, and at SIGTERM
    each worker gives up on what is queued within its share of the graceful timeout, rather
    than retrying until the master kills it."""
    env = {
        "WEB_CONCURRENCY": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "OTEL_BLRP_SCHEDULE_DELAY": "600000",
    }
    with gunicorn(**env) as server:
        for n in range(20):
            assert get(f"{server.url}/health", {"X-Request-ID": f"down-{n}"})[0] == 200
        stopping = time.monotonic()
    stopped_in = time.monotonic() - stopping
    assert stopped_in < 5  # the master would have killed them at 5 s
    assert "SIGKILL" not in server.stdout
    assert server.stdout.count("Worker exiting") == 2
