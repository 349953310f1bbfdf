"""Gunicorn settings, read from the environment: ``gunicorn {{ cookiecutter.package_name }}.wsgi:app``.

Gunicorn executes this file in the master before any worker starts (and again on HUP), so
the service's settings are validated here first: a bad value stops start-up with one
CRITICAL line and a non-zero exit, instead of workers failing to boot over and over.

Every number has an upper bound as well. Gunicorn takes any int, and a value past what the
platform allows fails only later, in every worker, over and over (``GUNICORN_TIMEOUT=10**20``
overflows ``select``'s time_t), or forks far more processes than the machine holds
(``WEB_CONCURRENCY=100000``). The bounds sit far above sane values. ``HOST`` must be an
address or a host name; an IPv6 address is bracketed in ``bind``, where gunicorn would
otherwise split ``::1:8000`` at the first colon.

One exception: gunicorn itself reads ``WEB_CONCURRENCY`` from the process environment when
it is imported, before this file runs. A value it refuses (``abc``, ``-2``) ends gunicorn
with gunicorn's own error, and no worker starts; there is nothing here that could run first.
"""

import os

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.env import parse_host, parse_int, read_environment
from {{ cookiecutter.package_name }}.observability.gunicorn_logging import checked
from {{ cookiecutter.package_name }}.observability.integrations import GunicornHooks

MAX_PORT = 65535  # TCP
MAX_WORKERS = 1000  # processes: more is a typo, and would exhaust the machine
MAX_THREADS = 256  # per worker: gthread's 1000 worker_connections must leave room for keep-alive
MAX_SECONDS = 86400  # one day, for the timeouts and keep-alive

_settings = checked(load_settings, None)
# On a HUP reload with an unreadable .env, the line is printed and the process environment
# used; the new workers then refuse to boot (they read the same .env) and gunicorn halts.
_env = checked(lambda: read_environment(None), dict(os.environ))


def _server_setting(name: str, default: int, low: int, high: int) -> int:
    return checked(lambda: parse_int(name, _env.get(name, str(default)), low, high), default)


def _bind_address() -> str:
    """``host:port``, with the brackets an IPv6 address needs there (``[::1]:8000``)."""
    # Every interface by default: in a container that is how the service is reached; set HOST
    # (127.0.0.1, ::1) to narrow it on a shared machine.
    host = checked(lambda: parse_host("HOST", _env.get("HOST", "0.0.0.0")), "0.0.0.0")  # noqa: S104
    port = _server_setting("PORT", 8000, 1, MAX_PORT)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


bind = _bind_address()
workers = _server_setting("WEB_CONCURRENCY", 2, 1, MAX_WORKERS)
threads = _server_setting("GUNICORN_THREADS", 1, 1, MAX_THREADS)
timeout = _server_setting("GUNICORN_TIMEOUT", 30, 1, MAX_SECONDS)
graceful_timeout = _server_setting("GUNICORN_GRACEFUL_TIMEOUT", 30, 1, MAX_SECONDS)
keepalive = _server_setting("GUNICORN_KEEPALIVE", 2, 0, MAX_SECONDS)

# Gunicorn's own lines go through the service's formatter (see observability/gunicorn_logging.py).
logger_class = "{{ cookiecutter.package_name }}.observability.gunicorn_logging.GunicornLogger"
errorlog = "-"
loglevel = "info"
# No access log: request_completed already summarises every request, with its request ID.
accesslog = None
# Worker heartbeats in memory, not under /tmp: works on a read-only root filesystem, and a
# container's /tmp is often a slow overlay (gunicorn's docs recommend /dev/shm in Docker).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented choice

# Gunicorn 25.1+ opens a control socket for gunicornc under $HOME/.gunicorn (or
# $XDG_RUNTIME_DIR): that fails on a read-only root filesystem, replicas sharing a home
# directory would share one path, and its thread would run in the master. Off; set
# control_socket to a path of your own (and this to False) to use gunicornc.
control_socket_disable = True

# The optional integrations' process life cycle (observability/integrations.py): the metrics'
# shared directory is prepared here, in the master, each worker that exits is marked dead, and
# the directory is removed when gunicorn exits; OpenTelemetry's providers are made in each
# worker after fork and flushed as it exits.
_hooks = GunicornHooks(_settings)
child_exit = _hooks.child_exit
on_exit = _hooks.on_exit
post_worker_init = _hooks.post_worker_init
worker_exit = _hooks.worker_exit
