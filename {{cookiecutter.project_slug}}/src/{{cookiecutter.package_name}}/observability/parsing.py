"""Read one line the service wrote, JSON or text, back into the event dict it was built from.

Why this is a module of its own: tests assert on fields in either format, and ``flask logs``
reads the service's log files in either format, so both need the exact inverse of
``formatting.py``. A JSON line is ``json.loads``. A text line is
``ts LEVEL logger msg key=value ...`` (single spaces), each value written by ``text_value``:

- bare (unquoted): a string of plain characters, or a number, ``true``, ``false``, ``null``.
  A string that looks like a number, boolean, null, NaN or infinity is always quoted, so a
  bare literal is the non-string value it spells and any other bare value is a string.
- quoted: a JSON string with every control, line-separator and bidi character escaped. It
  holds a string, or a dict or list written as its compact JSON text.

The one inherent ambiguity: a dict or list is written exactly like the string that is its
compact JSON (``{"a":1}`` and ``'{"a":1}'`` give the same text). It is resolved as follows:

- The fields the service always writes as strings (``ts``, ``level``, ``logger``, ``msg``,
  the request context, ``trace_id``, ``exc_type``, ``exc``, ``stack``) are strings, exactly:
  a ``msg`` of ``{"a":1}`` or ``[1, 2]`` stays a string.
- Other fields are read as the dict or list only when writing that dict or list gives back
  exactly the same text; anything else (``{x}``, ``[1, 2]`` with its space, ``{"a":1,"a":2}``,
  nesting too deep to decode) is the string. So the only strings that cannot round-trip are
  extra fields whose whole value is compact JSON of an object or array with a character
  that forces quoting (``{}``, ``{"a":1}``, ``["x"]``; ``[1,2]`` is written bare and is
  exact). They come back as the structure, which re-rendered gives the same text: the safer
  reading, since the formatter writes every structured extra this way and nothing is lost.

What else does not round-trip, in the text format unless said otherwise (``render`` is
handed these directly; ``build_event`` never produces them):

- Non-finite floats: text gives back the strings ``NaN``, ``Infinity``, ``-Infinity``;
  JSON writes ``null`` (orjson), or refuses them (the stdlib encoder). ``build_event``
  writes them as the strings ``nan``, ``inf`` and ``-inf``, which round-trip.
- A dict, list or other non-scalar in a string field comes back as its JSON text.
- Tuples come back as lists and non-string dict keys as strings (both formats).
- A high surrogate directly followed by a low one, held as two code points in a Python
  string, comes back as the one character the pair encodes (both formats; lone surrogates
  round-trip, as ``\\udXXX`` escapes).
- Keys outside ``A-Za-z0-9_.-`` are rewritten by the formatter (``text_key``); ``ts`` is
  written as given and read back as the raw token.

A text line has no end marker: a line cut short between two fields or inside a bare value
reads as a record with fewer fields or a shorter last value (a torn JSON line never parses).
A cut inside a quoted value, or anything else the formatter does not write (two spaces, a
token without ``key=``, a raw control character, a bad escape), is refused with ValueError.
"""

from __future__ import annotations

import json
import re

from .formatting import BASE_FIELDS, TEXT_LITERAL

Event = dict[str, object]

# Fields the service writes as strings only: a quoted value there is never decoded as JSON.
STRING_FIELDS = BASE_FIELDS
_QUOTED = r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"'
# A value followed by the single space before the next one, or by the end of the line.
_VALUE = re.compile(rf'({_QUOTED}|[^\s"=]+)(?: |\Z)')
_PAIR = re.compile(rf'([^\s"=]+)=({_QUOTED}|[^\s"=]+)(?: |\Z)')
_HEAD = ("ts", "level", "logger", "msg")
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def parse_line(line: str) -> Event:
    """One log line (JSON or text) as a dict; raises ValueError if it is neither."""
    if line.startswith("{"):
        event = json.loads(line)
        if not isinstance(event, dict):
            raise ValueError(f"not a JSON object: {line!r}")
        return event
    return parse_text_line(line)


def parse_lines(output: str) -> list[Event]:
    """Every line of captured output (split on ``\\n`` only, as a log shipper would)."""
    return [parse_line(line) for line in output.split("\n") if line]


def parse_text_line(line: str) -> Event:
    """A text line as its event dict; ValueError unless the whole line is one record."""
    line = line.rstrip("\r\n")
    event: Event = {}
    pos = 0
    for key in _HEAD:
        match = _VALUE.match(line, pos)
        if match is None or (key == "ts" and match.group(1).startswith('"')):
            raise ValueError(f"not a text log line: {line!r}")
        raw = match.group(1)
        event[key] = raw if key == "ts" else read_value(key, raw)
        pos = match.end()
    while pos < len(line):
        match = _PAIR.match(line, pos)
        if match is None:
            raise ValueError(f"stray text at {pos} in {line!r}")
        key, raw = match.groups()
        event[key] = read_value(key, raw)
        pos = match.end()
    return event


def read_value(key: str, raw: str) -> object:
    """One value as ``text_value`` wrote it under ``key`` (see the module docstring)."""
    if raw.startswith('"'):
        value = json.loads(raw)  # ValueError for a bad escape or a raw control character
        if value[:1] in ("{", "[") and key not in STRING_FIELDS:
            return structure_or_string(value)
        return value
    if TEXT_LITERAL.fullmatch(raw):
        return json.loads(raw)
    return raw


def structure_or_string(value: str) -> object:
    """The dict or list whose compact JSON is exactly ``value``; else ``value`` itself."""
    try:
        decoded = json.loads(value)
        exact = _COMPACT.encode(decoded) == value
    except (ValueError, RecursionError):  # not JSON, or nested too deep to be one we wrote
        return value
    return decoded if exact else value
