"""The log tool (``{{ cookiecutter.project_slug }}-logs``, ``python -m <package>.logs``, ``flask logs``): answer
incident questions from the service's own log lines, without building the app.

Why this exists: every record the service writes carries its request ID, so the log files
already know what happened in request X, which requests were slowest, and which failed and
why. Getting that out with ``grep | jq`` differs per person, chokes on torn lines and does
not read the text format, and prints logged values raw. These commands read the files as
they are, in either format (JSON in any ``LOG_SCHEMA``, or ``LOG_FORMAT=text`` lines), from
several services and replicas at once (``kubectl logs --prefix`` and ``docker compose logs``
prefixes are read through), and ``trace`` takes a request ID or a W3C trace ID:

    {{ cookiecutter.project_slug }}-logs summary logs/                  # what fails and is slow, by cause
    {{ cookiecutter.project_slug }}-logs errors --user u-7 app.log      # app.log brings its rotated files
    {{ cookiecutter.project_slug }}-logs slow --min-ms 500 --route '/orders/*' app.log
    {{ cookiecutter.project_slug }}-logs deps --since 15m app.log
    {{ cookiecutter.project_slug }}-logs trace REQUEST_ID app.log

One job per module, each testable alone:

- ``rotation``: which files: a log file with its rotated files, or a directory, oldest first;
- ``search``: files read in 4 MB chunks, and the lines holding a needle (a request ID, a
  user) found with a bytes search before anything is parsed;
- ``reading``: files (``.gz``, stdin) -> lines -> records in the service's own fields (every
  schema read back by ``observability/schemas``), skipping and counting the rest;
  ``fastjson``: orjson where it reads exactly what ``json`` reads;
- ``records``: typed access to a record's values (numbers, text, times, levels, exceptions);
- ``requests``: records -> one ``Request`` per request (user, route, status, first problem,
  dependency calls), yielded as it completes, with bounded state;
- ``filters``: ``--user``, ``--path``, ``--route``, ``--dependency``, ``--status``,
  ``--since``/``--until``, and the needle searched for before a line is parsed;
- ``trace``, ``slow``, ``errors``, ``summary``, ``deps``: what each command computes,
  streaming with bounded state (``trace`` nests each service's lines under the dependency
  call that reached it);
- ``render``: everything printed, escaped so no logged value can drive a terminal;
- ``cli``: the click group and commands that join them; ``__main__``: the entry without the app.
"""

from __future__ import annotations

from .cli import logs_group

__all__ = ["logs_group"]
