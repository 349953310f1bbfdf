"""Files -> lines -> records, streaming, counting what is not a record.

Why a module: every command reads the same way, and reading is where hostile input is met.
Files are read in the order given (oldest rotated file first; ``.gz`` is decompressed; no
file or ``-`` means stdin), in large chunks (``search.py``), so memory stays bounded whatever
the file size. With needles (the request ID of ``trace``, a filter's user...), only the lines
holding them are cut out of a chunk and parsed: the others are never decoded.

A line is a record in either of the service's formats. A line starting with ``{`` is JSON
(the fast path: orjson where it reads exactly what ``json`` reads, ``fastjson.py``), in any
``LOG_SCHEMA``: a line in the ecs, gcp or datadog fields is read
back into the service's own (``observability/schemas``), so the commands see one shape
whichever services wrote the files. A line starting with an RFC 3339 timestamp and a space
is tried as a ``LOG_FORMAT=text`` line, read by the service's own parser
(``observability/parsing.py``). Anything else (torn, blank, foreign, an array) is skipped and
counted in ``ReadStats``.

Lines collected from several replicas keep the prefix their collector added, and it names
the replica: ``kubectl logs --prefix`` writes ``[pod/<pod>/<container>] ``, ``docker compose
logs`` writes ``<name>  | `` (colour codes included, unless ``--no-color``), and either may
add a timestamp of its own (``--timestamps``). These are taken off, and the replica is kept
on the record as ``@replica``.

Hostile lines must not stop the reading with a traceback. A record nesting deeper than
``MAX_NESTING`` (the service writes a few levels; ~1000 would overflow the stack when a value
is printed) or whose ``duration_ms`` or ``status`` is an integer no float can hold (JSON
allows 310+ digits) is skipped and counted like a torn line. These checks stay cheap: only
the two numeric fields are looked at, and only a line with more than ``MAX_NESTING``
brackets has its depth measured.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, cast

import click

from .fastjson import loads
from .records import REPLICA, Record
from .search import needles_of, read_lines

STDIN = "-"
# Longer lines are skipped unread: the formatter bounds a record well below this.
MAX_LINE_BYTES = 16 * 1024 * 1024
# The service's records nest a few levels (redaction stops at 6); near 1000, printing a
# value overflows the stack. Deeper records are skipped as unreadable.
MAX_NESTING = 100
# The numbers the commands compute with; a huge JSON integer here cannot become a float.
NUMERIC_FIELDS = ("duration_ms", "status")
FLOAT_EXACT = 2**53  # integers within this range are floats without a doubt (checked first: cheap)
# How a text-format line starts: its ts (RFC 3339, as the formatter writes it), then a space.
RFC3339 = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
TEXT_LINE_START = re.compile(RFC3339 + " ")
# A collector's own timestamp before the line (kubectl or docker --timestamps): followed by a
# JSON object, or by the text format's timestamp.
COLLECTOR_TIMESTAMP = re.compile(RFC3339 + r" (?=\{|" + RFC3339 + " )")
# kubectl logs --prefix: "[pod/<pod>/<container>] ".
KUBECTL_PREFIX = re.compile(r"\[(pod/[^\s/\]]+/[^\s\]]+)\] ")
# docker compose logs: "<service>-<n>" padded to the longest name, then "| ".
COMPOSE_PREFIX = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)\s*\| ?")
# Colour codes (docker compose colours its prefixes): never raw in a line the service wrote.
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


def parse_text_line(line: str) -> dict[str, object]:
    """``observability.parsing.parse_text_line``, imported when a text line is first met.

    The observability package is imported only when needed, here and for ``to_native``:
    through its settings it imports the app's modules and Flask, which a run over JSON lines
    in the service's own schema (``trace`` in an incident) should not wait for.
    """
    from ..observability.parsing import parse_text_line as parse

    return parse(line)


def to_native(record: dict[str, object]) -> Record:
    """``observability.schemas.to_native``, imported when a line of another schema is met."""
    from ..observability.schemas import to_native as native

    return native(record)


@dataclass
class ReadStats:
    """What reading saw besides records: skipped lines and unreadable file tails."""

    records: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def parse_record(line: str) -> Record | None:
    """The record on this line, a JSON object or a text-format line, in any schema and behind
    a collector's prefix; None for anything else (torn, blank, foreign, an array) and for a
    record the commands could not handle (see ``is_usable``)."""
    text = line.strip()
    replica = None
    if not text.startswith("{") and not TEXT_LINE_START.match(text):
        text, replica = without_prefix(text)
    if not text.startswith("{"):
        collector = COLLECTOR_TIMESTAMP.match(text)
        if collector is not None:
            text = text[collector.end() :]
    try:
        if text.startswith("{"):
            value = json.loads(text)
        elif TEXT_LINE_START.match(text):
            value = parse_text_line(text)
        else:
            return None
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    record = to_native(value)
    if not is_usable(record, text):
        return None
    if replica is not None:
        record[REPLICA] = replica
    return record


def record_of(line: bytes) -> Record | None:
    """``parse_record`` of a line as bytes: a JSON object is parsed from its bytes (never
    decoded to str first); anything else is decoded, as before, and read by ``parse_record``."""
    body = line.strip()
    if not body.startswith(b"{"):
        return parse_record(line.decode("utf-8", errors="replace"))
    try:
        value = loads(body)
    except (ValueError, RecursionError):
        # The str path strips Unicode whitespace too (U+00A0, U+2028): it decides.
        return parse_record(line.decode("utf-8", errors="replace"))
    if not isinstance(value, dict):
        return None
    record = value if "ts" in value else to_native(value)  # a native line needs no mapping
    return record if is_usable(record, body) else None


def without_prefix(text: str) -> tuple[str, str | None]:
    """The line without a kubectl or docker compose prefix, and the replica it names."""
    if "\x1b" in text:
        text = ANSI_CODES.sub("", text)
    match = KUBECTL_PREFIX.match(text) or COMPOSE_PREFIX.match(text)
    if match is None:
        return text, None
    return text[match.end() :], match.group(1)


def is_usable(record: Record, line: str | bytes) -> bool:
    """False for a record that parses but would crash a command: a numeric field past float
    range, or nesting past ``MAX_NESTING``. Cheap on ordinary lines: a line with fewer
    brackets than the limit cannot nest that deep, so only bracket-heavy lines are walked."""
    for key in NUMERIC_FIELDS:
        value = record.get(key)
        if type(value) is int and not -FLOAT_EXACT <= value <= FLOAT_EXACT and overflows_float(value):
            return False
    brackets = line.count(b"{") + line.count(b"[") if isinstance(line, bytes) else line.count("{") + line.count("[")
    if brackets <= MAX_NESTING:
        return True
    return not nests_deeper(record, MAX_NESTING)


def overflows_float(value: object) -> bool:
    """An integer too large for a float (JSON has no limit), which ``float()`` refuses."""
    if type(value) is not int:  # exact type: JSON makes no subclasses, and bools are not counts
        return False
    try:
        float(value)
    except OverflowError:
        return True
    return False


def nests_deeper(value: dict[str, object] | list[object], limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (``value`` itself is 1).

    Iterative, so measuring a deep value cannot overflow the stack the way printing it would.
    """
    stack: list[tuple[dict[str, object] | list[object], int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def iter_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[str | None]:
    """Decoded lines of a binary stream; None for a line over ``max_bytes`` (its rest is skipped)."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes:
            while line and not line.endswith(b"\n"):
                line = stream.readline(max_bytes)
            yield None
            continue
        yield line.decode("utf-8", errors="replace")


@contextmanager
def open_source(path: str) -> Iterator[IO[bytes]]:
    """A binary stream for a path: stdin for ``-`` (left open), decompressed for ``.gz``."""
    if path != STDIN and path.endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield cast(IO[bytes], stream)  # a GzipFile is a binary stream
    else:
        with click.open_file(path, "rb") as stream:
            yield stream


def read_records(paths: Sequence[str], stats: ReadStats, needles: Sequence[str] = ()) -> Iterator[Record]:
    """Every record of the files, in order, read in chunks; counts the rest in ``stats``.
    With ``needles`` (texts every wanted line contains: ``filters.PLAIN``, most selective
    first), a line without them all is passed over unparsed and uncounted: what it holds is
    not known, and not wanted. A line over ``MAX_LINE_BYTES`` is counted either way."""
    wanted = needles_of(needles)
    for path in paths or (STDIN,):
        try:
            with open_source(path) as stream:
                for line in read_lines(stream, wanted, MAX_LINE_BYTES):
                    record = record_of(line) if line is not None else None
                    if record is None:
                        stats.skipped += 1
                        continue
                    stats.records += 1
                    yield record
        except (OSError, EOFError, zlib.error) as exc:  # e.g. a .gz cut short: keep what was read
            stats.problems.append(f"{path}: {exc}; read up to that point")
