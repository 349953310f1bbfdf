"""Tests of your own routes (this file is yours, like routes.py)."""

from flask import Flask


def test_the_routes_blueprint_is_registered(app: Flask) -> None:
    assert "routes" in app.blueprints
