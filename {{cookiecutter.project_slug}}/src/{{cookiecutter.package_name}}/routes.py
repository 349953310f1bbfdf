"""Your HTTP routes. Add endpoints to this blueprint (or new blueprints registered in create_app).

This file is yours: template updates never touch it (it is in ``.cruft.json``'s skip list).
The probes (``/health``, ``/ready``) live in ``probes.py``; add readiness checks from here
with ``probes.add_readiness_check`` (see that module).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("routes", __name__)
