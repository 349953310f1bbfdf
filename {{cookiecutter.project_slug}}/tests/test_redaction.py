"""Secrets never reach a line: extras, messages, exceptions, headers, query strings, URLs."""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability.redaction import REDACTED, Redactor, safe_url
from {{ cookiecutter.package_name }}.observability.testing import parse_line

from gunicorn_helpers import gunicorn

SECRET = "s3cr3t-Value-9f8e7d"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl"
log = logging.getLogger("tests.redaction")


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app(LOG_LEVEL="DEBUG", LOG_REDACT_KEYS="ssn")

    @app.post("/login")
    def login():
        log.debug("login_payload", extra={"payload": app_json()})
        return {"ok": True}

    @app.get("/fail")
    def fail():
        raise RuntimeError(f"upstream rejected password={SECRET} with Bearer {SECRET}")

    return app


def app_json():
    from flask import request

    return request.get_json(silent=True)


def assert_no_secret(logs) -> list[dict[str, object]]:
    """Check every line printed so far; return the records printed since the last read."""
    records = logs.read()
    assert logs.raw, "expected log output"
    for raw in logs.raw:
        assert SECRET not in raw
        assert JWT not in raw
    return records


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "PASSWORD",
        "user_password",
        "X-Api-Key",
        "api-key",
        "apikey",
        "client_secret",
        "access_token",
        "refresh-token",
        "Authorization",
        "session_id",
        "private_key",
        "credentials",
        "ssn",
    ],
)
def test_sensitive_keys_are_redacted_at_any_depth_keeping_the_shape(app, logs, key: str) -> None:
    log.info("nested", extra={"data": {"outer": [{key: SECRET, "keep": 1}], "t": ({key: SECRET},)}})
    event = logs.one("nested")
    assert event["data"] == {"outer": [{key: REDACTED, "keep": 1}], "t": [{key: REDACTED}]}
    assert_no_secret(logs)


def test_sensitive_top_level_extra_is_redacted(app, logs) -> None:
    log.info("top", extra={"api_token": SECRET, "count": 3})
    event = logs.one("top")
    assert event["api_token"] == REDACTED
    assert event["count"] == 3


