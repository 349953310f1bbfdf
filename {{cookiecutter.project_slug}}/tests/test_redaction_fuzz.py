"""Property-based proof that no secret reaches a line, whatever shape it arrives in.

Hypothesis generates secrets and puts them where services really leak them: under sensitive
keys of every casing and spelling at any depth, after every separator and quoting in free
text (closed, unclosed, escaped, bodies cut at any byte), in exception messages and chained
tracebacks, in headers, query strings and URLs. Each example goes through the real logging
pipeline in both formats; the test asserts that no piece of a secret appears and that each
record is still one well-formed line with its other fields intact.

Secrets use an alphabet the rest of a line never produces (capitals without vowels, and
digits), so "no 6-character piece of the secret in the output" is a strict check that also
catches a secret cut in half. By default each property runs about a hundred examples (a few
seconds); ``HYPOTHESIS_PROFILE=long pytest tests/test_redaction_fuzz.py`` runs thousands.
"""

from __future__ import annotations

import io
import logging
import os
import re
from contextlib import redirect_stdout

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.observability import track_dependency
from {{ cookiecutter.package_name }}.observability.setup import configure_logging
from {{ cookiecutter.package_name }}.observability.testing import parse_lines

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile(
    "long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

FORMATS = pytest.mark.parametrize("log_format", ["json", "text"])
SECRET_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
PIECE = 6
FRAGMENTS = [
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "authorization", "cookie", "session",
    "private_key", "credential", "access_key", "jwt", "card_number", "cvv", "passphrase", "signature", "auth_key",
]  # fmt: skip
log = logging.getLogger("tests.fuzz")

secrets = st.text(SECRET_ALPHABET, min_size=PIECE + 2, max_size=40).map(lambda s: "QX" + s)
filler = st.text("abcdefghijklmnop _,;/()", max_size=40)


@st.composite
def sensitive_keys(draw: st.DrawFn) -> str:
    """A sensitive key in any casing and spelling: PASSWORD, Api-Key, accessKey, x.api.key..."""
    words = draw(st.sampled_from(FRAGMENTS)).split("_")
    joiner = draw(st.sampled_from(["_", "-", ".", "", " ", "camel"]))
    key = words[0] + "".join(w.title() for w in words[1:]) if joiner == "camel" else joiner.join(words)
    key = draw(st.sampled_from([key, key.upper(), key.title(), key.lower()]))
    prefix = draw(st.sampled_from(["", "user_", "X-", "db.", "client"]))
    suffix = draw(st.sampled_from(["", "_value", "-1", "Hash"]))
    return prefix + key + suffix


@st.composite
def key_value_texts(draw: st.DrawFn, secret: str) -> str:
    """``key<sep><value>`` in the shapes free text takes, often cut short like a logged body."""
    key = draw(sensitive_keys())
    sep = draw(st.sampled_from(["=", ": ", ":", " = ", "=>", " => ", "%3D", ":=", '":"', '": "', '\\":\\"']))
    quote_open, quote_close = draw(
        st.sampled_from([("", ""), ('"', '"'), ("'", "'"), ('"', ""), ("'", ""), ('\\"', '\\"'), ("b'", "'")])
    )
    if sep.endswith('"'):  # JSON-ish separators already opened the quote
        quote_open, quote_close = "", draw(st.sampled_from(['"', "", '\\"']))
    scheme = draw(st.sampled_from(["", "", "Bearer ", "Basic ", "Token "]))
    shape = draw(st.sampled_from(["plain", "list", "object", "split"]))
    value = f"{scheme}{secret}"
    if shape == "list":
        value = f"[{draw(filler)!r}, {secret!r}]"
    elif shape == "object":
        value = '{"inner": "' + secret + '"}'
    elif shape == "split" and quote_open in ('"', "'"):  # a closed quote split by a line break
        value = secret[: len(secret) // 2] + "\n" + secret[len(secret) // 2 :]
        quote_close = quote_open
    text = f"{draw(filler)} {key}{sep}{quote_open}{value}{quote_close}{draw(filler)}"
    if "\n" not in value and draw(st.booleans()):  # a body cut at N bytes, anywhere after the value began
        cut = draw(st.integers(min_value=text.index(value) + PIECE, max_value=len(text)))
        text = text[:cut]
    return text


def special_texts(secret: str) -> st.SearchStrategy[str]:
    """Shapes recognised without a key: URLs, header lines, bearer tokens, query strings."""
    return st.sampled_from(
        [
            f"connect postgres://app:{secret}@db:5432/main failed",
            f"GET https://api.example.com/cb?code={secret}&state=1",
            f"GET /maps?key[]={secret} HTTP/1.1",
            f"Cookie: sid={secret}; theme=dark",
            f'Authorization: Digest username="u", response="{secret}"',
            f"retrying with bearer {secret}",
            f"-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----",
            f"<password><![CDATA[{secret}]]></password>",
            f"config:\n  password: |\n    {secret}\n  user: ann",
        ]
    )


def messages(secret: str) -> st.SearchStrategy[str]:
    lines = st.one_of(key_value_texts(secret), special_texts(secret))
    return st.lists(st.one_of(lines, filler), min_size=1, max_size=4).map("\n".join).filter(lambda m: secret in m)


@st.composite
def payloads(draw: st.DrawFn, secret: str) -> object:
    """Nested dicts, lists and tuples with the secret under sensitive keys, at any depth."""
    leaf = st.one_of(st.integers(-5, 5), filler, st.none())
    tree = st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(filler, children, max_size=3),
            st.builds(lambda key, child: {key: secret, "child": child}, sensitive_keys(), children),
        ),
        max_leaves=8,
    )
    key = draw(sensitive_keys())
    return draw(st.builds(lambda t, k: {"tree": t, k: secret, "list": [{k: secret}]}, tree, st.just(key)))


