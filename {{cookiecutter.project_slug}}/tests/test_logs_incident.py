"""An incident, end to end: faults planted in a real service, found by the log tools.

gunicorn serves the service (two workers; where the build has the file sink, it writes a
rotating file that rotates many times, else stdout goes to a file) with one endpoint and
three planted faults: the ``inventory`` dependency is slow for every 9th order, ``payments``
answers 503 for one order in ten (the request then fails), and every request of the user
``u-broken`` fails. A few hundred requests later, ``summary``, ``errors``,
``slow`` and ``deps``, reading the log directory, must each name each cause in their first
lines, and each filter must narrow to exactly the requests it names.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }}.logs import logs_group

from gunicorn_helpers import PROJECT_ROOT, free_port, get, service_env, wait_until_serving

ORDERS = 300
FILE_SINK = importlib.util.find_spec("{{ cookiecutter.package_name }}.observability.file_handler") is not None
ROUTE = "/orders/<int:order_id>"
APP = """
import time

from flask import request

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability import set_user_context, track_dependency

app = create_app()
app.config["PROPAGATE_EXCEPTIONS"] = False


class PaymentUnavailable(Exception):
    pass


class ProfileMissing(Exception):
    pass


@app.get("/orders/<int:order_id>")
def order(order_id):
    user = request.headers["X-User"]
    set_user_context(user)
    with track_dependency("inventory", "GET", "http://inventory.internal/stock") as call:
        time.sleep(0.15 if order_id % 9 == 0 else 0.001)
        call.status = 200
    if user == "u-broken":
        raise ProfileMissing("no profile")
    with track_dependency("payments", "POST", "http://payments.internal/charge") as call:
        call.status = 503 if order_id % 10 == 3 else 200
    if call.status == 503:
        raise PaymentUnavailable("payments answered 503")
    return {"order": order_id}