@pytest.mark.parametrize(
    "message",
    [
        f"login with password={SECRET}",
        f"login with password: {SECRET}",
        f'login with password="{SECRET}"',
        f"login with password='{SECRET}'",
        'payload {"password": "' + SECRET + '"}',
        f"token={SECRET}&next=/home",
        f"Authorization: Bearer {SECRET}",
        f"sent bearer {SECRET}",
        f"jwt is {JWT}",
        f"dsn postgres://app:{SECRET}@db:5432/main",
        f"https://api.example.com/cb?code=1&access_token={SECRET}",
        f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET}\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_secrets_in_messages_are_redacted(app, logs, message: str) -> None:
    log.warning(message)
    log.warning("as %s", message)
    log.warning("as field", extra={"note": message})
    records = assert_no_secret(logs)
    assert all(REDACTED in str(r) for r in records)


def test_secrets_in_exception_text_are_redacted(app, logs) -> None:
    try:
        raise ValueError(f"bad api_key={SECRET}")
    except ValueError:
        log.exception("failed")
    event = logs.one("failed")
    assert "api_key=[REDACTED]" in event["exc"]
    assert_no_secret(logs)


def test_unhandled_exception_text_is_redacted(app, logs) -> None:
    response = app.test_client().get("/fail")
    assert response.status_code == 500
    assert SECRET not in response.get_data(as_text=True)
    assert_no_secret(logs)


def test_headers_and_query_strings_are_redacted_in_request_started(app, logs) -> None:
    client = app.test_client()
    client.set_cookie("session", SECRET)
    client.get(
        f"/health?token={SECRET}&page=2&api-key={SECRET}",
        headers={
            "Authorization": f"Bearer {SECRET}",
            "Proxy-Authorization": f"Basic {SECRET}",
            "X-Api-Key": SECRET,
            "X-Auth-Token": SECRET,
            "X-Other": "visible",
        },
    )
    started = logs.one("request_started", assert_no_secret(logs))
    headers = started["headers"]
    for name in ("Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token"):
        assert headers[name] == REDACTED
    assert headers["X-Other"] == "visible"
    assert started["query"] == {"token": REDACTED, "page": ["2"], "api-key": REDACTED}


def test_payload_logged_by_a_careless_call_site_is_redacted(app, logs) -> None:
    app.test_client().post("/login", json={"user": "ann", "Password": SECRET, "profile": {"ssn": SECRET}})
    event = logs.one("login_payload", assert_no_secret(logs))
    assert event["payload"] == {"user": "ann", "Password": REDACTED, "profile": {"ssn": REDACTED}}


def test_url_helpers() -> None:
    redactor = Redactor()
    url = f"https://bob:{SECRET}@api.example.com/v1/items?token={SECRET}&page=2#frag"
    assert safe_url(url) == "https://api.example.com/v1/items"
    redacted = redactor.url(url)
    assert SECRET not in redacted
    assert redacted.startswith("https://bob:[REDACTED]@api.example.com/v1/items?token=[REDACTED]&page=2")


def test_work_is_bounded_for_huge_payloads() -> None:
    redactor = Redactor()
    huge = {"rows": [{"id": i, "password": SECRET, "blob": "y" * 10_000} for i in range(20_000)]}
    out = redactor.value(huge)
    assert out["rows"][-1] == "[TRUNCATED: value too large]"  # the text budget ran out
    assert all(len(row["blob"]) < 4200 for row in out["rows"][:-1])
    assert len(json.dumps(out)) < 80_000
    small_rows = redactor.value({"rows": [{"id": i, "password": SECRET} for i in range(20_000)]})
    assert len(small_rows["rows"]) == 51  # 50 items and a marker
    assert small_rows["rows"][-1] == "[+19950 more]"
    one_megabyte = "z" * 1_000_000 + f" password={SECRET}"
    assert len(redactor.text(one_megabyte)) < 4200


def test_ordinary_text_is_left_alone() -> None:
    redactor = Redactor()
    for text in ("request_completed", "basic setup done", "user ann logged in", "GET /health 200"):
        assert redactor.text(text) == text


def test_header_collections_and_pairs_are_redacted_by_key(app, logs) -> None:
    from werkzeug.datastructures import Headers, ImmutableMultiDict

    headers = Headers([("X-Api-Key", SECRET), ("Cookie", f"sid={SECRET}"), ("Accept", "text/html")])
    log.info("collections", extra={"h": headers, "pairs": [("Authorization", SECRET), ("page", "2")]})
    log.info("args %s", ImmutableMultiDict([("password", SECRET)]))
    records = assert_no_secret(logs)
    event = logs.one("collections", records)
    assert event["h"] == {"X-Api-Key": REDACTED, "Cookie": REDACTED, "Accept": "text/html"}
    assert event["pairs"] == [["Authorization", REDACTED], ["page", "2"]]


@pytest.mark.parametrize(
    "text",
    [
        "{'password': ['" + SECRET + "']}",
        "{'password': b'" + SECRET + "'}",
        "password => '" + SECRET + "'",
        "Cookie: theme=dark; sid=" + SECRET,
        "<password>" + SECRET + "</password>",
        '{\\"password\\": \\"' + SECRET + '\\"}',
        "password%3D" + SECRET,
        "[('password', '" + SECRET + "')]",
        "https://user:pa/ss" + SECRET + "@db.example.com/x",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n" + SECRET + "\n-----END PGP PRIVATE KEY BLOCK-----",
    ],
    ids=["list", "bytes", "arrow", "cookie", "xml", "escaped-json", "url-encoded", "pairs", "url-slash", "pgp"],
)
def test_secret_value_shapes_in_text(text: str) -> None:
    assert SECRET not in Redactor().text(text)


@pytest.mark.parametrize(
    "key",
    ["Pass-Word", "x.api.key", "privateKey", "accessKey", "cardNumber", "passphrase", "X-Auth-Key",
     "Ocp-Apim-Subscription-Key", "X-Hub-Signature-256", "clientSecret"],
)  # fmt: skip
def test_key_spellings_are_recognised(key: str) -> None:
    assert Redactor().is_sensitive_key(key)


def test_dict_keys_that_hold_secrets_are_redacted() -> None:
    out = Redactor().value({f"password={SECRET}": 1, "plain": 2})
    assert SECRET not in str(out)
    assert out["plain"] == 2


def test_credential_query_names_are_redacted() -> None:
    query = {"code": ["oauth"], "key": ["AIza"], "sig": ["s"], "page": ["2"], "access_token": ["t"]}
    assert Redactor().query(query) == {
        "code": REDACTED,
        "key": REDACTED,
        "sig": REDACTED,
        "page": ["2"],
        "access_token": REDACTED,
    }


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:pa#{SECRET}@h/p",
        f"https://user:pa?{SECRET}@h/p",
        f"https://user:pa/{SECRET}@h/p",
        f"https://u:p@{SECRET}@h/p",
    ],
)
def test_safe_url_drops_passwords_holding_url_delimiters(url: str) -> None:
    assert SECRET not in safe_url(url)
    assert safe_url(url).endswith("h/p")
    assert SECRET not in Redactor().text(f"calling {url} now")


