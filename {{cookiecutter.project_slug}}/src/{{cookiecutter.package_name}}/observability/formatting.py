"""Turn a LogRecord into one line: JSON for machines, key=value text for people.

Every line, of every record and of the request summary, is made by one method,
``EventFormatter.line``: ``build_event`` makes the event dict, the configured schema (if
any) maps it, ``render`` writes the line. Both formats come from the same event dict, so they
carry the same fields: ``ts`` (RFC 3339, UTC, milliseconds, from ``record.created``),
``level``, ``logger``, ``msg``, the request context, the service's identity (``service``,
and ``version``/``env`` when configured), the trace (``trace_id``, ``span_id``) when a
valid ``traceparent`` came in, then only the ``extra`` fields the caller passed (never
LogRecord internals), then ``exc_type``/``exc`` for exceptions. Redaction happens here,
centrally, so every record is redacted whoever logged it, whatever the schema.

A schema (``LOG_SCHEMA``, JSON only: ``observability/schemas/``) is one function from that
event dict to the dict a log backend reads natively (Elastic's ECS, Google Cloud Logging,
Datadog). It runs after redaction and before rendering, so nothing else differs per schema.

One record is always exactly one line: JSON escapes control characters, and the text format
escapes them (plus the Unicode line and bidi controls) inside quoted values. Formatting never
raises; a record that cannot be rendered still produces a line saying so.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from itertools import islice
from math import isfinite
from typing import NamedTuple, cast

try:  # a declared dependency; the stdlib encoder below keeps the service working without it
    import orjson
except ImportError:  # pragma: no cover - exercised by the template tests' no-orjson run
    orjson = None  # type: ignore[assignment] # the module or None, tested below

from ..config import DEFAULT_SERVICE_NAME
from .context import CONTEXT_FIELDS, MAX_USER_ID, MISSING, RECORD_ATTRIBUTE, LogContext, current
from .redaction import REDACTED, Redactor, large_int_text, safe_repr
from .redaction.values import MAX_KEY_CHARS

MAX_PATH_CHARS = 2048
# Values that are already JSON and cannot hold a secret (floats need a finiteness check).
PLAIN_SCALARS = frozenset({bool, type(None)})
INT64 = 2**63
MAX_CACHED_KEYS = 4096

# Attributes every LogRecord has; anything else on a record came from ``extra``.
STANDARD_ATTRIBUTE_COUNT = len(logging.makeLogRecord({}).__dict__)
RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
NOT_EXTRA = RECORD_ATTRIBUTES | {RECORD_ATTRIBUTE}
# The service's identity on every line, after the request context (values from settings).
IDENTITY_FIELDS = ("service", "version", "env")
# The trace, on every line of a request that came with a valid traceparent.
TRACE_FIELDS = ("trace_id", "span_id")
# Fields the formatter writes itself; an extra of the same name is renamed ``extra_<name>``.
BASE_FIELDS = frozenset(
    {"ts", "level", "logger", "msg", *CONTEXT_FIELDS, *IDENTITY_FIELDS, *TRACE_FIELDS, "exc_type", "exc", "stack"}
)
Event = dict[str, object]
# A schema: the event dict in the service's own fields -> the dict a backend reads natively.
SchemaMapper = Callable[[Event], Event]


class ServiceIdentity(NamedTuple):
    """Who writes the lines (SERVICE_NAME, SERVICE_VERSION, DEPLOY_ENV); empty = not set."""

    name: str = DEFAULT_SERVICE_NAME
    version: str = ""
    env: str = ""

    def fields(self) -> tuple[tuple[str, str], ...]:
        """The identity fields of every line, in order; version and env only when set."""
        pairs = (("service", self.name), ("version", self.version), ("env", self.env))
        return tuple((key, value) for key, value in pairs if value)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)
_second_cache: tuple[int, str] = (-1, "")
# ".000Z" to ".999Z" by millisecond; float rounding can make 1000 of 0.9999999, read as 999.
_MILLIS = (*(f".{ms:03d}Z" for ms in range(1000)), ".999Z")


def utc_timestamp(created: float) -> str:
    """``2026-11-24T19:09:14.123Z`` for a ``time.time()`` value; the seconds part is cached."""
    global _second_cache
    second = int(created)
    cached_second, prefix = _second_cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_cache = (second, prefix)
    return prefix + _MILLIS[int((created - second) * 1000)]


def record_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad %-args or a broken __str__ must not lose the record
        return f"{safe_repr(record.msg)} (message formatting failed with args {safe_repr(record.args)})"


def build_event(  # noqa: PLR0917 - the parts of one record, positional on the hot path
    formatter: EventFormatter,
    created: float,
    level: str,
    logger: str,
    message: str,
    context: LogContext,
    extras: Iterable[tuple[object, object]] = (),
    exc_type: str | None = None,
    exc_text: str | None = None,
    stack: str | None = None,
) -> dict[str, object]:
    """The record as a redacted, JSON-ready dict with the fields in their fixed order: time,
    level, logger, message, the request context, the service's identity, the trace."""
    redactor = formatter.redactor
    text = redactor.text
    # One unpacking instead of an attribute lookup per field (a NamedTuple's are descriptors).
    request_id, user_id, method, path, trace_id, _reason, span_id, _parent, _sampled, _state = context
    second = int(created)
    cached_second, prefix = _second_cache  # utc_timestamp's usual case, inlined
    event: dict[str, object] = {
        "ts": prefix + _MILLIS[int((created - second) * 1000)] if second == cached_second else utc_timestamp(created),
        "level": level,
        "logger": logger,
        "msg": text(message),
        "request_id": request_id,
        "user_id": user_id if user_id is MISSING else text(user_id, MAX_USER_ID),
        "method": method,
        "path": text(path, MAX_PATH_CHARS),
        "service": formatter.identity.name,
    }
    if formatter.deployment_fields:  # version, env: only when set
        event.update(formatter.deployment_fields)
    if trace_id:
        event["trace_id"] = trace_id
        event["span_id"] = span_id
    if extras:
        add_extras(event, extras, formatter)
    if exc_type is not None:
        event["exc_type"] = exc_type
    if exc_text:  # also a record that came through a queue or pickle with the text only
        event["exc"] = redactor.exception_text(exc_text)
    if stack:
        event["stack"] = redactor.exception_text(stack)
    return event


