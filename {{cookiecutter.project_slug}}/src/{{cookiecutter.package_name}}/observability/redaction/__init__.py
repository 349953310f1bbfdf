"""Redaction: secrets never reach a log line, whoever logged them and however.

``Redactor`` is the one configured redactor of the service: the formatter applies it to
every record (extra fields by key at any depth, the message, exception and stack text by
pattern), and request logging uses the same one for query strings. Call sites may still use
the helpers here (``safe_url``, ``Redactor.url``), but a mistake at a call site cannot leak.

- ``keys.py``: which names are sensitive (fragments in any spelling; query names).
- ``text.py``: secrets in free text, by value shape; linear work.
- ``values.py``: structured values, bounded in every kind of content.
- ``urls.py``: URLs parsed into parts, for dependency logs and query redaction.

Redact, then cut: a long text is redacted with ``MARGIN`` characters past the cut in view,
and cut after, so a cut never separates a key from its value or a password from its ``@``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .keys import DEFAULT_FRAGMENTS, SENSITIVE_QUERY_NAMES, KeyPolicy
from .text import REDACTED, TextRedactor
from .urls import redact_url, safe_url
from .values import MAX_ITEMS, MAX_VALUE_TEXT, ValueWalker, large_int_text, safe_repr

__all__ = [
    "DEFAULT_FRAGMENTS",
    "MARGIN",
    "MAX_CHARS",
    "MAX_EXC_CHARS",
    "MAX_ITEMS",
    "MAX_VALUE_TEXT",
    "REDACTED",
    "SENSITIVE_QUERY_NAMES",
    "Redactor",
    "large_int_text",
    "safe_repr",
    "safe_url",
]

MAX_CHARS = 4096  # characters one string may show
MAX_EXC_CHARS = 16384  # characters of exception or stack text (the end is kept)
MARGIN = 1024  # characters past a cut that redaction still reads
SHORT_TEXT = 64
TEXT_CACHE_SIZE = 2048


class Redactor:
    """Redacts keys, free text and URLs; built once per logging configuration."""

    def __init__(self, extra_fragments: Iterable[str] = ()) -> None:
        self.keys = KeyPolicy(extra_fragments)
        self.fragments = self.keys.fragments
        self.is_sensitive_key = self.keys.is_sensitive_key
        self.is_sensitive_query_name = self.keys.is_sensitive_query_name
        self._text = TextRedactor(self.keys)
        # Short texts repeat (messages, content types, enum-like values): remember them.
        self._text_cache: dict[str, str] = {}

    def text(self, text: str, limit: int = MAX_CHARS) -> str:
        """``text`` redacted, then cut to ``limit`` characters (the start is kept)."""
        cached = self._text_cache.get(text)
        if cached is not None:
            return cached
        if len(text) <= limit:
            redacted = self._text.redact(text)
            if len(text) <= SHORT_TEXT:
                if len(self._text_cache) >= TEXT_CACHE_SIZE:  # bounded, and never frozen
                    self._text_cache.clear()
                self._text_cache[text] = redacted
            return redacted
        return f"{self._text.head(text, limit, MARGIN)}...[truncated {len(text) - limit} chars]"

    def exception_text(self, text: str, limit: int = MAX_EXC_CHARS) -> str:
        """Exception or stack text redacted, then cut to its last ``limit`` characters (the
        exception and its innermost frames)."""
        if len(text) <= limit:
            return self._text.redact(text)
        return f"[truncated {len(text) - limit} chars]...{self._text.tail(text, limit, MARGIN)}"

    def value(self, value: object) -> object:
        """A JSON-ready copy of ``value`` with sensitive keys and text redacted; bounded."""
        return ValueWalker(self.text, self.is_sensitive_key).walk(value)

    def query(self, params: Mapping[str, list[str]]) -> dict[str, object]:
        """Parsed query parameters with credential-carrying names redacted."""
        return {name: REDACTED if self.is_sensitive_query_name(name) else values for name, values in params.items()}

    def url(self, url: str) -> str:
        """The URL with the userinfo password and sensitive query values redacted."""
        return redact_url(url, self.is_sensitive_query_name, self.text)
