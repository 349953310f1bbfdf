"""Redaction: secrets never reach a log line, whoever logged them and however.

``Redactor`` is applied centrally by the formatter to every record: extra fields (by key,
at any depth), the message and exception text (by pattern). Call sites may still use the
helpers here (``safe_url``, ``Redactor.url``), but a mistake at a call site cannot leak.

Keys match case-insensitively, with ``-`` and spaces read as ``_``, by fragment: a key that
contains ``token`` (``access_token``, ``X-Auth-Token``) is sensitive. Values become
``[REDACTED]`` and keys stay, so the shape of the data remains visible.

Work is bounded: strings are truncated, containers are cut after ``MAX_ITEMS`` items and
``MAX_DEPTH`` levels, and a whole value visits at most ``MAX_NODES`` nodes, so a huge or
circular payload costs a fixed amount of time and turns into one well-formed field.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
DEFAULT_FRAGMENTS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "private_key",
    "credential",
    "access_key",
    "jwt",
    "card_number",
    "cvv",
    "passphrase",
    "signature",
    "auth_key",
    "subscription_key",
    "functions_key",
    "debug_log",  # the X-Debug-Log header carries the per-request debug token
)
# Whole query-parameter names (not fragments: as field names they mean other things) that
# carry credentials in URLs: OAuth codes, API keys (?key=...), signatures, session IDs.
SENSITIVE_QUERY_NAMES = frozenset({"key", "code", "sig", "sid", "auth"})
MAX_CHARS = 4096
MAX_EXC_CHARS = 16384
MAX_ITEMS = 50
MAX_DEPTH = 6
MAX_NODES = 500
MAX_VALUE_TEXT = 65536  # characters of text one structured value may contribute in all
SHORT_TEXT = 64
TEXT_CACHE_SIZE = 2048


def truncate(text: str, limit: int = MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


def truncate_head(text: str, limit: int = MAX_EXC_CHARS) -> str:
    """Keep the end of a long traceback: the exception and its innermost frames."""
    if len(text) <= limit:
        return text
    return f"[truncated {len(text) - limit} chars]...{text[-limit:]}"


def safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not lose the record
        return f"<{type(value).__name__} object (repr failed)>"


class Redactor:
    """Redacts keys, free text and URLs; built once per logging configuration."""

    def __init__(self, extra_fragments: Iterable[str] = ()) -> None:
        fragments = tuple(dict.fromkeys((*DEFAULT_FRAGMENTS, *extra_fragments)))
        self.fragments = fragments
        key_alt = "|".join(re.escape(f).replace("_", "[_ -]?") for f in fragments)
        # key=value, key: value, key="value", "key": "value" (JSON in text), with an
        # optional auth scheme before the value (Authorization: Bearer abc). The match
        # starts at the fragment (user_password=...): what precedes it is kept as written,
        # and the engine never backtracks over long words looking for a key's start.
        # Value shapes: [REDACTED] (already done), quoted (also bytes literals and escaped
        # JSON), a bracketed list, or a bare token; separators: = : => > (XML), %3D (URL-
        # encoded), and "', '" (a repr of key/value pairs). The key's tail is bounded, so
        # no input makes the match backtrack for long.
        self._key_value = re.compile(
            rf"""(?P<key>(?:{key_alt})"""
            r"""[\w.-]{0,64})"""
            r"""(?P<sep>\\?["']?\s*(?:=>|[=:>]|%3[Dd])\s*|["']\s*,\s*)"""
            r"""(?P<value>\[REDACTED\]|(?:(?:bearer|basic|digest|token)\s+)?"""
            r"""(?:\\"[^"\\]*\\"|b?"[^"]*"|b?'[^']*'|\[[^\]]*\]|[^\s,;&"'<}\])]+))""",
            re.IGNORECASE,
        )
        # Lower-case spellings of the key fragments. A case-insensitive alternation of them
        # is slow to search for (the regex engine tries every alternative at every
        # position: ~1 ms on 4 KB); str.find of each spelling is fast, so the pattern
        # above is only ever tried where a fragment actually occurs.
        self._key_needles = tuple(dict.fromkeys(f.replace("_", sep) for f in fragments for sep in ("_", "")))
        self._key_cache: dict[str, bool] = {}
        # Short texts repeat (messages, content types, enum-like values): remember them.
        self._text_cache: dict[str, str] = {}

    # -- keys ---------------------------------------------------------------------------
    def is_sensitive_key(self, key: str) -> bool:
        cached = self._key_cache.get(key)
        if cached is None:
            normalised = _CAMEL_BOUNDARY.sub("_", key).lower()
            squashed = normalised.replace("_", "")
            cached = any(fragment in normalised or fragment in squashed for fragment in self.fragments)
            if len(self._key_cache) < 4096:  # bounded: keys can come from clients
                self._key_cache[key] = cached
        return cached

    # -- free text ----------------------------------------------------------------------
    def text(self, text: str, limit: int = MAX_CHARS) -> str:
        cached = self._text_cache.get(text)
        if cached is not None:
            return cached
        redacted = self._redact_text(truncate(text, limit))
        if len(text) <= SHORT_TEXT and len(self._text_cache) < TEXT_CACHE_SIZE:
            self._text_cache[text] = redacted
        return redacted

    def _redact_text(self, text: str) -> str:
        """Each pattern runs only when a cheap substring test says it could match."""
        if "PRIVATE KEY" in text:  # PEM armour is always upper-case
            text = _PRIVATE_KEY.sub(REDACTED, text)
        lowered = text.lower()
        if "cookie" in lowered or "authorization" in lowered:
            text = _HEADER_LINE.sub(rf"\g<key>\g<sep>{REDACTED}", text)
            lowered = text.lower()
        if "bearer" in lowered:
            text = _AUTH_SCHEME.sub(rf"\g<scheme> {REDACTED}", text)
        if "eyj" in lowered:
            text = _JWT.sub(REDACTED, text)
        if "://" in text:
            text = _URL_USERINFO.sub(rf"://\g<user>:{REDACTED}@", text)
        lowered = text.lower()
        if "-" in lowered or " " in lowered:  # same length, so positions still line up
            lowered = lowered.replace("-", "_").replace(" ", "_")
        keys = [needle for needle in self._key_needles if needle in lowered]
        return self._redact_key_values(text, lowered, keys) if keys else text

    def _redact_key_values(self, text: str, lowered: str, needles: list[str]) -> str:
        if len(lowered) != len(text):  # a few characters change length when lower-cased
            return self._key_value.sub(_redact_match, text)
        matches: dict[int, re.Match[str]] = {}
        for needle in needles:
            position = lowered.find(needle)
            while position != -1:
                match = self._key_value.match(text, position)
                if match:
                    matches.setdefault(match.start("value"), match)
                position = lowered.find(needle, position + 1)
        parts: list[str] = []
        done = 0
        for start in sorted(matches):
            if start < done:  # inside a value already redacted (api_key_token=...)
                continue
            match = matches[start]
            parts.append(text[done:start])
            parts.append(_redacted_value(match.group("value")))
            done = match.end("value")
        parts.append(text[done:])
        return "".join(parts)

    def exception_text(self, text: str) -> str:
        if "PRIVATE KEY" in text:  # before truncation cuts the BEGIN line off a key's body
            text = _PRIVATE_KEY.sub(REDACTED, text)
        return self.text(truncate_head(text), limit=MAX_EXC_CHARS + 64)

    # -- structured values ----------------------------------------------------------------
    def value(self, value: object) -> object:
        """A JSON-ready copy of ``value`` with sensitive keys and text redacted."""
        return self._walk(value, 0, [MAX_NODES, MAX_VALUE_TEXT], set())

    def _walk(self, value: object, depth: int, budget: list[int], path: set[int]) -> object:
        if isinstance(value, str):
            if budget[1] <= 0:
                return "[TRUNCATED: value too large]"
            budget[1] -= min(len(value), MAX_CHARS)
            return self.text(value)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if value.bit_length() <= 63 else large_int_text(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        budget[0] -= 1
        if budget[0] < 0:
            return "[TRUNCATED: too many items]"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.text(safe_repr(bytes(value[: MAX_CHARS + 1])))
        if not isinstance(value, (Mapping, list, tuple, set, frozenset)) and not _has_items(value):
            return self.text(safe_repr(value))
        if depth >= MAX_DEPTH:
            return "[TRUNCATED: too deep]"
        if id(value) in path:
            return "[CIRCULAR]"
        path.add(id(value))
        try:
            if isinstance(value, Mapping) or _has_items(value):
                return self._walk_mapping(value, depth, budget, path)
            out: list[object] = []
            for index, item in enumerate(value):
                if index >= MAX_ITEMS:
                    out.append(f"[+{len(value) - MAX_ITEMS} more]")
                    break
                if budget[0] <= 0 or budget[1] <= 0:
                    out.append("[TRUNCATED: value too large]")
                    break
                if self._is_sensitive_pair(item):  # [("Authorization", "..."), ...]
                    out.append([self._walk(item[0], depth + 2, budget, path), REDACTED])
                else:
                    out.append(self._walk(item, depth + 1, budget, path))
            return out
        except Exception:  # a container that raises while iterated still logs
            return self.text(safe_repr(value))
        finally:
            path.discard(id(value))

    def _is_sensitive_pair(self, item: object) -> bool:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            return False
        return isinstance(item[0], str) and self.is_sensitive_key(item[0])

    def _walk_mapping(self, value: object, depth: int, budget: list[int], path: set[int]) -> dict:
        """Mappings, and anything with ``items()`` (werkzeug Headers, MultiDicts)."""
        out: dict[str, object] = {}
        for index, (key, item) in enumerate(_all_items(value)):
            if index >= MAX_ITEMS:
                out["..."] = "[more items]"
                break
            if budget[0] <= 0 or budget[1] <= 0:
                out["..."] = "[TRUNCATED: value too large]"
                break
            name = key if isinstance(key, str) else safe_repr(key)
            redacted_name = self.text(name, 256)  # a key may itself be "password=..."
            sensitive = redacted_name != name or self.is_sensitive_key(name)
            entry = REDACTED if sensitive else self._walk(item, depth + 1, budget, path)
            if redacted_name in out:  # repeated header or multi-dict key: keep every value
                previous = out[redacted_name]
                out[redacted_name] = [*previous, entry] if isinstance(previous, list) else [previous, entry]
            else:
                out[redacted_name] = entry
        return out

    def query(self, params: Mapping[str, list[str]]) -> dict[str, object]:
        """Query parameters with credential-carrying names redacted (also ``code``, ``key``...)."""
        return {
            name: REDACTED if name.lower() in SENSITIVE_QUERY_NAMES or self.is_sensitive_key(name) else values
            for name, values in params.items()
        }

    # -- URLs -------------------------------------------------------------------------------
    def url(self, url: str) -> str:
        """The URL with the userinfo password and sensitive query values redacted."""
        try:
            parts = urllib.parse.urlsplit(url)
            netloc = parts.netloc
            if "@" in netloc:
                userinfo, _, host = netloc.rpartition("@")
                user, has_password, _ = userinfo.partition(":")
                netloc = f"{user}:{REDACTED}@{host}" if has_password else netloc
            query = urllib.parse.urlencode(
                [
                    (k, REDACTED if k.lower() in SENSITIVE_QUERY_NAMES or self.is_sensitive_key(k) else v)
                    for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
                ],
                safe="[]",
            )
            return self.text(urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))
        except ValueError:
            return REDACTED


def safe_url(url: str) -> str:
    """scheme://host/path only: no userinfo, query or fragment (for dependency logs).

    Userinfo is cut at the last ``@`` before any parsing, because a password may itself hold
    ``/``, ``?`` or ``#``, which would otherwise be read as the start of path or query.
    """
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        url = f"{scheme}://{rest.rpartition('@')[2]}"
    try:
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    except ValueError:
        return REDACTED


def large_int_text(value: int) -> str:
    """Integers beyond 64 bits as text (JSON readers lose precision past that); ones too
    long for ``str`` (Python's 4300-digit limit) by their size only."""
    try:
        return str(value)
    except ValueError:
        return f"<int of {value.bit_length()} bits>"


def _all_items(value: object) -> Iterable[tuple[object, object]]:
    """Every key/value pair, repeated keys included (werkzeug MultiDict needs ``multi=True``)."""
    if hasattr(value, "getlist") and not hasattr(value, "to_wsgi_list"):  # a MultiDict, not Headers
        return value.items(multi=True)  # type: ignore[attr-defined]
    return value.items()  # type: ignore[attr-defined]


def _has_items(value: object) -> bool:
    return callable(getattr(value, "items", None)) and not isinstance(value, (str, bytes))


def _redacted_value(value: str) -> str:
    """``[REDACTED]``, inside the value's quotes if it had any."""
    quote = value[0] if value[0] in "\"'" else ""
    return f"{quote}{REDACTED}{quote}"


def _redact_match(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{_redacted_value(match.group('value'))}"


# "Bearer <token>" anywhere in free text; "Basic" is only caught after a sensitive key
# (Authorization: Basic ...), since "basic" is an ordinary English word.
_AUTH_SCHEME = re.compile(r"\b(?P<scheme>bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
# These start with a literal, which lets the regex engine skip ahead to candidates.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# The password runs to the last "@" of the URL (it may hold "/" or "@" itself).
_URL_USERINFO = re.compile(r"://(?P<user>[^\s:/@]*):\S{1,256}@")
# Cookie and Authorization headers written out in text: the whole value, to the line's end.
_HEADER_LINE = re.compile(
    r"(?P<key>\b(?:set-)?cookie|\b(?:proxy-)?authorization)(?P<sep>\s*[:=]\s*)(?!\[REDACTED\])[^\r\n\"']+",
    re.IGNORECASE,
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[-. ]")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL
)
