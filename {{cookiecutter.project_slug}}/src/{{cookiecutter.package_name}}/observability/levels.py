"""Which level applies to a logger: one answer for set-up, the debug gate and request logging.

``LOG_LEVEL`` is the root's level; ``LOG_LEVELS`` sets named loggers (and their children, by
dotted prefix), on top of a few defaults (``werkzeug`` at WARNING, since request logging
already summarises every request; ``gunicorn.error`` at INFO, so start-up and worker lines
show whatever ``LOG_LEVEL`` is). ``configure_logging`` applies these with ``setLevel``; when
per-request debug is possible the loggers must let DEBUG through instead, and the handler
gate asks ``level_for`` per record. Both read this one table, so they cannot disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

DEFAULT_LOGGER_LEVELS = {"werkzeug": "WARNING", "gunicorn.error": "INFO"}
MAX_CACHED = 1024


def level_number(name: str) -> int:
    number = logging.getLevelName(name)
    if not isinstance(number, int):
        raise ValueError(f"unknown level {name!r}")
    return number


class LevelPolicy:
    def __init__(self, base: str, overrides: Mapping[str, str]) -> None:
        self.base = level_number(base)
        self.levels = {name: level_number(level) for name, level in {**DEFAULT_LOGGER_LEVELS, **overrides}.items()}
        self._cache: dict[str, int] = {}

    def level_for(self, name: str) -> int:
        """The level of the longest configured name that is ``name`` or a dotted prefix of it."""
        level = self._cache.get(name)
        if level is None:
            level, best = self.base, -1
            for prefix, prefix_level in self.levels.items():
                if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                    level, best = prefix_level, len(prefix)
            if len(self._cache) >= MAX_CACHED:  # logger names can be made at run time: bounded
                self._cache.clear()
            self._cache[name] = level
        return level