def test_private_key_in_a_long_traceback_is_redacted_before_truncation() -> None:
    text = "x" * 100 + f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET}\n-----END RSA PRIVATE KEY-----" + "y" * 20000
    assert SECRET not in Redactor().exception_text(text)


def test_one_value_cannot_make_a_huge_line(app, logs) -> None:
    inner = ["q" * 5000] * 50
    log.info("big", extra={"v": [[inner] * 50] * 50})
    logs.read()
    (line,) = logs.raw
    assert len(line) < 100_000


# --- Regressions: one test per class of leak a review found ---------------------------------


def log_everywhere(message: str) -> None:
    """The same text as a message, a %-argument, an extra field and exception text."""
    log.warning(message)
    log.warning("as %s", message)
    log.warning("as field", extra={"note": message})
    try:
        raise ValueError(message)
    except ValueError:
        log.exception("as exception")


@pytest.mark.parametrize(
    "message",
    [
        f'upstream replied password="{SECRET} (truncated)',
        'upstream body: {"password":"' + SECRET,
        "upstream body: {'password': '" + SECRET,
        '{\\"password\\": \\"' + SECRET,
        f"password=[{SECRET}, more",
    ],
    ids=["double", "json-body", "repr-body", "escaped-json", "list"],
)
def test_unclosed_quotes_hide_to_the_end_of_the_line(app, logs, message: str) -> None:
    log_everywhere(message)
    records = assert_no_secret(logs)
    assert len(records) == 4


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4060 + f" postgres://admin:{SECRET}@db/app",  # the "@" falls after the cut
        "x" * 4090 + f" password={SECRET}",  # the cut falls between key and value
        "x" * 4094 + f"pwd={SECRET}",  # the key itself is cut
        "x" * 4060 + f" Authorization: Bearer {SECRET}",
    ],
    ids=["url-at-after-cut", "value-after-cut", "key-cut", "bearer-after-cut"],
)
def test_long_text_is_redacted_before_it_is_cut(app, logs, text: str) -> None:
    log.warning(text)
    log.warning("field", extra={"note": text, "nested": {"n": text}})
    assert_no_secret(logs)


def test_long_exception_and_stack_text_are_redacted_before_the_head_is_cut(app, logs) -> None:
    """Exception text keeps its end; a key just before the cut still hides its value."""
    message = f"password={SECRET} " + "y" * 16_380
    try:
        raise ValueError(message)
    except ValueError:
        log.exception("failed")
    log.warning("stack", stack_info=True, extra={"note": "z"})
    event = logs.one("failed", assert_no_secret(logs))
    assert event["exc"].startswith("[truncated ")
    assert len(event["exc"]) < 16_500


def test_long_path_and_user_id_are_redacted_before_they_are_cut(app, logs) -> None:
    from my_service.observability import set_user_context

    client = app.test_client()

    @app.get("/u/<path:rest>")
    def user_route(rest: str):
        set_user_context("u" * 220 + f" postgres://app:{SECRET}@db/x")  # the "@" falls after the 256th character
        log.info("in_route")
        return {"ok": True}

    client.get("/u/" + "p" * 2040 + f"/password={SECRET}")
    event = logs.one("in_route", assert_no_secret(logs))
    assert len(event["path"]) < 2100


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://h/geo?email=a@b.com&key={SECRET}", "https://h/geo"),
        (f"//user:{SECRET}@db/x", "//db/x"),
        (f"user:{SECRET}@db:5432/app", "db:5432/app"),
        (f"https://user:{SECRET}@host/x?email=a@b.com", "https://host/x"),
        (f"https://[::1]:8443/p?token={SECRET}", "https://[::1]:8443/p"),
        ("http://billing.internal/charge", "http://billing.internal/charge"),
    ],
)
def test_dependency_urls_are_parsed_not_cut_at_the_last_at(url: str, expected: str) -> None:
    assert safe_url(url) == expected
    redacted = Redactor().url(url)
    assert SECRET not in redacted
    assert "h/geo" not in url or "email=a%40b.com" in redacted  # the query's @ is not userinfo


