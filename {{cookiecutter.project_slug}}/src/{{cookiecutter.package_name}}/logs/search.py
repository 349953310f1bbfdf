"""Bytes -> lines: a stream read in large chunks, and the lines worth parsing found at C speed.

Why a module: in an incident people search gigabytes, and reading a line at a time in Python
costs more than ``grep`` takes for the whole file. Here a stream is read in chunks of
``CHUNK_BYTES`` (files, ``.gz`` streams and stdin alike), cut at the last newline, and the
rest of the chunk's last line is carried over to the next. With needles (the request ID for
``trace``, a user ID, ``dependency_call``...), ``bytes.find`` looks for the first needle over
the whole chunk, and only the lines around its hits are cut out and checked for the others:
finding one request in a gigabyte costs about twice what ``grep -F`` takes, plus start-up.

Why a bytes search is exact: a needle is plain text (``filters.PLAIN``: letters, digits and
``_.:@/+<>-``, the characters of the IDs the service writes), so the service's formatters
write it as it is in every format and schema (JSON escapes only quotes, backslashes, control
and non-ASCII characters), and decoding a line (invalid UTF-8 becomes U+FFFD) can neither
create nor hide an ASCII run. A line holds the needle as bytes exactly when its text does.

Memory stays flat: a chunk, plus the carried part of a line, which is bounded because a
line longer than ``max_bytes`` (with its newline) is reported as ``None`` once and dropped
unread up to its end, as ``reading.iter_lines`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import IO

CHUNK_BYTES = 4 * 1024 * 1024
NEWLINE = b"\n"


def needles_of(texts: Sequence[str]) -> tuple[bytes, ...]:
    """The needles as bytes, the most selective first (the caller's order), none repeated."""
    return tuple(dict.fromkeys(text.encode("utf-8") for text in texts if text))


# A run of whole lines: the first ``end`` bytes of the buffer (valid until the next is read).
Piece = tuple[bytearray, int]


def pieces(stream: IO[bytes], max_bytes: int, chunk_bytes: int | None = None) -> Iterator[Piece | None]:
    """The stream as runs of whole lines (each ending with a newline, but the file's last
    line may not), and ``None`` in place of each line longer than ``max_bytes``.

    One buffer is read into and reused (fresh multi-megabyte objects per chunk cost more in
    page faults than the search itself); only the carried part of a line is moved.
    """
    size = max(1, min(chunk_bytes or CHUNK_BYTES, max_bytes))  # a line that fits: at most carry + chunk
    # readinto1: at most one read of the source, so a .gz stream cut short loses only its last piece.
    readinto: Callable[[memoryview], int] = getattr(stream, "readinto1", None) or stream.readinto  # type: ignore[attr-defined]
    buffer = bytearray(2 * size)
    filled = 0
    skipping = False  # inside an overlong line: drop up to its newline
    while True:
        if len(buffer) < filled + size:
            buffer.extend(bytes(filled + size - len(buffer)))
        with memoryview(buffer) as view, view[filled : filled + size] as free:
            count = readinto(free)
        if not count:
            break
        filled += count
        if skipping:
            newline = buffer.find(NEWLINE, 0, filled)
            if newline < 0:
                filled = 0
                continue
            skipping, filled = False, move_to_front(buffer, newline + 1, filled)
        last = buffer.rfind(NEWLINE, 0, filled)
        if last < 0:
            if filled > max_bytes:
                yield None
                filled, skipping = 0, True
            continue
        start = 0
        first = buffer.find(NEWLINE, 0, filled)
        if first + 1 > max_bytes:  # the line begun in the carry grew too long
            yield None
            start = first + 1
        if start <= last:
            if start:
                move_to_front(buffer, start, filled)
                last, filled = last - start, filled - start
            yield buffer, last + 1
        filled = move_to_front(buffer, last + 1, filled)
    if filled and not skipping:
        yield None if filled > max_bytes else (buffer, filled)


def move_to_front(buffer: bytearray, start: int, end: int) -> int:
    """Move ``buffer[start:end]`` to its start; returns its length."""
    buffer[: end - start] = buffer[start:end]
    return end - start


def lines_of(piece: Piece) -> list[bytes]:
    """The lines of a piece, without their newlines."""
    buffer, end = piece
    with memoryview(buffer) as view:
        found = view[:end].tobytes().split(NEWLINE)
    if buffer[end - 1 : end] == NEWLINE:
        found.pop()
    return found


def matching_lines(piece: Piece, needles: tuple[bytes, ...]) -> Iterator[bytes]:
    """The lines of a piece holding every needle: the first is searched for over the whole
    piece (C speed), the others only in the lines around its hits."""
    buffer, end = piece
    anchor, others = needles[0], needles[1:]
    find, rfind = buffer.find, buffer.rfind
    position = 0
    while (hit := find(anchor, position, end)) >= 0:
        start = rfind(NEWLINE, 0, hit) + 1
        stop = find(NEWLINE, hit, end)
        stop = end if stop < 0 else stop
        line = bytes(buffer[start:stop])
        if all(needle in line for needle in others):
            yield line
        position = stop + 1


def read_lines(
    stream: IO[bytes], needles: tuple[bytes, ...], max_bytes: int, chunk_bytes: int | None = None
) -> Iterator[bytes | None]:
    """The lines of a stream (without newlines) holding every needle (all lines without
    needles), and ``None`` for each line over ``max_bytes``, needle or not."""
    for piece in pieces(stream, max_bytes, chunk_bytes):
        if piece is None:
            yield None
        elif needles:
            yield from matching_lines(piece, needles)
        else:
            yield from lines_of(piece)
