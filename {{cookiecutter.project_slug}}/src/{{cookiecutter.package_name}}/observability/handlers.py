"""Where log lines go, and what happens when a sink fails.

A failing sink (closed stream, broken pipe, unwritable or vanished file, full disk) must not
take requests down, and must not flood stderr with one traceback per record either: each
handler reports its first failure once, in one line on stderr, and keeps dropping lines
quietly after that while the service keeps answering.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from .context import current as current_context


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
        except Exception:  # stderr itself is gone: nothing left to tell
            pass


class ServiceHandler(ReportOnce, logging.Handler):
    """Base of the service's sinks.

    ``handle`` does what ``Handler.handle`` does (filters, then ``emit`` under the lock), and
    first stamps the request context on the record, on the thread that logged it. Subclasses
    implement ``write_line``, which the request summary also calls directly (see
    ``direct_write.py``).
    """

    def handle(self, record: logging.LogRecord) -> bool | logging.LogRecord:  # type: ignore[override]
        record._log_context = current_context()  # type: ignore[attr-defined]
        if self.filters:
            result = self.filter(record)
            if not result:
                return False
            if isinstance(result, logging.LogRecord):  # Python 3.12+: a filter may swap the record
                record = result
        with self.lock:  # type: ignore[union-attr]
            self.emit(record)
        return True

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


class StreamSink(ServiceHandler, logging.StreamHandler):
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
        except Exception:
            self.handleError(None)


class StdoutSink(StreamSink):
    """Writes to whatever ``sys.stdout`` is at the moment of each record.

    Like the standard library's ``lastResort`` handler does for stderr: test runners and
    process managers may swap ``sys.stdout`` after logging is configured.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass

    def sink_name(self) -> str:
        return "stdout"
