"""Secrets never reach a line: extras, messages, exceptions, headers, query strings, URLs."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.observability.redaction import REDACTED, Redactor, safe_url

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


def test_key_value_fast_path_agrees_with_a_full_regex_pass() -> None:
    """The fast path (find each key spelling, then match there) redacts exactly what one
    regex pass over the whole text does."""
    from {{ cookiecutter.package_name }}.observability.redaction import _redact_match

    redactor = Redactor()
    samples = [
        f"api_key_token={SECRET}&x=1 password: '{SECRET}' Session-Id={SECRET}",
        json.dumps({"clientSecret": SECRET, "user": "ann", "X-Auth-Token": SECRET}),
        f"\u0130stanbul password={SECRET}",  # lower-casing changes the length: fallback path
        "nothing to see here",
    ]
    for sample in samples:
        full_pass = redactor._key_value.sub(_redact_match, sample)
        assert redactor.text(sample) == full_pass
        assert SECRET not in full_pass


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