def pipeline(log_format: str) -> io.StringIO:
    """The service's real logging set-up, writing to a buffer instead of stdout."""
    buffer = io.StringIO()
    configure_logging(load_settings({"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": log_format}), stream=buffer)
    return buffer


def assert_clean(output: str, secret: str, records: int) -> list[dict[str, object]]:
    pieces = {secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1)}
    found = [piece for piece in pieces if piece in output]
    assert not found, f"secret pieces {found} in {output!r}"
    events = parse_lines(output)  # raises if any line is not one well-formed record
    assert len(events) == records == output.count("\n")
    return events


@FORMATS
@given(data=st.data())
def test_no_secret_in_free_text_messages_fields_or_arguments(log_format: str, data: st.DataObject) -> None:
    secret = data.draw(secrets)
    message = data.draw(messages(secret))
    buffer = pipeline(log_format)
    log.warning(message, extra={"canary": "kept"})
    log.warning("arg %s", message)
    log.warning("field", extra={"note": message, "nested": [{"text": message}]})
    events = assert_clean(buffer.getvalue(), secret, 3)
    assert events[0]["canary"] == "kept"
    assert [e["msg"] for e in events[1:]] == [events[1]["msg"], "field"]


@FORMATS
@given(data=st.data())
def test_no_secret_in_nested_payloads(log_format: str, data: st.DataObject) -> None:
    secret = data.draw(secrets)
    payload = data.draw(payloads(secret))
    buffer = pipeline(log_format)
    log.info("payload", extra={"payload": payload, "canary": 7})
    (event,) = assert_clean(buffer.getvalue(), secret, 1)
    assert event["canary"] == 7
    assert event["payload"]["list"] == [{next(k for k in payload if k not in ("tree", "list")): "[REDACTED]"}]


@FORMATS
@given(data=st.data())
def test_no_secret_in_exceptions_and_chained_tracebacks(log_format: str, data: st.DataObject) -> None:
    secret = data.draw(secrets)
    first, second = data.draw(messages(secret)), data.draw(messages(secret))
    padding = data.draw(st.sampled_from([0, 4000, 16_300]))  # push the secret to the cut
    buffer = pipeline(log_format)
    try:
        try:
            raise KeyError(first)
        except KeyError as inner:
            raise RuntimeError("p" * padding + second) from inner
    except RuntimeError:
        log.exception("failed")
    (event,) = assert_clean(buffer.getvalue(), secret, 1)
    assert event["exc_type"] == "RuntimeError"
    assert "KeyError" in str(event["exc"]) or padding


@FORMATS
@given(data=st.data())
def test_no_secret_in_request_headers_query_strings_and_dependency_urls(log_format: str, data: st.DataObject) -> None:
    secret = data.draw(secrets)
    header = re.sub(r"[^A-Za-z0-9-]", "-", data.draw(sensitive_keys())).strip("-") or "X-Token"
    query_name = data.draw(st.sampled_from(["token", "code", "key", "key[]", "sig", "Password", "api-key"]))
    url = data.draw(
        st.sampled_from(
            [
                f"https://user:{secret}@api.example.com/v1",
                f"https://api.example.com/v1?{query_name}={secret}",
                f"//svc:{secret}@db/x",
                f"https://h/geo?email=a@b.com&key={secret}",
            ]
        )
    )
    app = create_app({"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": log_format, "LOG_LEVEL": "DEBUG"})

    @app.get("/call")
    def call():
        with track_dependency("upstream", "GET", url):
            pass
        return {"ok": True}

    output = io.StringIO()
    with redirect_stdout(output):
        response = app.test_client().get(
            f"/call?{query_name}={secret}&page=2",
            headers={header: secret, "Authorization": f"Bearer {secret}", "Cookie": f"sid={secret}"},
        )
    assert response.status_code == 200
    events = assert_clean(output.getvalue(), secret, output.getvalue().count("\n"))
    assert [e["msg"] for e in events][-2:] == ["dependency_call", "request_completed"]
