"""Which files to read: a log file with its rotated files, or a directory of them, oldest first.

Why a module: the service's file sink (and ``logrotate``) rotate by renaming: ``app.log``
becomes ``app.log.1``, the old ``.1`` becomes ``.2``, and so on (``.gz`` when compressed), so
the higher the number, the older the file. Naming them all, in that order, is tedious and
easy to get wrong in an incident. A FILE argument is therefore read with its rotated files
(``app.log.5`` ... ``app.log.1``, then ``app.log``; ``.N.gz`` too), and a directory means
every log file in it, each file's rotation set in that order. Lock files (``.lock``, which the
multi-process sink keeps next to the log) and hidden files are skipped. A file named twice
(``app.log.1 app.log``) is read once, at its last place; ``-`` is stdin.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

STDIN = "-"
ROTATED_SUFFIX = re.compile(r"\.([0-9]+)(\.gz)?")
SKIPPED_SUFFIXES = (".lock",)


def rotated_files(base: str) -> list[str]:
    """The rotated files of ``base`` (``base.N`` and ``base.N.gz``), oldest (highest N) first.
    Where a number has both (compression under way), the plain file is the complete one."""
    directory, name = os.path.split(base)
    by_number: dict[int, tuple[bool, str]] = {}
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(name + "."):
            continue
        match = ROTATED_SUFFIX.fullmatch(entry.name, len(name))
        if match is None or not entry.is_file():
            continue
        number, plain = int(match.group(1)), match.group(2) is None
        if number not in by_number or plain:
            by_number[number] = (plain, os.path.join(directory, entry.name))
    return [by_number[number][1] for number in sorted(by_number, reverse=True)]


def base_of(name: str) -> str:
    """``app.log`` for ``app.log``, ``app.log.3`` and ``app.log.3.gz``."""
    match = ROTATED_SUFFIX.search(name)
    return name[: match.start()] if match is not None and match.end() == len(name) else name


def directory_files(directory: str) -> list[str]:
    """Every log file of a directory: each base name's rotation set, oldest first, by name."""
    bases = sorted(
        {
            base_of(entry.name)
            for entry in os.scandir(directory)
            if entry.is_file() and not entry.name.startswith(".") and not entry.name.endswith(SKIPPED_SUFFIXES)
        }
    )
    files: list[str] = []
    for base in bases:
        path = os.path.join(directory, base)
        files += rotated_files(path)
        if os.path.isfile(path):
            files.append(path)
    return files


def expand(paths: Iterable[str]) -> list[str]:
    """The files to read for the FILE arguments, oldest first, each once."""
    found: list[str] = []
    for path in paths:
        if path == STDIN:
            found.append(path)
        elif os.path.isdir(path):
            found += directory_files(path)
        else:
            found += [*rotated_files(path), path]
    # A file named twice is read at its last place, so "app.log.1 app.log" is oldest first.
    last = {(file if file == STDIN else os.path.realpath(file)): index for index, file in enumerate(found)}
    return [found[index] for index in sorted(last.values())]
