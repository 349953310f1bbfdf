"""Route gunicorn's own loggers through the service's logging set-up.

Gunicorn normally prints start-up, worker boot/exit, timeouts and errors through handlers of
its own, in its own format. ``GunicornLogger`` (named by ``logger_class`` in
``gunicorn.conf.py``) configures the service's pipeline in the master and lets
``gunicorn.error`` propagate to it, so those lines come out in the chosen format with the same
fields. The access log stays off: ``request_completed`` already summarises every request,
with the request ID, from structured values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gunicorn.glogging import Logger

from ..config import load_settings
from ..env import ConfigError, exit_on_config_error
from .setup import configure_logging

T = TypeVar("T")
# True once the master has set up logging: later runs of gunicorn.conf.py and setup() are
# HUP reloads.
_master_started = False


def checked(build: Callable[[], T], fallback: T) -> T:
    """Validate a setting: at start-up a bad value ends gunicorn (one CRITICAL line, exit 4).

    On a HUP reload, exiting would orphan the running workers, so the line is printed and
    ``fallback`` used; a bad service setting then stops new workers from booting, and
    gunicorn halts cleanly, taking its workers with it.
    """
    if not _master_started:
        return exit_on_config_error(build)
    try:
        return build()
    except ConfigError as exc:
        exc.show()
        return fallback


class GunicornLogger(Logger):  # type: ignore[misc] # gunicorn ships no type hints
    def setup(self, cfg: object) -> None:
        global _master_started
        super().setup(cfg)
        settings = checked(load_settings, None)
        if settings is not None:
            configure_logging(settings)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
            logger.propagate = True
        _master_started = True
