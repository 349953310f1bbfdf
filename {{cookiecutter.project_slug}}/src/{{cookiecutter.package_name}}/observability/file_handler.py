"""A size-rotated log file that several gunicorn workers can share without losing lines.

The standard library's ``RotatingFileHandler`` is unsafe here: each worker checks the size
and renames the file on its own, so workers keep writing into renamed files, rotate twice,
and overwrite backups. This handler serialises every write and rotation across processes
with an ``flock`` on a sibling ``.lock`` file. Under the lock it reopens the file when another
process rotated it (the inode changed), rotates when the next line would pass
``LOG_FILE_MAX_BYTES``, and appends the whole line with one ``O_APPEND`` write. A line is
never torn, lost or written twice, and the files it rotates are plain, ready for ``jq``.

It costs a ``stat`` and two ``flock`` calls per line (a few microseconds), and needs no
extra dependency (POSIX only, like gunicorn itself).
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..env import fail, parse_bool, parse_int
from .handlers import ServiceHandler

# Chosen at generation time; LOG_FILE overrides it, and LOG_FILE="" turns the file off.
DEFAULT_LOG_FILE = "logs/{{ cookiecutter.project_slug }}.log"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5
# Far above any sane count, and small enough that backup names (".1" to ".1000") are no longer
# than the lock file's (".lock"), so that validation, which creates the lock file, covers them.
MAX_BACKUP_COUNT = 1000
LOG_FILE_ACCEPTED = "a regular file path that can be created and appended to, or empty to disable"


@dataclass(frozen=True)
class FileSettings:
    path: str = DEFAULT_LOG_FILE
    max_bytes: int = DEFAULT_MAX_BYTES
    backup_count: int = DEFAULT_BACKUP_COUNT
    to_stdout: bool = True


def log_file_problem(path: str) -> str | None:
    """Why ``path`` cannot be the log file, or None: creates its directory, the file and its lock.

    Only trying tells. Access checks pass for root almost everywhere, yet ``/proc``, read-only
    mounts and names longer than the file system allows (ENAMETOOLONG) fail all the same, and
    the handler would find out at its first write, in a worker, after start-up. This does what
    the handler does then (nothing more: the file is created, never truncated), at validation,
    so that the failure is one CRITICAL line under gunicorn, ``flask run`` and wsgi alike.
    ``O_NONBLOCK`` keeps a FIFO from blocking start-up; it is refused as not a regular file.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        for name, flags in ((path, os.O_WRONLY | os.O_APPEND), (f"{path}.lock", os.O_RDWR)):
            fd = os.open(name, flags | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return f"{name}: not a regular file"
            finally:
                os.close(fd)
    except OSError as exc:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    except ValueError as exc:  # a NUL character, which no path can hold
        return str(exc)
    return None


def parse_log_file(name: str, value: str) -> str:
    path = value.strip()
    if path.endswith("/") or os.path.isdir(path):
        fail(name, path, LOG_FILE_ACCEPTED, "a directory")
    problem = log_file_problem(path) if path else None
    if problem:
        fail(name, path, LOG_FILE_ACCEPTED, problem)
    return path


def load_file_settings(env: Mapping[str, str]) -> FileSettings:
    to_stdout = parse_bool("LOG_TO_STDOUT", env.get("LOG_TO_STDOUT", "true"))
    if not env.get("LOG_FILE", DEFAULT_LOG_FILE).strip() and not to_stdout:
        # No handler at all: Python would print unredacted text.
        fail("LOG_TO_STDOUT", env.get("LOG_TO_STDOUT", ""), "true while LOG_FILE is empty (logs must go somewhere)")
    max_bytes = parse_int("LOG_FILE_MAX_BYTES", env.get("LOG_FILE_MAX_BYTES", str(DEFAULT_MAX_BYTES)), 0)
    backup_count = parse_int(
        "LOG_FILE_BACKUP_COUNT", env.get("LOG_FILE_BACKUP_COUNT", str(DEFAULT_BACKUP_COUNT)), 1, MAX_BACKUP_COUNT
    )
    # Last, so that a bad number is reported without creating anything first.
    path = parse_log_file("LOG_FILE", env.get("LOG_FILE", DEFAULT_LOG_FILE))
    return FileSettings(path=path, max_bytes=max_bytes, backup_count=backup_count, to_stdout=to_stdout)


class LockedRotatingFileHandler(ServiceHandler):
    def __init__(self, path: str, max_bytes: int, backup_count: int) -> None:
        super().__init__()
        self.path = os.path.abspath(path)
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        self._pid = -1
        self._fd = -1
        self._lock_fd = -1
        # Names of the backups that rotation shifts up (.1 to .N-1; .N is overwritten).
        name = os.path.basename(self.path)
        self._shifted_backups = {f"{name}.{index}": index for index in range(1, backup_count)}
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _open_for_this_process(self) -> None:
        # flock belongs to the open file description, which fork shares: each process
        # must open its own, or workers forked from one master would not exclude each other.
        if self._pid == os.getpid():
            return
        for inherited in (self._fd, self._lock_fd):  # the parent's copies; its lock stays its own
            if inherited >= 0:
                os.close(inherited)
        self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._fd = -1
        self._pid = os.getpid()

    def _current_fd(self) -> int:
        try:
            on_disk = os.stat(self.path).st_ino
        except FileNotFoundError:
            on_disk = None
        if self._fd < 0 or on_disk != os.fstat(self._fd).st_ino:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        return self._fd

    def _rotate(self) -> None:
        """Shift the backups that exist up by one (the oldest is overwritten), then the file to .1.

        One directory listing finds them. Probing every possible index instead costs
        ``backup_count`` stat calls per rotation, under the lock every worker waits on.
        """
        with os.scandir(os.path.dirname(self.path)) as entries:
            existing = [self._shifted_backups[e.name] for e in entries if e.name in self._shifted_backups]
        for index in sorted(existing, reverse=True):
            os.replace(f"{self.path}.{index}", f"{self.path}.{index + 1}")
        os.replace(self.path, f"{self.path}.1")

    def write_line(self, line: str) -> None:
        try:
            data = (line + "\n").encode("utf-8", "backslashreplace")
            self._open_for_this_process()
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                fd = self._current_fd()
                size = os.fstat(fd).st_size
                if self.max_bytes and size and size + len(data) > self.max_bytes:
                    self._rotate()
                    fd = self._current_fd()
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        except Exception:
            self.handleError(None)

    def sink_name(self) -> str:
        return self.path

    def close(self) -> None:
        self.acquire()
        try:
            for fd in (self._fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)
            self._fd = self._lock_fd = -1
            self._pid = -1
        finally:
            self.release()
        super().close()


def build_file_handler(settings: FileSettings) -> ServiceHandler:
    return LockedRotatingFileHandler(settings.path, settings.max_bytes, settings.backup_count)
