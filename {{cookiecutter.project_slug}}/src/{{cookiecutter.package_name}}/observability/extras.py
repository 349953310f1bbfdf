"""Optional integrations (Sentry, Prometheus metrics): whether their extra is installed.

Every integration ships in every service as one module under ``observability/``, its
dependencies in an optional extra (``pip install "{{ cookiecutter.project_slug }}[sentry]"``).
An integration is off unless its standard configuration turns it on; turned on without its
extra, start-up stops with one CRITICAL line naming the extra (a ``ConfigError``, like any
other bad setting), instead of an ``ImportError`` in every worker.
"""

from __future__ import annotations

import importlib.util

from ..env import fail

DISTRIBUTION = "{{ cookiecutter.project_slug }}"


def missing_module(*modules: str) -> str | None:
    """The first of ``modules`` that cannot be imported, else None (nothing is imported but
    the parent packages ``find_spec`` needs)."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # a parent package is missing
            found = False
        if not found:
            return module
    return None


def require_extra(name: str, shown: str, extra: str, *modules: str, off: str = "empty (off)") -> None:
    """Refuse ``name`` (shown as ``shown``) when a module of the ``extra`` is not installed;
    ``off`` is the value that turns the integration off, for the accepted values."""
    missing = missing_module(*modules)
    if missing is not None:
        fail(
            name,
            shown,
            f'{off}, or install the extra: pip install "{DISTRIBUTION}[{extra}]"',
            f"it needs the {extra} extra; {missing} is not installed",
        )
