"""``parsing.py`` is the exact inverse of the formatters: render an event, parse it, same event.

Hypothesis generates events with strings of any characters (controls, quotes, backslashes,
Unicode line separators, bidi controls, lone surrogates, text that looks like numbers,
literals or JSON), ints, floats, None, bools and nested dicts and lists, renders them with the
service's own ``JsonFormatter``/``TextFormatter`` ``render`` and checks the parse gives the
same event back, key order included. The values that cannot round-trip are excluded from
the generated events and pinned by the example tests below:

- non-finite floats (text reads back the strings ``NaN``/``Infinity``/``-Infinity``; JSON
  writes ``null``, or refuses them without orjson); ``build_event`` never passes them on;
- in the text format, an extra field whose string is exactly the compact JSON of an object
  or array and needs quoting (``{"a":1}``, ``["x"]``, ``{}``): read as that object or array;
- a high surrogate directly followed by a low one in a Python string: read back, in both
  formats, as the one character the pair encodes.
"""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.observability import formatting
from {{ cookiecutter.package_name }}.observability.formatting import (
    BASE_FIELDS,
    JsonFormatter,
    TextFormatter,
    text_value,
    utc_timestamp,
)
from {{ cookiecutter.package_name }}.observability.parsing import parse_line, parse_lines, parse_text_line

settings.register_profile("parsing", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("parsing-long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile("parsing-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "parsing")

RENDERERS = pytest.mark.parametrize("render", [JsonFormatter().render, TextFormatter().render], ids=["json", "text"])
SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
TRICKY = [
    "", " ", "-", "123", "-1.5e3", "4e71", "null", "true", "false", "NaN", "-inf", "Infinity",
    "[1]", "[1, 2]", "[1,2]", "{x}", "{", "]", "a=b", 'say "hi"', "back\\slash", "\\u0041", "\\",
    "line\nbreak", "\r\n", "\t", "\x00", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\u202e",
    "\u2066", "\ud800", "\udfff", "\ufeff", "\xa0", "\u3000", "ünïcödé", "日本", "😀",
]  # fmt: skip
SPECIAL_CHARS = "".join(TRICKY)


def no_surrogate_pair(value: str) -> bool:
    return SURROGATE_PAIR.search(value) is None


chars = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARS))
strings = st.one_of(st.sampled_from(TRICKY), st.text(chars, max_size=30)).filter(no_surrogate_pair)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.one_of(strings, st.integers(-(2**100), 2**100), finite_floats, st.none(), st.booleans())
values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4)
)
keys = st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True).filter(lambda key: key not in BASE_FIELDS)
context = st.dictionaries(
    st.sampled_from(sorted(BASE_FIELDS - {"ts", "level", "logger", "msg"})),
    st.one_of(strings, st.integers(-(2**70), 2**70), st.none(), st.booleans()),
)


def needs_structure(value: object) -> bool:
    """A string the text format cannot tell from the object or array it spells (see above)."""
    if not isinstance(value, str) or not value.startswith(("{", "[")) or not text_value(value).startswith('"'):
        return False
    try:
        return COMPACT.encode(json.loads(value)) == value
    except (ValueError, RecursionError):
        return False


@st.composite
def events(draw: st.DrawFn) -> dict[str, object]:
    event: dict[str, object] = {
        "ts": utc_timestamp(draw(st.floats(0, 2**33))),
        "level": draw(strings),
        "logger": draw(strings),
        "msg": draw(strings),
    }
    event.update(draw(context))
    event.update(draw(st.dictionaries(keys, values.filter(lambda v: not needs_structure(v)), max_size=6)))
    return event


@PROFILE
@RENDERERS
@given(event=events())
def test_rendered_events_parse_back_exactly(render, event: dict[str, object]) -> None:
    line = render(event)
    assert "\n" not in line
    assert "\r" not in line
    parsed = parse_line(line)
    assert list(parsed.items()) == list(event.items())
    assert json.dumps(parsed) == json.dumps(event)  # types too: 1 is not 1.0 is not True


