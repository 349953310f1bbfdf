"""``route`` on ``request_completed``: the route template Flask matched, so logs group by
endpoint (``/orders/<int:order_id>``), not by every distinct path. Absent when no rule matched,
and when the route is the path itself (``/health``): group by ``route``, else ``path``."""

from __future__ import annotations

import pytest
from flask import Flask, Response


@pytest.fixture
def app(make_routed_app) -> Flask:
    app = make_routed_app()

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, int]:
        if order_id == 13:
            raise RuntimeError("unlucky")
        return {"order": order_id}

    return app


@pytest.mark.parametrize(
    ("path", "route", "status"),
    [
        ("/orders/7", "/orders/<int:order_id>", 200),
        ("/orders/13", "/orders/<int:order_id>", 500),  # an exception still has its rule
        ("/orders/8?chunks=2", "/orders/<int:order_id>", 200),
        ("/stream?chunks=2", None, 200),  # a plain route is its path: not repeated
        ("/health", None, 200),
        ("/orders/abc", None, 404),  # no rule matched
        ("/nowhere", None, 404),
    ],
)
def test_request_completed_names_the_route(client, logs, path: str, route: str | None, status: int) -> None:
    response = client.get(path)
    response.close()
    completed = logs.one("request_completed")
    assert completed["status"] == status
    assert completed["path"] == path.split("?", maxsplit=1)[0]
    assert completed.get("route") == route
    assert ("route" in completed) == (route is not None)


def test_a_streamed_response_keeps_its_route(app: Flask, logs) -> None:
    @app.get("/feed/<name>")
    def feed(name: str) -> Response:
        return Response(iter([b"a", b"b"]), mimetype="text/plain")

    response = app.test_client().get("/feed/news")
    response.close()
    assert logs.one("request_completed")["route"] == "/feed/<name>"


def test_the_route_costs_only_its_own_field(client, logs) -> None:
    """A plain route adds nothing (test_formatting.py keeps that summary under 300 bytes); a
    route with variables adds just its one field to a summary otherwise under 300 bytes."""
    client.get("/orders/123", headers={"X-Request-ID": "a" * 32})
    logs.one("request_completed")
    (line,) = [raw for raw in logs.raw if "request_completed" in raw]
    field = next(f for f in (',"route":"/orders/<int:order_id>"', ' route="/orders/<int:order_id>"') if f in line)
    assert len(line.replace(field, "").encode()) < 300
