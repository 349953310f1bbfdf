"""Sentry error reporting (the ``sentry`` extra), on when ``SENTRY_DSN`` is set.

sentry-sdk with its Flask and logging integrations, ``send_default_pii`` off, the service's
identity as environment (``DEPLOY_ENV``) and release (``SERVICE_VERSION``), and
``SENTRY_TRACES_SAMPLE_RATE`` for performance transactions (0, none, by default).

What leaves the process is scrubbed by the service's own redactor (``EventScrubber``), on
top of Sentry's exact-key default list, in every event, transaction, breadcrumb and log:
a value under a sensitive key at any depth (headers, cookies, request bodies, local
variables in stack frames, extra data) becomes ``[REDACTED]``; URLs lose their password
and sensitive query values; every other string (exception messages, log messages, query
strings, repr'd locals) goes through the same free-text redaction as a log line.

Every event and transaction is tagged with the request's ``request_id`` (and ``trace_id``
when it has one), so an issue leads straight to ``flask logs trace <request_id>``. An
unhandled error is reported once: the service's error handler logs ``unhandled_exception``
and the logging integration reports that record; Flask's ``got_request_exception``, which
the Flask integration listens to, never fires for an error a handler answered, and the
same exception object reaching Sentry twice (a failed stream, logged by the service and by
gunicorn) is dropped by Sentry's dedupe integration, and the ERROR summary of a 5xx
(``request_completed``) stays a breadcrumb.

Importable without sentry-sdk: the SDK is imported only when the integration is on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from ..env import fail, parse_number
from .context import MISSING, LogContext, current, record_context
from .extras import require_extra
from .redaction import MAX_EXC_CHARS, REDACTED, Redactor

if TYPE_CHECKING:
    from flask import Flask

    from ..config import Settings

EXTRA = "sentry"
HIDDEN = "<hidden>"
MAX_DEPTH = 32
DSN_ACCEPTED = "a Sentry DSN such as https://<key>@o0.ingest.sentry.io/<project id>, or empty (off)"
Event = dict[str, Any]
# The request summary (request_logging.py): a breadcrumb, never an event.
SUMMARY_LOGGER = "http"
SUMMARY = "request_completed"


@dataclass(frozen=True)
class SentrySettings:
    dsn: str
    traces_sample_rate: float = 0.0


def load_sentry_settings(env: Mapping[str, str]) -> SentrySettings | None:
    """``SENTRY_DSN`` (off when empty) and ``SENTRY_TRACES_SAMPLE_RATE`` (0 to 1)."""
    rate = parse_number("SENTRY_TRACES_SAMPLE_RATE", env.get("SENTRY_TRACES_SAMPLE_RATE", "0"), 0, 1)
    dsn = env.get("SENTRY_DSN", "").strip()
    if not dsn:
        return None
    # The DSN carries the project's key: never echoed.
    require_extra("SENTRY_DSN", HIDDEN, EXTRA, "sentry_sdk")
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(dsn)
    except BadDsn:
        fail("SENTRY_DSN", HIDDEN, DSN_ACCEPTED)
    return SentrySettings(dsn, rate)


class EventScrubber:
    """Redacts a Sentry payload (an event, a transaction, a breadcrumb, a log) in place of
    its values, with the service's redactor. Works on the serialized payload: dicts, lists
    and strings (Sentry has turned everything else into strings by then)."""

    def __init__(self, redactor: Redactor, service: str = "") -> None:
        self.redactor = redactor
        self.service = service

    def scrub(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if depth >= MAX_DEPTH:
            return value if isinstance(value, (int, float, bool)) or value is None else REDACTED
        if isinstance(value, dict):
            return {key: self.item(key, item, depth) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(item, depth + 1) for item in value]
        return value

    def item(self, key: object, value: Any, depth: int) -> Any:
        if isinstance(key, str):
            if self.redactor.is_sensitive_key(key) and value not in (None, "", [], {}):
                return REDACTED
            if key == "query_string" and isinstance(value, str):
                return self.query(value)
        return self.scrub(value, depth + 1)

    def string(self, text: str) -> str:
        if "://" in text and " " not in text:
            text = self.redactor.url(text)
        return self.redactor.text(text, MAX_EXC_CHARS)

    def query(self, query: str) -> str:
        """A raw query string with credential-carrying parameters' values hidden."""
        pairs = parse_qsl(query, keep_blank_values=True)
        hidden = [(name, REDACTED if self.redactor.is_sensitive_query_name(name) else value) for name, value in pairs]
        return self.redactor.text("&".join(f"{quote(name)}={quote(value, safe='[]')}" for name, value in hidden))

    def event(self, event: Event, hint: Mapping[str, Any]) -> Event | None:
        """``before_send`` / ``before_send_transaction``: tag the request, then scrub. The
        request summary of a 5xx (``request_completed`` at ERROR) is not an event: the error
        behind it is reported by itself, and the summary would report it twice."""
        if event.get("logger") == SUMMARY_LOGGER and event.get("logentry", {}).get("message") == SUMMARY:
            return None
        scrubbed: Event = self.scrub(event)
        context = current()
        if context.request_id == MISSING:  # reported after the request ended (gunicorn's line)
            context = record_context(hint.get("exc_info"))
        tags = scrubbed.get("tags")
        tags = dict(tags) if isinstance(tags, dict) else {}
        if self.service:
            tags["service"] = self.service
        tags.update(request_tags(context))
        if tags:
            scrubbed["tags"] = tags
        return scrubbed

    def log(self, log: Event, hint: Mapping[str, Any]) -> Event:
        scrubbed: Event = self.scrub(log)
        return scrubbed


def request_tags(context: LogContext) -> dict[str, str]:
    tags: dict[str, str] = {}
    if context.request_id != MISSING:
        tags["request_id"] = context.request_id
    if context.trace_id is not None:
        tags["trace_id"] = context.trace_id
    return tags


def sdk_options(settings: Settings, redactor: Redactor) -> dict[str, Any]:
    """The keyword arguments of ``sentry_sdk.init`` (tests add their in-process transport)."""
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry = settings.sentry
    if sentry is None:
        raise ValueError("SENTRY_DSN is not set")
    scrubber = EventScrubber(redactor, settings.service_name)
    return {
        "dsn": sentry.dsn,
        "integrations": [
            FlaskIntegration(transaction_style="url"),  # route templates, not raw paths
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        # send_default_pii is left unset: off, the SDK's default (newer SDKs deprecate passing it,
        # in favour of data_collection, whose default is the same).
        "environment": settings.deploy_env or None,
        "release": settings.service_version or None,
        "traces_sample_rate": sentry.traces_sample_rate,
        "before_send": scrubber.event,
        "before_send_transaction": scrubber.event,
        # No before_breadcrumb: a breadcrumb leaves only inside an event or a transaction, and
        # those are scrubbed whole (breadcrumbs included) after the SDK serialized them, so a
        # repr'd object is text by then. Scrubbing each crumb as it is recorded cost every
        # INFO record a redaction pass (bench/integrations.py measured it).
        "before_send_log": scrubber.log,
    }


def tag_request() -> None:
    """``before_request``: the request's tags on its Sentry scope, so its transaction (sent
    after the request's log context has ended) carries them as its events do."""
    import sentry_sdk

    for name, value in request_tags(current()).items():
        sentry_sdk.set_tag(name, value)


def init_sentry(app: Flask, settings: Settings, redactor: Redactor) -> None:
    """Start the SDK (once per ``create_app``; a later call replaces the client)."""
    import sentry_sdk

    sentry_sdk.init(**sdk_options(settings, redactor))
    app.before_request(tag_request)
