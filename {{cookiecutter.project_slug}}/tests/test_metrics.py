"""Prometheus metrics (the ``metrics`` extra): what ``/metrics`` counts agrees with the logs.

In one process through the test client, and under gunicorn with two workers, one of them
killed half-way: the scraped totals match the requests sent exactly, whichever worker
answers the scrape.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from {{ cookiecutter.package_name }} import create_app

from gunicorn_helpers import TEST_SETTINGS, get, gunicorn

pytest.importorskip("prometheus_client", reason='the metrics extra is not installed: pip install -e ".[metrics]"')
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of the exposition, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def count(scraped: Samples, route: str, status: str, method: str = "GET") -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return scraped.get(("http_requests_total", labels), 0.0)


def routed_app(**overrides: object) -> Flask:
    app = create_app({**TEST_SETTINGS, "TESTING": "true", "METRICS_ENABLED": "true", **overrides})

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, int]:
        return {"order": order_id}

    return app


def test_requests_are_counted_by_method_route_template_and_status_class(logs) -> None:
    client = routed_app().test_client()
    for order_id in range(5):
        client.get(f"/orders/{order_id}")
    client.get("/nope")
    client.post("/health")
    client.get("/metrics")  # not counted
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    scraped = samples(response.get_data(as_text=True))

    assert count(scraped, "/orders/<int:order_id>", "2xx") == 5  # the template, not five paths
    assert count(scraped, "<unmatched>", "4xx") == 1
    assert count(scraped, "<unmatched>", "4xx", "POST") == 1  # 405: no rule matched POST /health
    assert not any(dict(labels).get("route") == "/metrics" for _, labels in scraped)
    labels = (("method", "GET"), ("route", "/orders/<int:order_id>"), ("status", "2xx"))
    assert scraped[("http_request_duration_seconds_count", labels)] == 5


def test_durations_are_those_request_completed_logged(logs) -> None:
    client = routed_app().test_client()
    client.get("/orders/1")
    logged = logs.one("request_completed")["duration_ms"]
    scraped = samples(client.get("/metrics").get_data(as_text=True))
    labels = (("method", "GET"), ("route", "/orders/<int:order_id>"), ("status", "2xx"))
    assert scraped[("http_request_duration_seconds_sum", labels)] == pytest.approx(logged / 1000)


def test_unusual_methods_share_one_label() -> None:
    client = routed_app().test_client()
    client.open("/health", method="BREW")
    scraped = samples(client.get("/metrics").get_data(as_text=True))
    assert count(scraped, "<unmatched>", "4xx", "OTHER") == 1


def test_off_by_default_no_route_and_no_observer() -> None:
    app = create_app({**TEST_SETTINGS, "TESTING": "true"})
    assert app.test_client().get("/metrics").status_code == 404
    assert app.extensions["request_logging"].observers == ()


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds gunicorn's workers through /proc")
def test_two_gunicorn_workers_add_up_exactly_even_after_one_dies(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # an earlier run's: removed at start
    with gunicorn(  # JSON lines, whatever the baked default, so the summaries are counted below
        METRICS_ENABLED="true", WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), LOG_FORMAT="json"
    ) as server:
        assert not (metrics_dir / "counter_999999.db").exists()
        wait_for(lambda: len(worker_pids(server.process.pid)) == 2)
        for _ in range(30):
            assert get(f"{server.url}/health")[0] == 200
        for _ in range(7):
            assert get(f"{server.url}/nope")[0] == 404
        first, second = worker_pids(server.process.pid)
        os.kill(first, signal.SIGKILL)  # its counts are in its files: they must still be added
        wait_for(lambda: first not in worker_pids(server.process.pid) and len(worker_pids(server.process.pid)) == 2)
        for _ in range(3):
            assert get(f"{server.url}/health")[0] == 200
        # Every scrape, whichever worker answers it, sees every worker's requests; +1 for the
        # wait_until_serving probe gunicorn() makes before yielding.
        for _ in range(6):
            scraped = samples(get(f"{server.url}/metrics")[2].decode())
            assert count(scraped, "/health", "2xx") == 34
            assert count(scraped, "<unmatched>", "4xx") == 7
            assert not any(dict(labels).get("route") == "/metrics" for _, labels in scraped)
        assert second in worker_pids(server.process.pid)
    summaries = [line for line in server.lines if '"request_completed"' in line and '"/metrics"' not in line]
    assert len(summaries) == 41  # the logs count the same requests


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="the default directory is made under /dev/shm")
def test_gunicorn_creates_and_removes_its_own_directory() -> None:
    before = set(Path("/dev/shm").glob("prometheus-*"))
    with gunicorn(METRICS_ENABLED="true", WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=None) as server:
        get(f"{server.url}/health")
        (directory,) = set(Path("/dev/shm").glob("prometheus-*")) - before
        assert any(name.suffix == ".db" for name in directory.iterdir())
    assert not directory.exists()
