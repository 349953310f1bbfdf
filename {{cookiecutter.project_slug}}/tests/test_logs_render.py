"""``logs/render.py``: every printed value is escaped (the commands' output is tested end to
end in ``test_logs_cli.py``)."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.logs.render import clean, show


def test_clean_escapes_terminal_controls() -> None:
    assert clean("plain text") == "plain text"
    assert clean("\x1b[2J\u202e\x85\n") == "\\x1b[2J\\u202e\\x85\\n"
    assert clean("abcdef", limit=3) == "abc..."


def test_show_keeps_simple_values_bare_and_quotes_the_rest() -> None:
    assert show("/health") == "/health"
    assert show("a b") == '"a b"'
    assert show({"k": [1, None]}) == '{"k":[1,null]}'
    assert show("\u2028x=1") == '"\\u2028x=1"'
