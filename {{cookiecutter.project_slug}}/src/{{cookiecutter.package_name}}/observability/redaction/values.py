"""Structured values (``extra`` fields): a JSON-ready copy with sensitive keys hidden.

Keys are checked by name at any depth (``keys.py``) and as text (a key may itself be
``"password=..."``); strings go through the text rules. Named tuples (database rows) and
anything with ``items()`` or ``keys()`` keep their field names, so those names still redact.

Work and output are bounded for every kind of content: at most ``MAX_ITEMS`` items per
container, ``MAX_DEPTH`` levels and ``MAX_NODES`` nodes, and at most ``MAX_VALUE_TEXT``
characters of text in all: strings, keys, long integers and reprs alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from .text import REDACTED

MAX_ITEMS = 50
MAX_DEPTH = 6
MAX_NODES = 500
MAX_VALUE_TEXT = 65536  # characters of text one structured value may contribute in all
MAX_KEY_CHARS = 256
MAX_INT_BITS = 1024  # about 309 digits; longer integers are shown by their size
TOO_LARGE = "[TRUNCATED: value too large]"


def safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not lose the record
        return f"<{type(value).__name__} object (repr failed)>"


def large_int_text(value: int) -> str:
    """Integers beyond 64 bits as text (JSON readers lose precision past that); very long
    ones by their size only (their digits are no use in a log and cost quadratic time)."""
    bits = value.bit_length()
    return str(value) if bits <= MAX_INT_BITS else f"<int of {bits} bits>"


class ValueWalker:
    """One walk of one value: carries the budgets, so a whole value costs a bounded amount."""

    def __init__(self, text: Callable[..., str], is_sensitive_key: Callable[[str], bool]) -> None:
        self.text = text
        self.is_sensitive_key = is_sensitive_key
        self.nodes = MAX_NODES
        self.chars = MAX_VALUE_TEXT
        self.path: set[int] = set()

    def charge(self, text: str) -> str:
        self.chars -= len(text)
        return text

    @property
    def spent(self) -> bool:
        return self.nodes <= 0 or self.chars <= 0

    def walk(self, value: object, depth: int = 0) -> object:
        if isinstance(value, str):
            return TOO_LARGE if self.chars <= 0 else self.charge(self.text(value))
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if value.bit_length() <= 63 else self.charge(large_int_text(value))
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        self.nodes -= 1
        if self.nodes < 0 or self.chars <= 0:
            return TOO_LARGE if self.chars <= 0 else "[TRUNCATED: too many items]"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.charge(self.text(safe_repr(bytes(value[: MAX_VALUE_TEXT + 1]))))
        fields = named_fields(value)
        if fields is None and not isinstance(value, (list, tuple, set, frozenset)):
            return self.charge(self.text(safe_repr(value)))
        if depth >= MAX_DEPTH:
            return "[TRUNCATED: too deep]"
        if id(value) in self.path:
            return "[CIRCULAR]"
        self.path.add(id(value))
        try:
            if fields is not None:
                return self.walk_mapping(fields, depth)
            return self.walk_sequence(value, depth)  # type: ignore[arg-type]
        except Exception:  # a container that raises while iterated still logs
            return self.charge(self.text(safe_repr(value)))
        finally:
            self.path.discard(id(value))

    def walk_sequence(self, value: Iterable[object], depth: int) -> list[object]:
        out: list[object] = []
        for index, item in enumerate(value):
            if index >= MAX_ITEMS:
                out.append(f"[+{len(value) - MAX_ITEMS} more]")  # type: ignore[arg-type]
                break
            if self.spent:
                out.append(TOO_LARGE)
                break
            if self.is_sensitive_pair(item):  # [("Authorization", "..."), ...]
                out.append([self.walk(item[0], depth + 2), REDACTED])  # type: ignore[index]
            else:
                out.append(self.walk(item, depth + 1))
        return out

    def walk_mapping(self, items: Iterable[tuple[object, object]], depth: int) -> dict[str, object]:
        out: dict[str, object] = {}
        for index, (key, item) in enumerate(items):
            if index >= MAX_ITEMS:
                out["..."] = "[more items]"
                break
            if self.spent:
                out["..."] = TOO_LARGE
                break
            name = key if isinstance(key, str) else safe_repr(key)
            shown = self.charge(self.text(name, MAX_KEY_CHARS))  # a key may itself be "password=..."
            sensitive = shown != name or self.is_sensitive_key(name)
            entry = REDACTED if sensitive else self.walk(item, depth + 1)
            if shown in out:  # repeated header or multi-dict key: keep every value
                previous = out[shown]
                out[shown] = [*previous, entry] if isinstance(previous, list) else [previous, entry]
            else:
                out[shown] = entry
        return out

    def is_sensitive_pair(self, item: object) -> bool:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            return False
        return isinstance(item[0], str) and self.is_sensitive_key(item[0])


def named_fields(value: object) -> Iterable[tuple[object, object]] | None:
    """The (name, value) pairs of a mapping-like value, or None for anything else.

    Mappings and anything with ``items()`` (werkzeug Headers; MultiDicts with every repeated
    key), named tuples (``_asdict``), and rows with ``keys()`` and ``[]`` (sqlite3.Row).
    """
    if isinstance(value, (str, bytes)):
        return None
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return zip(value._fields, value, strict=False)
    items: Any = getattr(value, "items", None)  # duck-typed: Headers, MultiDict, any mapping
    if hasattr(value, "getlist") and not hasattr(value, "to_wsgi_list"):  # a MultiDict, not Headers
        return cast("Iterable[tuple[object, object]]", items(multi=True))
    if isinstance(value, Mapping) or callable(items):
        return cast("Iterable[tuple[object, object]]", items())
    keys: Any = getattr(value, "keys", None)
    getitem: Any = getattr(value, "__getitem__", None)
    if callable(keys) and callable(getitem):
        return ((key, getitem(key)) for key in keys())
    return None
