"""``logs/search.py`` and ``logs/fastjson.py``: chunked reading and the needle search, and
orjson where it reads what ``json`` reads.

The reference is the reading the tool had before: one ``readline`` at a time
(``reading.iter_lines``), each line decoded and tested for the needle as text, and parsed by
``parse_record``. The chunked reader must give the same lines and the same records whatever
the chunk size: lines across chunk boundaries, longer than a chunk, over the limit, the last
one without a newline, CRLF, invalid UTF-8.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.logs import logs_group, search
from {{ cookiecutter.package_name }}.logs.fastjson import loads_fast, loads_json
from {{ cookiecutter.package_name }}.logs.reading import ReadStats, iter_lines, parse_record, read_records, record_of
from {{ cookiecutter.package_name }}.logs.search import read_lines
from {{ cookiecutter.package_name }}.observability.formatting import ServiceIdentity, TextFormatter, render_json, utc_timestamp
from {{ cookiecutter.package_name }}.observability.schemas import mapper_for

RID = "4bf92f3577b34da6a3ce929d0e0e4736"


def reference(data: bytes, needle: bytes | None, max_bytes: int) -> list[bytes | None]:
    """The lines the per-line reader gives, with the needle tested on the decoded text."""
    found: list[bytes | None] = []
    for line in iter_lines(io.BytesIO(data), max_bytes):
        if line is None:
            found.append(None)
        elif needle is None or needle.decode() in line:
            found.append(line.removesuffix("\n").encode("utf-8", errors="surrogateescape"))
    return found


def chunked(data: bytes, needle: bytes | None, max_bytes: int, chunk_bytes: int) -> list[bytes | None]:
    lines = read_lines(io.BytesIO(data), (needle,) if needle else (), max_bytes, chunk_bytes)
    # Compared as the reference decodes them: invalid UTF-8 as U+FFFD, both sides alike.
    return [None if line is None else line.decode("utf-8", errors="replace").encode() for line in lines]


LINES = st.lists(
    st.one_of(
        st.sampled_from(["", "\r", "x", RID, json.dumps({"request_id": RID}) + "\r", "é\xff"]),
        st.text(alphabet='ab{}"\r\t é', max_size=40),
        st.builds(lambda n: "y" * n + RID + "z" * n, st.integers(0, 30)),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=LINES,
    last_newline=st.booleans(),
    chunk_bytes=st.integers(1, 70),
    max_bytes=st.integers(1, 90),
    with_needle=st.booleans(),
)
def test_chunked_lines_are_the_per_line_readers_lines(
    lines: list[str], last_newline: bool, chunk_bytes: int, max_bytes: int, with_needle: bool
) -> None:
    data = "\n".join(lines).encode("utf-8", errors="surrogateescape") + (b"\n" if last_newline and lines else b"")
    data = data.replace(b"\xc3\xbf", b"\xff")  # some invalid UTF-8 too
    needle = RID.encode() if with_needle else None
    assert chunked(data, needle, max_bytes, chunk_bytes) == reference(data, needle, max_bytes)


@pytest.mark.parametrize("chunk_bytes", [1, 5, 31, 32, 33, 64, 4096])
def test_a_needle_across_a_chunk_boundary_is_found(chunk_bytes: int) -> None:
    wanted = [json.dumps({"n": n, "request_id": RID}).encode() for n in range(5)]
    data = b"".join(b"x" * n + b"\n" + line + b"\r\n" for n, line in enumerate(wanted, 7))
    found = list(read_lines(io.BytesIO(data), (RID.encode(),), 10_000, chunk_bytes))
    assert found == [line + b"\r" for line in wanted]


def test_lines_longer_than_a_chunk_are_whole_and_lines_over_the_limit_are_none() -> None:
    long_line = b"a" * 100 + RID.encode() + b"b" * 100
    over = b"c" * 500
    data = long_line + b"\n" + over + b"\n" + b"last " + RID.encode()  # the last line has no newline
    assert list(read_lines(io.BytesIO(data), (), 300, 16)) == [long_line, None, b"last " + RID.encode()]
    # Over the limit is counted whether or not it holds the needle: it was never read.
    assert list(read_lines(io.BytesIO(data), (RID.encode(),), 300, 16)) == [long_line, None, b"last " + RID.encode()]


def test_a_gzip_stream_is_read_in_chunks_like_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CHUNK_BYTES", 1000)
    lines = [json.dumps({"ts": utc_timestamp(n), "msg": "m", "request_id": f"r{n % 7}"}) for n in range(3000)]
    plain, packed = tmp_path / "app.log", tmp_path / "app.log.1.gz"
    plain.write_text("\n".join(lines) + "\n", "utf-8")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for needles in ((), ("r3",)):
        from_plain = list(read_records([str(plain)], ReadStats(), needles))
        assert from_plain == list(read_records([str(packed)], ReadStats(), needles))
        assert len(from_plain) == (3000 if not needles else len(range(3, 3000, 7)))


# --- every shape of line: the bytes path gives what the str path gave ------------------------


def varied_lines() -> list[str]:
    """Lines of every schema, the text format, collector prefixes, and hostile ones."""
    event: dict[str, object] = {
        "ts": utc_timestamp(1_700_000_000.123),
        "level": "WARNING",
        "logger": "deps",
        "msg": "dependency_call",
        "request_id": RID,
        "user_id": "u-1",
        "method": "GET",
        "path": "/orders/7",
        "service": "shop",
        "version": "1.0",
        "env": "prod",
        "status": 503,
        "duration_ms": 12.5,
        "dependency": "payments",
        "note": 'caf\u00e9 \u2028 \\ "q"',
    }
    native = json.dumps(event, separators=(",", ":"))
    lines = [native, TextFormatter().render(event)]
    for schema in ("ecs", "gcp", "datadog"):
        mapper = mapper_for(schema, ServiceIdentity("shop", "1.0", "prod"), "my-project")
        assert mapper is not None
        lines.append(render_json(mapper(dict(event))))
    lines += [f"[pod/shop-7d9/app] {native}", f"shop-1  | {native}", f"\x1b[36mshop-1  |\x1b[0m {native}"]
    lines += [f"2026-01-01T00:00:00.000000000Z {native}", f"  {native}  ", f"\u00a0{native}\u00a0", native + "\r"]
    hostile = [
        native[:-1] + ',"status":' + "9" * 310 + "}",
        native[:-1] + ',"duration_ms":-' + "9" * 25 + "}",
        native[:-1] + ',"big":' + "1" * 30 + "}",
        native[:-1] + ',"nan":NaN,"inf":-Infinity}',
        native[:-1] + ',"lone":"\\ud800"}',
        native[:-1] + ',"deep":' + "[" * 150 + "]" * 150 + "}",
        native[:-1] + ',"deeper":' + "[" * 2000 + "]" * 2000 + "}",
        native[:-1] + ',"request_id":"other"}',  # a duplicate key: the last wins in both
        native[:40],
        "[1,2]",
        "{}",
        "",
        "noise",
    ]
    return lines + hostile


def test_record_of_bytes_is_parse_record_of_the_decoded_line() -> None:
    for line in varied_lines():
        raw = line.encode("utf-8", errors="surrogatepass")
        assert record_of(raw) == parse_record(raw.decode("utf-8", errors="replace")), line[:80]
    invalid = b'{"msg":"caf\xe9","request_id":"r1"}'
    assert (
        record_of(invalid)
        == parse_record(invalid.decode("utf-8", errors="replace"))
        == {
            "msg": "caf\ufffd",
            "request_id": "r1",
        }
    )


def read_per_line(path: Path, needles: tuple[str, ...]) -> tuple[list[dict[str, object]], int]:
    """The reader before chunks: ``readline``, decode, test the needles as text, ``parse_record``."""
    records, skipped = [], 0
    with path.open("rb") as stream:
        for line in iter_lines(stream):
            if line is not None and not all(needle in line for needle in needles):
                continue
            record = parse_record(line) if line is not None else None
            if record is None:
                skipped += 1
            else:
                records.append(record)
    return records, skipped


@pytest.mark.parametrize("needles", [(), (RID,), ("u-1",), ("u-1", "dependency_call"), ("absent",)])
def test_read_records_gives_what_the_per_line_reader_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, needles: tuple[str, ...]
) -> None:
    log = tmp_path / "varied.log"
    lines = [*varied_lines(), "x" * 300 + RID, "\t" + json.dumps({"request_id": RID, "ts": "t"})]
    log.write_bytes("\r\n".join(lines * 4).encode("utf-8", errors="surrogatepass") + b"\n\n" + b'{"a":')
    expected = read_per_line(log, needles)
    for chunk_bytes in (13, 4096):
        monkeypatch.setattr(search, "CHUNK_BYTES", chunk_bytes)
        stats = ReadStats()
        assert (list(read_records([str(log)], stats, needles)), stats.skipped) == expected
        assert stats.records == len(expected[0])


def json_texts() -> st.SearchStrategy[bytes]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    )
    encoded = st.dictionaries(st.text(max_size=6), values, max_size=6).map(lambda v: json.dumps(v).encode())
    numbers = st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
    raw_numbers = numbers.map(lambda n: b'{"n":' + n.encode() + b"}")
    mutated = st.tuples(encoded, st.integers(0, 200), st.binary(max_size=3)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    )
    return st.one_of(encoded, raw_numbers, mutated)


@settings(max_examples=400, deadline=None)
@given(body=json_texts())
def test_orjson_reads_exactly_what_json_reads(body: bytes) -> None:
    def outcome(loads: Callable[[bytes], object]) -> str:
        try:
            return repr(loads(body))
        except (ValueError, RecursionError):
            return "refused"

    assert outcome(loads_fast) == outcome(loads_json)


# --- the commands: the same output whatever the chunk size ------------------------------------


def test_every_command_answers_the_same_with_tiny_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = varied_lines()
    completed: dict[str, object] = {"level": "ERROR", "logger": "http", "msg": "request_completed", "method": "GET"}
    completed["request_id"] = RID
    completed |= {"path": "/orders/7", "service": "shop", "status": 500, "duration_ms": 40.0, "user_id": "u-1"}
    lines.append(json.dumps({"ts": utc_timestamp(1_700_000_000.2), **completed}))
    log = tmp_path / "app.log"
    log.write_text("\r\n".join(lines * 3), "utf-8", errors="surrogatepass")
    commands = [
        ["trace", RID],
        ["slow"],
        ["errors"],
        ["summary"],
        ["deps"],
        ["errors", "--user", "u-1"],
        ["deps", "--user", "u-1"],
    ]
    runner = CliRunner()
    before = [runner.invoke(logs_group, [*args, str(log)]) for args in commands]
    monkeypatch.setattr(search, "CHUNK_BYTES", 7)
    after = [runner.invoke(logs_group, [*args, str(log)]) for args in commands]
    for args, old, new in zip(commands, before, after, strict=True):
        assert old.exit_code == new.exit_code == 0, (args, old.output)
        assert (old.stdout, old.stderr) == (new.stdout, new.stderr), args
    stdin = runner.invoke(logs_group, ["trace", RID], input=log.read_bytes())
    assert stdin.stdout == after[0].stdout
