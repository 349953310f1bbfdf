"""The baked service's own WSGI app with one trivial readiness check registered.

``GET /ready`` then runs the check the way a real one runs (on the probe's thread pool, with
its timeout), so its figure is the price of the probe machinery itself, not of a database.
``BENCH_PACKAGE`` names the baked package (``my_service`` by default).
"""

import importlib
import os

_package = os.environ["BENCH_PACKAGE"]
app = importlib.import_module(f"{_package}.wsgi").app
importlib.import_module(f"{_package}.probes").add_readiness_check(app, "trivial", lambda: None)