def add_extras(event: dict[str, object], items: Iterable[tuple[object, object]], formatter: EventFormatter) -> None:
    """Copy the caller's ``extra`` fields, redacted, renaming any that clash with ours."""
    redactor = formatter.redactor
    plans = formatter.extra_plans
    text = redactor.text
    for key, value in items:
        plan = plans.get(key) or formatter.extra_plan(key)
        name, sensitive = plan
        if not name:  # a record attribute, not an extra
            continue
        if name in event:
            name = "extra_" + name
        cls = value.__class__
        # Dispatch on the exact class (a subclass goes through redactor.value); the casts tell
        # the type checker what the class check proved.
        if sensitive:
            event[name] = REDACTED
        elif cls is str:
            event[name] = text(cast(str, value))
        elif cls is int:
            number = cast(int, value)
            event[name] = number if -INT64 <= number < INT64 else large_int_text(number)
        elif cls is float:
            event[name] = value if isfinite(cast(float, value)) else str(value)
        elif cls in PLAIN_SCALARS:
            event[name] = value
        else:
            event[name] = redactor.value(value)


def fallback_line(
    created: object, level: object, logger: object, error: BaseException, identity: Iterable[tuple[str, str]] = ()
) -> dict[str, object]:
    """The line of a record that could not be formatted: its time, level and logger, the
    error's type, and the fields every line has (no request context: it may be what broke)."""
    try:
        ts = utc_timestamp(created)  # type: ignore[arg-type]
    except Exception:  # the timestamp itself may be what broke
        ts = utc_timestamp(time.time())
    event: dict[str, object] = {
        "ts": ts,
        "level": safe_repr(level) if level.__class__ is not str else level,
        "logger": safe_repr(logger) if logger.__class__ is not str else logger,
        "msg": "log_record_unformattable",
        **dict.fromkeys(CONTEXT_FIELDS, MISSING),
        **dict(identity),
    }
    event["error"] = type(error).__name__
    return event