def test_dependency_call_logs_scheme_host_and_path_only(app, logs) -> None:
    from my_service.observability import track_dependency

    with track_dependency("geo", "GET", f"https://h/geo?email=a@b.com&key={SECRET}"):
        pass
    event = logs.one("dependency_call", assert_no_secret(logs))
    assert event["url"] == "https://h/geo"


@pytest.mark.parametrize(
    "line",
    [
        f'Cookie: sid="{SECRET}"; theme=dark',
        f"Set-Cookie: sid={SECRET}; Path=/; HttpOnly",
        f'Authorization: Digest username="u", realm="r", response="{SECRET}"',
        f"Proxy-Authorization: Basic {SECRET}",
    ],
)
def test_whole_header_lines_are_hidden(line: str) -> None:
    redacted = Redactor().text(f"request headers:\n{line}\nAccept: */*")
    assert SECRET not in redacted
    assert redacted.endswith("\nAccept: */*")


def test_named_tuples_and_rows_keep_their_field_names(app, logs) -> None:
    import collections
    import sqlite3
    import typing

    Row = collections.namedtuple("Row", "user password")

    class Account(typing.NamedTuple):
        user: str
        api_key: str

    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    row = connection.execute("select 'ann' as user, ? as secret", (SECRET,)).fetchone()
    connection.close()
    log.info("rows", extra={"row": Row("ann", SECRET), "account": Account("ann", SECRET), "db": row})
    event = logs.one("rows", assert_no_secret(logs))
    assert event["row"] == {"user": "ann", "password": REDACTED}
    assert event["account"] == {"user": "ann", "api_key": REDACTED}
    assert event["db"] == {"user": "ann", "secret": REDACTED}


@pytest.mark.parametrize(
    "key", ["cardnumber", "privatekey", "accesskey", "authkey", "CARDNUMBER", "PRIVATEKEY", "ACCESS_KEY", "AUTHKEY"]
)
def test_structured_keys_without_separators_are_sensitive(app, logs, key: str) -> None:
    log.info("keys", extra={"top_" + key: SECRET, "data": {key: SECRET}})
    event = logs.one("keys", assert_no_secret(logs))
    assert event["data"] == {key: REDACTED}


def test_top_level_extra_keys_are_redacted_and_bounded(app, logs) -> None:
    log.info("odd keys", extra={f"Bearer {SECRET}": 1, f"password={SECRET}": 2, "k" * 2_000_000: 3})
    assert_no_secret(logs)
    (line,) = logs.raw
    assert len(line) < 2_000


@pytest.mark.parametrize(
    "text",
    [
        f'password="pa\\"{SECRET}"',
        f"password=abc,{SECRET}",
        f"password=abc;{SECRET}",
        f"password=abc&{SECRET}",
        f"password=abc){SECRET}",
        f"password=abc<{SECRET}",
        f"passphrase=correct horse {SECRET}",
        f"card_number=4111 1111 1111 {SECRET}",
        f'<password type="plain">{SECRET}</password>',
        f"<password><![CDATA[{SECRET}]]></password>",
        f"db:\n  password: |\n    {SECRET}\n    more\n  user: ann",
        f"x.api.key={SECRET}",
        f"client.secret: {SECRET}",
        f'password="{SECRET[:8]}\n{SECRET[8:]}" retried',
        f"password:\n    {SECRET}",
        f"password = '{SECRET}'",
        f"PASSWORD := {SECRET}",
        # A key among an XML tag's attributes, whose own value the tag's hides after them.
        f'<ns:token a="1" password={SECRET}>v</ns:token>',
        # Text that only looks like a tag (":Token ... =>" read as <ns:token ...>), found by the
        # fuzzer: the key on the middle line lay between the "tag" and its hidden value.
        f" password:Token {SECRET}\n password={SECRET}\n password=>{SECRET}",
    ],
    ids=[
        "escaped-quote", "comma", "semicolon", "ampersand", "paren", "angle", "passphrase", "card-spaces",
        "xml-attributes", "cdata", "yaml-block", "dotted-key", "dotted-colon", "split-quoted", "next-line",
        "spaced", "walrus", "key-among-xml-attributes", "lines-read-as-a-tag",
    ],
)  # fmt: skip
def test_value_shapes_in_free_text(text: str) -> None:
    redacted = Redactor().text(text)
    assert SECRET not in redacted
    assert SECRET[:8] not in redacted
    assert SECRET[8:] not in redacted