@PROFILE
@given(value=values.filter(lambda v: isinstance(v, (dict, list))))
def test_a_structured_extra_is_read_as_the_structure(value: object) -> None:
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "m", "payload": value}
    assert parse_line(TextFormatter().render(event))["payload"] == value
    # Its compact JSON text as a string is the one ambiguity: read as the structure too.
    text = COMPACT.encode(value)
    as_string = {**event, "payload": text, "msg": text}
    parsed = parse_line(TextFormatter().render(as_string))
    assert parsed["msg"] == text  # a field the service always writes as a string stays one
    assert parsed["payload"] == (value if needs_structure(text) else text)


@pytest.mark.parametrize(
    ("value", "read_as"),
    [
        ("{x}", "{x}"),
        ("[1]", "[1]"),  # written bare: a bare value is never decoded as JSON
        ("[1,2]", "[1,2]"),
        ("[1, 2]", "[1, 2]"),  # quoted and valid JSON, but [1, 2] would be written "[1,2]"
        ('{"a": 1}', '{"a": 1}'),
        ('{"a":1,"a":2}', '{"a":1,"a":2}'),
        ('["x",1e16]', '["x",1e16]'),  # the list would be written ["x",1e+16]
        ("[" * 5000 + "]" * 5000, "[" * 5000 + "]" * 5000),  # too deep to decode: a string
        ('{"a":1}', {"a": 1}),  # the ambiguity: exactly how the dict is written
        ('["x"]', ["x"]),
        ("{}", {}),
        ('"quoted"', '"quoted"'),
        ("NaN", "NaN"),
        ("12", "12"),
    ],
)
def test_quoted_text_is_decoded_as_json_only_when_it_is_exactly_how_a_structure_is_written(
    value: str, read_as: object
) -> None:
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": value, "note": value}
    parsed = parse_line(TextFormatter().render(event))
    assert parsed["msg"] == value
    assert parsed["note"] == read_as


@pytest.mark.parametrize(("value", "text"), [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")])
def test_non_finite_floats_do_not_round_trip(value: float, text: str) -> None:
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "m", "ratio": value}
    assert parse_line(TextFormatter().render(event))["ratio"] == text
    if formatting.orjson is None:
        with pytest.raises(ValueError, match="not JSON compliant"):
            JsonFormatter().render(event)
    else:
        assert parse_line(JsonFormatter().render(event))["ratio"] is None


@RENDERERS
def test_a_surrogate_pair_held_as_two_code_points_reads_back_as_one_character(render) -> None:
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "\ud83d\ude00", "lone": "\ud800x"}
    parsed = parse_line(render(event))
    assert parsed["msg"] == "😀"
    assert parsed["lone"] == "\ud800x"


def test_parse_lines_reads_captured_output_of_both_formats() -> None:
    event = {"ts": utc_timestamp(0), "level": "INFO", "logger": "l", "msg": "a\u2028b", "n": 1}
    output = JsonFormatter().render(event) + "\n" + TextFormatter().render(event) + "\n"
    assert parse_lines(output) == [event, event]


LINE = TextFormatter().render(
    {"ts": utc_timestamp(0), "level": "INFO", "logger": "http", "msg": "hello world", "status": 200, "note": "a b"}
)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "just words",
        LINE.replace(" http ", "  http "),  # two spaces
        LINE + " stray",
        LINE[: LINE.index("world") + 2],  # cut inside a quoted value
        LINE[: LINE.index("a b") + 1],
        LINE.replace("status=200", "status="),
        LINE.replace("hello world", "tab\there"),  # a raw control character in quotes
        LINE.replace("hello world", "bad \\x escape"),
        '"1970-01-01T00:00:00.000Z" INFO http msg',  # a quoted ts
        "1970-01-01T00:00:00.000Z INFO http",  # no msg
    ],
)
def test_text_lines_that_are_not_whole_records_are_refused(line: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError: json's or ours
        parse_text_line(line)


def test_a_text_line_cut_between_fields_reads_as_fewer_fields() -> None:
    """Text has no end marker, so this cut cannot be detected (JSON's always is)."""
    assert parse_text_line(LINE.rstrip() + "\r\n") == parse_text_line(LINE)
    assert parse_text_line(LINE[: LINE.index(" note=")]) == {
        "ts": "1970-01-01T00:00:00.000Z",
        "level": "INFO",
        "logger": "http",
        "msg": "hello world",
        "status": 200,
    }
