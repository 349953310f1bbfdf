"""Log a named event with fields, without tripping over LogRecord's own attribute names.

``logger.info("x", extra={"name": ...})`` raises ``KeyError`` in the caller's code, because
``name`` (like ``module``, ``args``, ``message``, ``msg``, ``filename``, ...) is an attribute
every LogRecord already has. ``log_event`` renames such keys to ``extra_<key>`` (the same
rule the formatter applies to keys that clash with its own fields), so a field named after
a record attribute costs nothing but a prefix.

    log_event(log, "user_renamed", name="ann", module="billing")
    # -> {"msg": "user_renamed", ..., "extra_name": "ann", "extra_module": "billing"}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .formatting import RECORD_ATTRIBUTES


def safe_extra(fields: Mapping[str, object]) -> dict[str, object]:
    """``fields`` with keys that would clash with LogRecord attributes renamed ``extra_<key>``."""
    return {(f"extra_{key}" if key in RECORD_ATTRIBUTES else key): value for key, value in fields.items()}


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: object) -> None:
    """Log ``event`` as the message with ``fields`` as structured extras."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra=safe_extra(fields))
