"""Which names are sensitive: the one key policy shared by structured values, text and URLs.

A key matches by fragment, case-insensitively, however it is spelled: ``user_password``,
``X-Auth-Token``, ``clientSecret``, ``x.api.key``, ``CARDNUMBER`` and ``privatekey`` all
match, because camelCase boundaries, ``-``, ``.`` and spaces are read as ``_`` and the check
is repeated with every ``_`` removed. URL query parameters are also sensitive under a few
whole names that mean other things as field names (``?key=``, ``?code=``, ``?sig=``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
MAX_CACHED = 4096

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[-. ]")
# A decorated query name: "key[]", "code ", "sig[0]" name the same parameter as "key".
_QUERY_DECORATION = re.compile(r"\s*(\[[^\]]*\]\s*)*\Z")


class KeyPolicy:
    """Answers "is this name sensitive?" for keys and query names; built once per Redactor."""

    def __init__(self, extra_fragments: Iterable[str] = ()) -> None:
        self.fragments = tuple(dict.fromkeys((*DEFAULT_FRAGMENTS, *extra_fragments)))
        self._squashed = tuple(dict.fromkeys(f.replace("_", "") for f in self.fragments))
        self._cache: dict[str, bool] = {}

    def is_sensitive_key(self, key: str) -> bool:
        cached = self._cache.get(key)
        if cached is None:
            normalised = _CAMEL_BOUNDARY.sub("_", key).lower()
            squashed = normalised.replace("_", "")
            cached = any(f in normalised for f in self.fragments) or any(f in squashed for f in self._squashed)
            if len(key) <= 256:  # keys can come from clients: bounded, and cleared rather than frozen
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = cached
        return cached

    def is_sensitive_query_name(self, name: str) -> bool:
        bare = _QUERY_DECORATION.sub("", name.strip()).lower()
        return bare in SENSITIVE_QUERY_NAMES or self.is_sensitive_key(name)