class EventFormatter(logging.Formatter):
    """Base of the two formats: ``build_event`` makes the fields, ``schema`` (JSON only, when
    ``LOG_SCHEMA`` names one) maps them to a backend's, ``render`` writes the line."""

    def __init__(
        self,
        redactor: Redactor | None = None,
        identity: ServiceIdentity | None = None,
        schema: SchemaMapper | None = None,
    ) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()
        self.identity = identity or ServiceIdentity()
        self.identity_fields = self.identity.fields()
        # version and env, written after service, only when set
        self.deployment_fields = {key: value for key, value in self.identity_fields if key != "service"}
        self.schema = schema
        # How each extra key is written: (output name or "" for record attributes, redacted?),
        # worked out once per key rather than per record. Bounded: keys can come from clients.
        self.extra_plans: dict[object, tuple[str, bool]] = {}

    def extra_plan(self, raw_key: object) -> tuple[str, bool]:
        key = raw_key if raw_key.__class__ is str else safe_repr(raw_key)  # extra={1: ...} is legal
        if key in NOT_EXTRA:
            plan = ("", False)
        else:
            # A key is text too ("Bearer ..." as a key): redacted like text and bounded; a key
            # that held a secret hides its value as well.
            shown = self.redactor.text(key, MAX_KEY_CHARS)
            sensitive = shown != key or self.redactor.is_sensitive_key(key)
            plan = (f"extra_{shown}" if shown in BASE_FIELDS else shown), sensitive
        if len(key) <= MAX_KEY_CHARS:  # bounded, and cleared when full rather than frozen
            if len(self.extra_plans) >= MAX_CACHED_KEYS:
                self.extra_plans.clear()
            self.extra_plans[raw_key] = plan
        return plan

    def format(self, record: logging.LogRecord) -> str:
        """logging's entry point: what ``line`` needs, read from the record, then ``line``."""
        try:
            fields = record.__dict__
            # Stamped when the record was made (context.stamp_records); a record made by a
            # factory that does not chain to ours is read at format time instead.
            context = fields.get(RECORD_ATTRIBUTE) or current()
            message = record.msg
            if message.__class__ is not str or record.args:  # a plain string needs no formatting
                message = record_message(record)
            # makeRecord adds ``extra`` after the standard attributes: only the keys past them
            # are looked at (NOT_EXTRA still guards against anything else added later).
            extras = (
                islice(fields.items(), STANDARD_ATTRIBUTE_COUNT, None) if len(fields) > STANDARD_ATTRIBUTE_COUNT else ()
            )
            exc_info = record.exc_info
            exc_type = None
            if exc_info and exc_info[0] is not None:
                if not record.exc_text:  # cached on the record for every handler, as logging does
                    record.exc_text = self.formatException(exc_info)
                exc_type = exc_info[0].__name__
        except Exception as error:  # a record whose parts cannot be read still makes a line
            return self.fallback(record.created, record.levelname, record.name, error)
        return self.line(
            record.created,
            record.levelname,
            record.name,
            message,
            context,
            extras,
            exc_type,
            record.exc_text,
            record.stack_info,
        )

    def line(  # noqa: PLR0917 - see build_event
        self,
        created: float,
        level: str,
        logger: str,
        message: str,
        context: LogContext,
        extras: Iterable[tuple[object, object]] = (),
        exc_type: str | None = None,
        exc_text: str | None = None,
        stack: str | None = None,
    ) -> str:
        """The one way a line is made, for every record and for the request summary alike.

        Never raises, and never drops the record: if building or rendering fails, the line
        says so (``log_record_unformattable``) with the record's time, level and logger.
        """
        try:
            event = build_event(self, created, level, logger, message, context, extras, exc_type, exc_text, stack)
            schema = self.schema
            return self.render(event if schema is None else schema(event))
        except Exception as error:
            return self.fallback(created, level, logger, error)

    def fallback(self, created: object, level: object, logger: object, error: BaseException) -> str:
        """The ``log_record_unformattable`` line, in the schema's fields when it can be."""
        event = fallback_line(created, level, logger, error, self.identity_fields)
        if self.schema is None:
            return self.render(event)
        try:
            return self.render(self.schema(event))
        except Exception:  # the schema itself failed: the service's own fields, still a line
            return self.render(event)

    def render(self, event: dict[str, object]) -> str:
        raise NotImplementedError


