"""``flask logs``: answer incident questions from the service's own log lines.

Why this exists: every record the service writes carries its request ID, so the log files
already know what happened in request X, which requests were slowest, and which failed and
why. Getting that out with ``grep | jq`` differs per person, chokes on torn lines and does
not read the text format, and prints logged values raw. These commands read the files as
they are, in either format (JSON in any ``LOG_SCHEMA``, or ``LOG_FORMAT=text`` lines), from
several services and replicas at once (``kubectl logs --prefix`` and ``docker compose logs``
prefixes are read through), and ``trace`` takes a request ID or a W3C trace ID:

    flask --app <package> logs trace REQUEST_ID app.log.2.gz app.log.1 app.log
    flask --app <package> logs slow --top 20 app.log
    flask --app <package> logs errors app.log.1 app.log

One job per module, each testable alone:

- ``reading``: files (``.gz``, stdin) -> lines -> records in the service's own fields (every
  schema read back by ``observability/schemas``), skipping and counting the rest;
- ``records``: typed access to a record's values (numbers, text, times, levels, exceptions);
- ``trace``, ``slow``, ``errors``: what each command computes, streaming with bounded state
  (``trace`` nests each service's lines under the dependency call that reached it);
- ``render``: everything printed, escaped so no logged value can drive a terminal;
- ``cli``: the click group and commands that join them.
"""

from __future__ import annotations

from .cli import logs_group

__all__ = ["logs_group"]
