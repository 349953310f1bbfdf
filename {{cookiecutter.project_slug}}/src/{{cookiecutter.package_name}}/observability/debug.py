"""Safe ways to raise verbosity for one request instead of the whole service.

- Per-request debug: only when ``DEBUG_LOG_TOKEN`` is configured and the request sends
  ``X-Debug-Log: <that token>`` (compared in constant time) does that request log at DEBUG.
  A wrong token enables nothing and is noted at WARNING without echoing it.
- Sampling: ``LOG_SAMPLE_RATE`` gives that share of requests the same DEBUG detail. Each
  request draws a fresh server-side random number: nothing the client sends (its
  ``X-Request-ID`` included) can choose to be sampled, which would let it make every request
  log at DEBUG with all its headers. The decision is made once, when the request starts, and
  kept in its context (``debug_reason``), so every record of a sampled request is kept,
  including those logged from threads that carry the context.

``LevelGate`` is the handler filter that makes this work: when per-request debug is possible
the loggers run at DEBUG and the gate drops DEBUG records of requests that did not ask.
"""

from __future__ import annotations

import hmac
import logging
from random import random

from .context import RECORD_ATTRIBUTE, LogContext, current
from .levels import LevelPolicy

DEBUG_HEADER = "X-Debug-Log"


def debug_enabled() -> bool:
    """True when the current request was switched to DEBUG (token or sampling)."""
    return current().debug_reason is not None


def token_matches(sent: str | None, configured: str) -> bool:
    if not configured or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "replace"), configured.encode("utf-8"))


def sampled(rate: float) -> bool:
    """One server-side draw: a share ``rate`` of calls say yes, and no input can pick which.

    ``random`` (reseeded in each forked worker) is enough: a client never sees the draws, so
    it cannot predict them; the call site keeps the answer for the rest of the request.
    """
    if rate <= 0:
        return False
    return rate >= 1 or random() < rate  # noqa: S311 - a sampling draw, not a secret: no client sees it


def debug_reason(sent_token: str | None, configured_token: str, rate: float) -> str | None:
    """Why this request logs at DEBUG, decided once as it starts: "token", "sampled" or None."""
    if token_matches(sent_token, configured_token):
        return "token"
    if sampled(rate):
        return "sampled"
    return None


class LevelGate(logging.Filter):
    """Drop records below their logger's level unless their request asked for DEBUG.

    Only installed when per-request debug is possible (the loggers then run at DEBUG). The
    levels come from the one ``LevelPolicy``; the request is the record's own (stamped when
    it was made), so a record that crossed threads is judged by the request it belongs to.
    """

    def __init__(self, policy: LevelPolicy) -> None:
        super().__init__()
        self.policy = policy

    def allows(self, level: int, logger: str, context: LogContext) -> bool:
        return level >= self.policy.level_for(logger) or context.debug_reason is not None

    def filter(self, record: logging.LogRecord) -> bool:
        context = getattr(record, RECORD_ATTRIBUTE, None) or current()
        return self.allows(record.levelno, record.name, context)
