"""HTTP routes. Add your endpoints to this blueprint (or new ones registered in create_app)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("routes", __name__)


@bp.get("/health")
def health() -> dict[str, str]:
    """Liveness probe: cheap, no dependencies, logged like any request."""
    return {"status": "ok"}
