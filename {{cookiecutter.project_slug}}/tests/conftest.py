"""Shared fixtures: apps built through the real factory, and their log output parsed.

Every app a test builds logs through the service's own configured pipeline (its handler,
filters and formatter) to stdout, which pytest captures; ``logs`` parses those lines back
into dicts in either format. ``log_format`` runs each test that uses it in both formats.
``make_routed_app`` adds the routes several test files need: failures, a slow request, a
unit of work with steps and a dependency call, and streams.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask, Response, request

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import FORMATS
from {{ cookiecutter.package_name }}.observability import StepTimer, track_dependency
from {{ cookiecutter.package_name }}.observability.testing import parse_lines

from gunicorn_helpers import BASE_OVERRIDES


@dataclass
class Downstream:
    """Another service the app calls (``downstream``): its URL and the headers of every
    request it was sent, oldest first."""

    url: str
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def downstream() -> Iterator[Downstream]:
    """A service on loopback that answers 200 (500 under ``/fail``) and keeps what it was sent."""
    service = Downstream("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            service.seen.append({k.lower(): v for k, v in self.headers.items()})
            body = b'{"ok": true}'
            self.send_response(500 if self.path.startswith("/fail") else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the loop's next poll (0.5 s by default).
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True, scope="session")
def services_take_ctrl_c() -> None:
    """Let the services the tests start stop on SIGINT, as they do from a terminal.

    A test run started in the background by a non-interactive shell (``cmd &`` in a script,
    some CI runners) has SIGINT ignored, and every process it starts inherits that: the tests
    that stop ``flask run`` or ``flask logs pretty --follow`` with SIGINT would wait in vain.
    With Python's own handler here, the processes started from now on begin with the default.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger, named loggers' levels and handlers back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))
    logging.captureWarnings(False)


class Logs:
    """What the service wrote to stdout, parsed; each call reads what came since the last."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.raw: list[str] = []

    def read(self) -> list[dict[str, object]]:
        out = self.capsys.readouterr().out
        self.raw.extend(line for line in out.split("\n") if line)
        return parse_lines(out)

    def events(self, msg: str, records: list[dict[str, object]] | None = None) -> list[dict[str, object]]:
        return [r for r in (records if records is not None else self.read()) if r["msg"] == msg]

    def one(self, msg: str, records: list[dict[str, object]] | None = None) -> dict[str, object]:
        found = self.events(msg, records)
        assert len(found) == 1, f"expected one {msg!r} record, got {found}"
        return found[0]

    def messages(self, records: list[dict[str, object]] | None = None) -> list[object]:
        """The ``msg`` of each record, in order."""
        return [r["msg"] for r in (records if records is not None else self.read())]


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Logs:
    return Logs(capsys)


@pytest.fixture(params=FORMATS)
def log_format(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_app(log_format: str, logs: Logs) -> Callable[..., Flask]:
    """Build an app in the parametrised format; keyword arguments are env overrides."""

    def make(**overrides: object) -> Flask:
        return create_app({**BASE_OVERRIDES, "LOG_FORMAT": log_format, **overrides})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


def add_routes(app: Flask) -> Flask:
    """The routes of ``make_routed_app``; an unhandled exception answers the JSON 500, as in
    production (with PROPAGATE_EXCEPTIONS on, the test client would re-raise it instead)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("database exploded\nat row 7")

    @app.get("/unavailable")
    def unavailable() -> tuple[dict[str, str], int]:
        return {"error": "down"}, 503

    @app.get("/slow")
    def slow() -> dict[str, bool]:
        time.sleep(int(request.args.get("ms", "120")) / 1000)
        return {"slow": True}

    @app.get("/work")
    def work() -> dict[str, bool]:
        with StepTimer("load_user"):
            time.sleep(0.01)
        # The query holds a credential that no line may show.
        with track_dependency("billing", "GET", "http://billing.internal/charge?key=s3cr3t") as call:
            time.sleep(0.02)
            call.status = 503
        with StepTimer("render"):
            pass
        return {"ok": True}

    @app.get("/stream")
    def stream() -> Response:
        chunks = int(request.args.get("chunks", "3"))  # the body runs after the request context

        def body() -> Iterator[bytes]:
            for i in range(chunks):
                logging.getLogger("tests.stream").info("chunk", extra={"i": i})
                time.sleep(0.01)
                yield b"x" * 10

        return Response(body(), mimetype="text/plain")

    @app.get("/broken-stream")
    def broken_stream() -> Response:
        def body() -> Iterator[bytes]:
            yield b"start"
            raise RuntimeError("stream died")

        return Response(body(), mimetype="text/plain")

    return app


@pytest.fixture
def make_routed_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """``make_app`` plus these routes: ``/boom`` (raises), ``/unavailable`` (503), ``/slow``
    (sleeps ``?ms=``, 120 by default), ``/work`` (two steps and a dependency call answering
    503), ``/stream`` (logs and yields ``?chunks=`` chunks, 3 by default, 10 ms apart) and
    ``/broken-stream`` (raises after its first chunk)."""

    def make(**overrides: object) -> Flask:
        return add_routes(make_app(**overrides))

    return make
