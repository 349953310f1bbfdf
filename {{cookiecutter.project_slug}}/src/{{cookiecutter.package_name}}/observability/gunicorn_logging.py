"""Route gunicorn's own loggers through the service's logging set-up.

Gunicorn normally prints start-up, worker boot/exit, timeouts and errors through handlers of
its own, in its own format. ``GunicornLogger`` (named by ``logger_class`` in
``gunicorn.conf.py``) configures the service's pipeline in the master and lets
``gunicorn.error`` propagate to it, so those lines come out in the chosen format with the same
fields. The access log stays off: ``request_completed`` already summarises every request,
with the request ID, from structured values.
"""

from __future__ import annotations

import logging

from gunicorn.glogging import Logger

from ..config import exit_on_config_error, load_settings
from .setup import configure_logging


class GunicornLogger(Logger):
    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        configure_logging(exit_on_config_error(load_settings))
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
            logger.propagate = True
        self.error_log.setLevel(logging.INFO)
