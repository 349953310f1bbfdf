"""One JSON line -> its value: orjson where it gives exactly what ``json`` gives, ``json`` otherwise.

Why a module: parsing is most of what reading a log costs, and orjson (a dependency of the
service) parses a line two to three times faster than ``json.loads``. But the log tool's
answers must not depend on which parser read a line, and the two differ on lines the
service never writes:

- orjson refuses what ``json`` accepts: ``NaN``/``Infinity``, numbers past float range,
  lone surrogate escapes (``"\\ud800"``), invalid UTF-8 (which ``json`` sees as U+FFFD once
  the line is decoded with ``errors="replace"``), nesting past 1024 levels. Such a line is
  simply read again by ``json``, so it gets what it always got.
- orjson silently turns an integer outside 64 bits into a float, where ``json`` keeps the
  integer (which ``reading.is_usable`` then refuses when it cannot become a float). Such an
  integer is a run of 19 or more digits, so a line with one is read by ``json`` too; the
  check is one ``translate`` and one ``find`` over the line's bytes, both in C.

Without orjson (it is optional for the standard-library fallback), every line goes to
``json``, as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    orjson = None  # type: ignore[assignment]

DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
# The shortest digit run that may be an integer orjson cannot hold (64 bits: 19 digits at most).
LONG_DIGIT_RUN = b"0" * 19


def loads_json(body: bytes) -> object:
    """``json.loads`` of the line decoded as the tool always decoded it (errors replaced)."""
    return json.loads(body.decode("utf-8", errors="replace"))


def loads_fast(body: bytes) -> object:
    """The value of a JSON text, as ``loads_json`` would give it, through orjson when it can.

    Raises ``ValueError`` (or ``RecursionError``) like ``json.loads`` for what is not JSON.
    """
    if LONG_DIGIT_RUN not in body.translate(DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:  # refused: json may still read it (NaN, bad UTF-8...)
            pass
    return loads_json(body)


loads: Callable[[bytes], object] = loads_fast if orjson is not None else loads_json
