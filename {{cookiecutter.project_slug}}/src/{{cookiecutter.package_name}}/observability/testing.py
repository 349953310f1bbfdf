"""Helpers for tests that read what the service logged, in either format.

``parse_line`` turns one JSON or text line back into the event dict the formatter built,
so a test can assert on fields without caring which format the service was generated with.
"""

from __future__ import annotations

import json
import re

from .formatting import TEXT_LITERAL

_TOKEN = re.compile(r'(?:(?P<key>[^\s"=]+)=)?(?P<value>"(?:[^"\\]|\\.)*"|[^\s"]*)')


def _text_value(raw: str) -> object:
    if raw.startswith('"'):
        value = json.loads(raw)
        if value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    if TEXT_LITERAL.fullmatch(raw):
        return json.loads(raw)
    return raw


def parse_text_line(line: str) -> dict[str, object]:
    tokens = [m for m in _TOKEN.finditer(line) if m.group(0)]
    if len(tokens) < 4 or any(t.group("key") for t in tokens[:4]):
        raise ValueError(f"not a text log line: {line!r}")
    event: dict[str, object] = {
        "ts": tokens[0].group("value"),
        "level": tokens[1].group("value"),
        "logger": _text_value(tokens[2].group("value")),
        "msg": _text_value(tokens[3].group("value")),
    }
    for token in tokens[4:]:
        if not token.group("key"):
            raise ValueError(f"stray token {token.group(0)!r} in {line!r}")
        event[token.group("key")] = _text_value(token.group("value"))
    return event


def parse_line(line: str) -> dict[str, object]:
    """One log line (JSON or text) as a dict; raises ValueError if it is neither."""
    if line.startswith("{"):
        event = json.loads(line)
        if not isinstance(event, dict):
            raise ValueError(f"not a JSON object: {line!r}")
        return event
    return parse_text_line(line)


def parse_lines(output: str) -> list[dict[str, object]]:
    """Every line of captured output (split on ``\\n`` only, as a log shipper would)."""
    return [parse_line(line) for line in output.split("\n") if line]
