"""Two services from this template, under gunicorn, one calling the other: one timeline.

The template this project was generated from (``.cruft.json``, or ``SERVICE_TEMPLATE``) is
baked twice into a temporary directory, as "Orders" (LOG_SCHEMA=ecs) and "Inventory"
(LOG_SCHEMA=gcp), each importable only through its own PYTHONPATH. Both run under gunicorn
with their own gunicorn.conf.py; orders' /checkout calls inventory with ``http_request``. A
request to orders with a W3C traceparent then gives one cross-service timeline from both
services' logs (collected as ``docker compose logs`` and ``kubectl logs --prefix`` would),
read by orders' own ``flask logs``: inventory's lines under orders' dependency call, every
line with its service, both services on the same trace, inventory's caller span being
orders' span. Skipped when the template cannot be reached (a remote template, no network).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.observability.schemas import schema_of, to_native

from gunicorn_helpers import PROJECT_ROOT, free_port, wait_until_serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# The file that makes a directory a Cookiecutter template (named in two parts: the template's
# tests refuse any rendered file that still reads like one of its variables).
TEMPLATE_MARKER = "cookiecutter" + ".json"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
ORDERS_APP = """
import os

from orders import create_app
from orders.observability import http_request

app = create_app()


@app.get("/checkout")
def checkout():
    status, body = http_request("inventory", "GET", os.environ["INVENTORY_URL"] + "/items/42")
    return {"inventory": status, "stock": __import__("json").loads(body)["stock"]}
"""
INVENTORY_APP = """
from inventory import create_app
from inventory.observability import StepTimer

app = create_app()


@app.get("/items/<int:item>")
def item(item):
    with StepTimer("stock_lookup"):
        stock = 3
    return {"item": item, "stock": stock}
"""


def template() -> Path:
    named = os.environ.get("SERVICE_TEMPLATE") or json.loads((PROJECT_ROOT / ".cruft.json").read_text())["template"]
    path = Path(named)
    if not (path / TEMPLATE_MARKER).is_file():
        pytest.skip(f"the template is not a local directory here: {named}")
    return path


@dataclass
class Service:
    name: str
    root: Path
    url: str = ""
    lines: tuple[str, ...] = ()

    def env(self, app_dir: Path, **settings: str) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "PYTHONPATH"))}
        return {
            **environment,
            "PYTHONPATH": os.pathsep.join([str(self.root / "src"), str(app_dir)]),
            "ENV_FILE": "",
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "2",
            **settings,
        }


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Service]:
    try:
        from cookiecutter import main  # cruft's dependency, so installed with the dev tools
    except ImportError:  # pragma: no cover
        pytest.skip("cookiecutter is not installed")
    source = template()
    out = tmp_path_factory.mktemp("fleet")
    baked = {}
    for name in ("Orders", "Inventory"):
        root = main.cookiecutter(str(source), no_input=True, output_dir=str(out), extra_context={"project_name": name})
        baked[name.lower()] = Service(name.lower(), Path(root))
    (out / "orders_app.py").write_text(ORDERS_APP)
    (out / "inventory_app.py").write_text(INVENTORY_APP)
    return baked


@contextmanager
def serve(service: Service, module: str, **settings: str) -> Iterator[Service]:
    """The service under gunicorn with its own gunicorn.conf.py; its stdout kept on exit."""
    app_dir = service.root.parent
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(service.root / "gunicorn.conf.py"), f"{module}:app"]
    env = service.env(app_dir, PORT=str(port), **settings)
    process = subprocess.Popen(command, cwd=app_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    service.url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(service.url, process)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
        service.lines = tuple(line for line in stdout.split("\n") if line)


def test_two_services_give_one_cross_service_timeline(services: dict[str, Service], tmp_path: Path) -> None:
    orders, inventory = services["orders"], services["inventory"]
    with ExitStack() as stack:
        stack.enter_context(serve(inventory, "inventory_app", LOG_SCHEMA="gcp", GOOGLE_CLOUD_PROJECT="fleet-test"))
        inventory_url = inventory.url
        stack.enter_context(
            serve(orders, "orders_app", LOG_SCHEMA="ecs", INVENTORY_URL=inventory_url, SERVICE_VERSION="1.4.2")
        )
        request = urllib.request.Request(
            f"{orders.url}/checkout", headers={"X-Request-ID": "fleet-1", "traceparent": f"00-{TRACE}-{CALLER_SPAN}-01"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {"inventory": 200, "stock": 3}

    # Each service wrote its own schema; both are on the trace, inventory called from orders' span.
    written = {name: [json.loads(line) for line in s.lines] for name, s in services.items()}
    assert {schema_of(record) for record in written["orders"]} == {"ecs"}
    assert {schema_of(record) for record in written["inventory"]} == {"gcp"}
    read = {name: [to_native(record) for record in records] for name, records in written.items()}
    summary = {
        name: next(r for r in records if r["msg"] == "request_completed" and r["request_id"] == "fleet-1")
        for name, records in read.items()
    }
    assert summary["orders"]["trace_id"] == summary["inventory"]["trace_id"] == TRACE
    assert summary["orders"]["parent_span_id"] == CALLER_SPAN
    assert summary["inventory"]["parent_span_id"] == summary["orders"]["span_id"]
    assert summary["orders"]["span_id"] != summary["inventory"]["span_id"]
    assert (summary["orders"]["service"], summary["orders"]["version"]) == ("orders", "1.4.2")
    assert summary["inventory"]["service"] == "inventory"
    ecs_summary = next(r for r in written["orders"] if r.get("message") == "request_completed" and r.get("url.path"))
    assert ecs_summary["http.request.id"] == "fleet-1"
    gcp_summary = next(
        r for r in written["inventory"] if r.get("message") == "request_completed" and "httpRequest" in r
    )
    assert gcp_summary["logging.googleapis.com/trace"] == f"projects/fleet-test/traces/{TRACE}"

    # Collected the way a fleet's logs are: docker compose for orders, kubectl for inventory.
    orders_log = tmp_path / "orders.log"
    orders_log.write_text("".join(f"orders-1  | {line}\n" for line in orders.lines))
    inventory_log = tmp_path / "inventory.log"
    inventory_log.write_text("".join(f"[pod/inventory-7d9f8-x2c4q/app] {line}\n" for line in inventory.lines))
    for key in ("fleet-1", TRACE):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "orders",
                "logs",
                "trace",
                key,
                str(orders_log),
                str(inventory_log),
            ],
            env=orders.env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        print(result.stdout)  # the timeline, shown with -s or when an assertion below fails
        lines = result.stdout.splitlines()
        assert lines[0].startswith(f"{'request' if key == 'fleet-1' else 'trace'} {key}: GET /checkout, status 200, ")
        assert "services orders inventory" in lines[0]
        rows = [ROW.match(line) for line in lines[1 : lines.index("")]]
        shape = [(len(row["indent"]) // 4, row["service"], row["msg"]) for row in rows if row is not None]
        assert shape == [
            (0, "orders", "dependency_call"),
            (1, "inventory", "step_timing"),
            (1, "inventory", "request_completed"),
            (0, "orders", "request_completed"),
        ], result.stdout
        assert "orders: inventory GET http://127.0.0.1:" in result.stdout  # where the time went
        assert "inventory: stock_lookup" in result.stdout


ROW = re.compile(r"(>>|  ) +(\S+) (?P<indent> *)(?P<level>[A-Z]+) +(?P<service>\S+) +(?P<logger>\S+) +(?P<msg>\S+)")