"""


def user_of(order: int) -> str:
    return "u-broken" if order % 15 == 7 else f"u-{order % 4}"


BROKEN = [i for i in range(ORDERS) if user_of(i) == "u-broken"]
DECLINED = [i for i in range(ORDERS) if i % 10 == 3 and user_of(i) != "u-broken"]
SLOW = [i for i in range(ORDERS) if i % 9 == 0]


@dataclass
class Incident:
    directory: Path

    def run(self, *args: str) -> list[str]:
        result = CliRunner().invoke(logs_group, [*args, str(self.directory)])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> Incident:
    root = tmp_path_factory.mktemp("incident")
    (root / "faulty_app.py").write_text(APP)
    directory = root / "logs"
    directory.mkdir()
    port = free_port()
    env = {
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PYTHONPATH": os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p),
    }
    if FILE_SINK:
        env |= {"LOG_FILE": str(directory / "service.log"), "LOG_FILE_MAX_BYTES": "40000"}
        env |= {"LOG_FILE_BACKUP_COUNT": "1000", "LOG_TO_STDOUT": "false"}
    # stdout to a file, not a pipe: nobody reads a pipe until the end, and a full one blocks.
    stdout_path = root / "stdout.log" if FILE_SINK else directory / "service.log"
    with stdout_path.open("wb") as stdout, (root / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "faulty_app:app"],
            cwd=PROJECT_ROOT,
            env=service_env(**env),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process)

            def order(i: int) -> int:
                return get(f"{url}/orders/{i}", {"X-Request-ID": f"inc-{i}", "X-User": user_of(i)})[0]

            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(order, range(ORDERS)))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()  # never left running past the test
                process.wait()
    assert process.returncode == 0, (root / "stderr.log").read_text()
    assert statuses.count(500) == len(BROKEN) + len(DECLINED)
    if FILE_SINK:
        assert len(list(directory.glob("service.log.*[0-9]"))) >= 3  # it rotated
    return Incident(directory)


def column(lines: list[str], header: str, name: str) -> list[str]:
    """The values of one column of a table whose header line starts with ``header``."""
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [header])
    names = lines[start].split()
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):  # rows are indented; a blank or closing line ends the table
            break
        rows.append(line.split()[names.index(name)])
    return rows


def test_summary_names_each_cause_first(incident: Incident) -> None:
    lines = incident.run("summary", "--slow-ms", "100", "--route", ROUTE)
    failed = len(BROKEN) + len(DECLINED)
    assert lines[0].startswith(f"{ORDERS} requests from ")
    assert f": {failed} failed ({failed / ORDERS * 100:.1f}%)" in lines[0]
    top = lines[:8]
    declined = next(line for line in top if "PaymentUnavailable" in line)
    assert declined.split()[:2] == [str(len(DECLINED)), f"{len(DECLINED) / ORDERS * 100:.1f}%"]
    assert " payments " in declined
    broken = next(line for line in top if "ProfileMissing" in line)
    assert broken.split()[0] == str(len(BROKEN))
    assert " u-broken " in broken  # one user: named
    assert " - " in broken  # no dependency failed: the service's own error
    slow_at = next(i for i, line in enumerate(lines) if line.startswith("slow requests"))
    slow_rows = lines[slow_at + 2 : slow_at + 4]
    assert all(" inventory " in row for row in slow_rows)
    assert sum(int(row.split()[0]) for row in lines[slow_at + 2 :] if row.strip()) >= len(SLOW)


def test_errors_name_the_first_problem_the_user_and_the_dependency(incident: Incident) -> None:
    lines = incident.run("errors")
    assert len(lines) == len(BROKEN) + len(DECLINED)
    for line in lines[:10]:
        request_id = line.split()[2]
        order = int(request_id.removeprefix("inc-"))
        assert f"user={user_of(order)}" in line
        if order in DECLINED:
            # The dependency's 503 warning came first; the exception it caused after it.
            assert "dependency=payments" in line
            assert re.search(
                r" dependency_call status=503 .*exception=.*PaymentUnavailable: payments answered 503", line
            )
        else:
            assert "dependency=" not in line
            assert "unhandled_exception" in line
            assert "ProfileMissing: no profile" in line


def test_slow_names_the_slow_dependency_and_counts_the_slow_requests(incident: Incident) -> None:
    lines = incident.run("slow", "--min-ms", "100", "--top", "5")
    assert all(call.startswith("inventory:") for call in column(lines, "duration_ms", "slowest_call"))
    crossed = re.fullmatch(r"(\d+) of (\d+) requests took >= 100 ms \(.*\)", lines[-1])
    assert crossed is not None
    assert int(crossed[1]) >= len(SLOW)
    assert int(crossed[2]) >= ORDERS


def test_deps_name_the_flapping_and_the_slow_dependency(incident: Incident) -> None:
    lines = incident.run("deps")
    header = lines[0].split()
    assert header[:6] == ["calls", "failed", "fail%", "p50_ms", "p95_ms", "max_ms"]
    payments = lines[1].split()  # most failed calls first
    assert payments[6] == "payments"
    assert payments[:2] == [str(ORDERS - len(BROKEN)), str(len(DECLINED))]
    assert f"503:{len(DECLINED)}" in lines[1]
    inventory = next(line.split() for line in lines if line.split()[6:7] == ["inventory"])
    assert inventory[:2] == [str(ORDERS), "0"]
    assert float(inventory[3]) < 100 <= float(inventory[4])  # p50 fast, p95 slow: some calls are slow
    assert float(inventory[5]) >= 150


@pytest.mark.parametrize(
    ("filters", "orders"),
    [
        (["--user", "u-broken"], BROKEN),
        (["--dependency", "payments"], DECLINED),  # the failures that called payments
        (["--path", "/orders/3"], [3]),
        (["--path", "/orders/1*"], [i for i in BROKEN + DECLINED if str(i).startswith("1")]),
        (["--route", ROUTE, "--status", "5xx"], BROKEN + DECLINED),
        (["--status", "200"], []),
        (["--until", "2000-01-01T00:00:00Z"], []),
        (["--since", "2000-01-01", "--until", "1d"], []),
        (["--since", "1h", "--user", "u-broken", "--status", "500"], BROKEN),
    ],
)
def test_each_filter_narrows_to_the_requests_it_names(
    incident: Incident, filters: list[str], orders: list[int]
) -> None:
    lines = incident.run("errors", *filters)
    assert sorted(int(line.split()[2].removeprefix("inc-")) for line in lines) == sorted(orders)
    summary = incident.run("summary", *filters)
    assert summary == ["no completed requests"] or f": {len(orders)} failed (" in summary[0]


def test_filters_narrow_slow_and_deps(incident: Incident) -> None:
    slow = incident.run("slow", "--user", "u-1", "--top", "1000")
    ids = column(slow, "duration_ms", "request_id")
    assert sorted(int(i.removeprefix("inc-")) for i in ids) == [i for i in range(ORDERS) if user_of(i) == "u-1"]
    deps = incident.run("deps", "--dependency", "inventory")
    assert {line.split()[6] for line in deps[1:]} == {"inventory"}
    only_broken = incident.run("deps", "--user", "u-broken")
    assert [line.split()[:2] + line.split()[6:7] for line in only_broken[1:]] == [[str(len(BROKEN)), "0", "inventory"]]


def test_summary_counts_the_requests_each_filter_selects(incident: Incident) -> None:
    assert incident.run("summary", "--user", "u-broken")[0].startswith(f"{len(BROKEN)} requests from ")
    called_payments = ORDERS - len(BROKEN)
    assert incident.run("summary", "--dependency", "payments")[0].startswith(f"{called_payments} requests from ")
    assert incident.run("summary", "--until", "2000-01-01T00:00:00Z") == ["no completed requests"]
