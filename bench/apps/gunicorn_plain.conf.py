"""Gunicorn settings of the hand-written set-ups: the baked ``gunicorn.conf.py``'s defaults
with ``WEB_CONCURRENCY=1`` (one sync worker, one thread), minus its logger class.

Same bind, worker model, timeouts, keep-alive and heartbeat directory as the baked service,
so the only difference between the servers under test is how each app logs its requests.
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
accesslog = None
# The baked config's heartbeat directory: the sync worker touches its heartbeat file on
# every accepted request, so a slower filesystem there would cost every request.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
