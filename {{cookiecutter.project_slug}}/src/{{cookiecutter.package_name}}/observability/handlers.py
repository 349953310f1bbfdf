"""Where log lines go, and what happens when a sink fails.

A failing sink (closed stream, broken pipe, unwritable or vanished file, full disk) must not
take requests down, and must not flood stderr with one traceback per record either: each
handler reports its first failure once, in one line on stderr, and keeps dropping lines
quietly after that while the service keeps answering. A stream whose reader has gone (a
broken pipe) is pointed at ``/dev/null``, so the interpreter's own flush of ``sys.stdout`` at
exit adds no ``Exception ignored ... BrokenPipeError`` after that one line.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from typing import TextIO

# Errors after which a stream's file descriptor can never take another line.
DEAD_STREAM_ERRNOS = frozenset({errno.EPIPE, errno.EBADF})


def detach_dead_stream(stream: TextIO) -> None:
    """Point a stream's broken file descriptor at ``/dev/null``.

    What the stream has buffered can never be delivered, and the interpreter flushes
    ``sys.stdout`` once more at exit; without this, that flush prints an ``Exception ignored
    ... BrokenPipeError`` traceback after the one line ``handleError`` promised. Python's
    documentation on SIGPIPE gives this remedy. A stream without a descriptor (a test's
    ``StringIO``) is left alone.
    """
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    if devnull == fd:  # the descriptor had been closed, and /dev/null took its number: done
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


class ReportOnce:
    """Mixin for ``logging.Handler``: report the first failure on stderr, then stay quiet."""

    _reported = False

    def sink_name(self) -> str:
        return type(self).__name__

    def handleError(self, record: logging.LogRecord | None) -> None:
        if self._reported:
            return
        self._reported = True
        error = sys.exc_info()[1]
        try:
            sys.stderr.write(
                f"ERROR logging: cannot write to {self.sink_name()}: {error!r}; "
                "later failures of this sink are not reported\n"
            )
            sys.stderr.flush()
        except Exception:  # noqa: S110 - stderr itself is gone: there is nowhere left to tell
            pass


class ServiceHandler(ReportOnce, logging.Handler):
    """Base of the service's sinks: ``emit`` formats, ``write_line`` writes.

    Subclasses implement ``write_line``, which the request summary may also call with a line
    the same formatter made (see ``pipeline.py``).
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self.write_line(line)

    def write_line(self, line: str) -> None:
        """Write one formatted line; report a failure once (``handleError``), never raise."""
        raise NotImplementedError


class StreamSink(ServiceHandler, logging.StreamHandler):  # type: ignore[type-arg] # generic only in typeshed
    def sink_name(self) -> str:
        return getattr(self.stream, "name", None) or "stream"

    def write_line(self, line: str) -> None:
        """Write and flush one line (the caller holds the handler's lock).

        The same as ``StreamHandler.emit`` minus its second lock round-trip in ``flush``.
        Flushing each line means nothing waits in a buffer when a worker is killed.
        """
        try:
            stream = self.stream
            stream.write(line + self.terminator)
            stream.flush()
        except RecursionError:
            raise
        except Exception as error:
            self.handleError(None)
            if getattr(error, "errno", None) in DEAD_STREAM_ERRNOS:
                detach_dead_stream(stream)


class StdoutSink(StreamSink):
    """Writes to whatever ``sys.stdout`` is at the moment of each record.

    Like the standard library's ``lastResort`` handler does for stderr: test runners and
    process managers may swap ``sys.stdout`` after logging is configured.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass

    def sink_name(self) -> str:
        return "stdout"