def test_bare_values_stop_where_the_next_field_clearly_starts() -> None:
    redactor = Redactor()
    assert redactor.text(f"password={SECRET} user=ann") == "password=[REDACTED] user=ann"
    assert redactor.text('{"password":' + SECRET + ',"user":"ann"}') == '{"password":[REDACTED],"user":"ann"}'
    assert redactor.text(f"(password={SECRET})") == "(password=[REDACTED])"


@pytest.mark.parametrize("token", ["abc", "ab", "a1b2c3d", SECRET[:7]])
def test_short_or_cut_bearer_tokens_are_hidden_whole(token: str) -> None:
    for text in (f"Bearer {token}", f"sent bearer {token} upstream", "x" * 4090 + f" Bearer {token}"):
        assert token not in Redactor().text(text)[-30:]


@pytest.mark.parametrize(
    "text",
    [
        f"GET /cb?code={SECRET}&state=1 HTTP/1.1",
        f"GET /maps?key[]={SECRET} HTTP/1.1",
        f"/x?sig = {SECRET}",
        f"/files?a=1&SID={SECRET}",
        f"auth={SECRET}&next=/",
    ],
)
def test_credential_query_names_in_free_text(text: str) -> None:
    assert SECRET not in Redactor().text(text)


def test_decorated_query_names_are_redacted_when_parsed() -> None:
    query = {"key[]": ["k"], "code ": ["c"], "Sig": ["s"], "page": ["2"]}
    assert Redactor().query(query) == {"key[]": REDACTED, "code ": REDACTED, "Sig": REDACTED, "page": ["2"]}


def test_every_kind_of_content_is_bounded(app, logs) -> None:
    """Long keys and huge integers count against a value's budget like strings do."""
    log.info("ints", extra={"v": [[10**4000] * 50] * 49, "i": 10**4000})
    log.info("keys", extra={"v": {("k" * 300) + str(i): i for i in range(5000)}})
    log.info("body", extra={"v": [{"k" * 250 + str(i): "v" * 300 for i in range(50)} for _ in range(50)]})
    logs.read()
    assert len(logs.raw) == 3
    assert all(len(line) < 90_000 for line in logs.raw)


def test_non_finite_numbers_are_strings_in_both_formats(app, logs) -> None:
    log.info("floats", extra={"a": float("nan"), "b": float("inf"), "c": "-Infinity", "d": {"e": float("-inf")}})
    (event,) = logs.events("floats")
    assert (event["a"], event["b"], event["c"], event["d"]) == ("nan", "inf", "-Infinity", {"e": "-inf"})
    for bare in (" a=nan", " b=inf", " c=-Infinity"):
        assert bare not in logs.raw[-1]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorns_invalid_request_line_keeps_query_secrets_out(log_format: str) -> None:
    """gunicorn logs a malformed request line raw; its query credentials are redacted."""
    with gunicorn(LOG_FORMAT=log_format, WEB_CONCURRENCY="1") as server:
        host, port = urllib.parse.urlsplit(server.url).hostname, urllib.parse.urlsplit(server.url).port
        for line in (
            f"GET /cb?code={SECRET}&key[]={SECRET}",  # no version: logged as an invalid request line
            f"GET  /cb?state=1&sig={SECRET} HTTP/1.1",
            f"GET /x?auth={SECRET}\x01 HTTP/1.1",
            f"GET /x?password={SECRET}",
        ):
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.sendall(line.encode("latin-1") + b"\r\nHost: x\r\n\r\n")
                sock.recv(4096)
    invalid = [parse_line(line) for line in server.lines if "Invalid HTTP request line" in line]
    assert len(invalid) == 4, server.lines  # gunicorn logged each raw line
    assert all(SECRET not in line for line in server.lines + server.stderr.split("\n"))


def test_keys_on_lines_an_unclosed_value_hid_are_still_read() -> None:
    """An unclosed bracket hides up to 256 characters past its line; a key on a later line
    inside that stretch still has its own value read, which may run further (found by the
    fuzzer: the end of a YAML block survived)."""
    text = (
        " password={\"inne\n;;;; password_value=[';;', 'x'];;;;\n"
        f'Authorization: Digest username="u", response="{SECRET}"\n'
        f"config:\n  password: |\n    {SECRET * 20}\n  user: ann"  # the block runs past the 256
    )
    redacted = Redactor().text(text)
    assert SECRET[:8] not in redacted
    assert SECRET[-8:] not in redacted
    assert redacted.endswith("\n  user: ann")  # the block's end is where hiding stops