# Characters that are valid raw in JSON but split lines for some readers (Python's
# splitlines, JavaScript) or drive terminals (C1 controls, bidi overrides): always escaped.
_UNSAFE_CODES = [*range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_JSON_UNSAFE = {code: f"\\u{code:04x}" for code in _UNSAFE_CODES}


def render_json(event: dict[str, object]) -> str:
    """Compact JSON, by orjson when installed (about ten times faster), else the stdlib.

    orjson refuses strings holding lone surrogates; such rare events take the stdlib path.
    """
    if orjson is not None:
        try:
            line = orjson.dumps(event).decode()
        except TypeError:
            line = _JSON.encode(event)
    else:  # without orjson installed (the type checker sees the module, not the None)
        line = _JSON.encode(event)  # type: ignore[unreachable]
    if line.isascii() and "\x7f" not in line:  # safe_line's usual case, without the call
        return line
    return safe_line(line, _JSON_UNSAFE)


def safe_line(line: str, unsafe: dict[int, str]) -> str:
    """Escape what could split or forge a line, and what stdout cannot encode.

    Lone surrogates (from ``os.fsdecode``, or ``\\ud800`` in a client's JSON) would make the
    write fail and lose the record: they become ``\\udXXX`` escapes.
    """
    if line.isascii():
        return line.translate(unsafe) if "\x7f" in line else line
    line = line.translate(unsafe)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    return line


class JsonFormatter(EventFormatter):
    """One compact JSON object per line; no value can split or forge a line."""

    render = staticmethod(render_json)


# Values printed bare in text lines; anything else is quoted and escaped.
_BARE = re.compile(r"[A-Za-z0-9_.:/@+\-\[\]%,*]+")
# Bare values read back as numbers, booleans or null; a string that looks like one is quoted,
# so a request ID such as 12345 or 4e71 (a generated one, now and then) stays a string.
TEXT_LITERAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|null|true|false")
# Strings that other logfmt readers take for non-finite floats (the JSON format writes them
# as strings too): quoted, so they stay strings.
NON_FINITE = re.compile(r"[-+]?(nan|inf|infinity)", re.IGNORECASE)
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
for _code in [*range(0x20), *_UNSAFE_CODES]:
    _ESCAPES.setdefault(_code, f"\\u{_code:04x}")


def text_value(value: object) -> str:
    if isinstance(value, str):
        bare = _BARE.fullmatch(value) and not TEXT_LITERAL.fullmatch(value) and not NON_FINITE.fullmatch(value)
        return value if bare else f'"{value.translate(_ESCAPES)}"'
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return f'"{json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)}"'


class TextFormatter(EventFormatter):
    """``ts LEVEL logger message key=value ...``: the JSON fields, readable, one line."""

    def render(self, event: dict[str, object]) -> str:
        head = f"{event['ts']} {text_value(event['level'])} {text_value(event['logger'])} {text_value(event['msg'])}"
        seen: set[str] = set()
        pairs = []
        for key, value in event.items():
            if key in _HEAD:
                continue
            name = text_key(key)
            if name != key and (name in BASE_FIELDS or name in event or name in seen):
                name = f"extra_{name}"  # "request id" must not become a second request_id
            seen.add(name)
            pairs.append(f"{name}={text_value(value)}")
        return safe_line(f"{head} {' '.join(pairs)}", {})


_HEAD = frozenset({"ts", "level", "logger", "msg"})
_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")


def text_key(key: str) -> str:
    """Keys come from callers too: anything but ``A-Za-z0-9_.-`` becomes ``_``."""
    return key if _KEY.fullmatch(key) else (_UNSAFE_KEY_CHARS.sub("_", key) or "_")
