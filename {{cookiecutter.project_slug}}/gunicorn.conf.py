"""Gunicorn settings, read from the environment: ``gunicorn {{ cookiecutter.package_name }}.wsgi:app``.

Gunicorn executes this file in the master before any worker starts (and again on HUP), so
the service's settings are validated here first: a bad value stops start-up with one
CRITICAL line and a non-zero exit, instead of workers failing to boot over and over.
"""

from {{ cookiecutter.package_name }}.config import load_settings, parse_int, read_environment
from {{ cookiecutter.package_name }}.observability.gunicorn_logging import checked

checked(load_settings, None)
_env = read_environment(None)


def _server_setting(name: str, default: str, low: int) -> int:
    return checked(lambda: parse_int(name, _env.get(name, default), low), int(default))


bind = f"{_env.get('HOST', '0.0.0.0')}:{_server_setting('PORT', '8000', 1)}"
workers = _server_setting("WEB_CONCURRENCY", "2", 1)
threads = _server_setting("GUNICORN_THREADS", "1", 1)
timeout = _server_setting("GUNICORN_TIMEOUT", "30", 1)
graceful_timeout = _server_setting("GUNICORN_GRACEFUL_TIMEOUT", "30", 1)
keepalive = _server_setting("GUNICORN_KEEPALIVE", "2", 0)

# Gunicorn's own lines go through the service's formatter (see observability/gunicorn_logging.py).
logger_class = "{{ cookiecutter.package_name }}.observability.gunicorn_logging.GunicornLogger"
errorlog = "-"
loglevel = "info"
# No access log: request_completed already summarises every request, with its request ID.
accesslog = None
