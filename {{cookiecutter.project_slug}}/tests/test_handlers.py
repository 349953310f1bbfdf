"""A failing sink never takes requests down, and is reported once on stderr."""

from __future__ import annotations

import io
import sys

import pytest


def test_closed_stdout_keeps_serving_and_reports_once(app, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    client = app.test_client()
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    for _ in range(5):
        assert client.get("/health").status_code == 200
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.count("ERROR logging: cannot write to stdout") == 1
    assert "Traceback" not in err


def test_broken_pipe_keeps_serving(app, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    class BrokenPipe(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", BrokenPipe())
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/nope").status_code == 404
    monkeypatch.undo()
    assert capsys.readouterr().err.count("BrokenPipeError") == 1
