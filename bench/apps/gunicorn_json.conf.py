"""Gunicorn's own access log, written as JSON: the summary line costs the app nothing.

The settings of ``gunicorn_plain.conf.py`` plus ``accesslog = "-"`` (stdout) and an
``access_log_format`` written as a JSON object, the way gunicorn's settings reference
(``access_log_format``, its atoms) and the usual guides show it. The app is ``bare_app``.

Gunicorn fills the ``%(x)s`` atoms after each response and escapes double quotes in them
(``SafeAtoms``), so a request line cannot break the JSON. ``%({x-request-id}i)s`` is the
client's ``X-Request-ID`` header as sent, or ``-``: gunicorn neither checks nor generates
one, and nothing else of the service's work (context, redaction) happens either.
"""

import os

bind = f"127.0.0.1:{os.environ['PORT']}"
workers = 1
threads = 1
timeout = 30
graceful_timeout = 30
keepalive = 2
errorlog = "-"
loglevel = "info"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
# One JSON object per line. Numbers unquoted: the status and the duration in microseconds
# (%(M)s, whole milliseconds, would read 0 for nearly every request here).
access_log_format = (
    '{"time": "%(t)s", "level": "INFO", "event": "request_completed", '
    '"request_id": "%({x-request-id}i)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "duration_us": %(D)s, "size": "%(b)s", '
    '"remote_addr": "%(h)s", "user_agent": "%(a)s"}'
)
