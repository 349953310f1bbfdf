"""Sentry (the ``sentry`` extra): what leaves the process is redacted, tagged and sent once.

Envelopes are captured by an in-process transport: nothing goes over the network. Secrets
are planted in every place an event can carry one (headers, cookies, query string, request
body, exception message, local variables, log extras, breadcrumbs and URLs), in a handled
and an unhandled error, with transactions and Sentry logs on, and none may arrive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.observability import sentry as sentry_module

from gunicorn_helpers import BASE_OVERRIDES

sentry_sdk = pytest.importorskip("sentry_sdk", reason='the sentry extra is not installed: pip install -e ".[sentry]"')
from sentry_sdk.transport import Transport  # noqa: E402 - only with the extra

DSN = "https://publickey@o0.ingest.sentry.io/1"
# One secret per place it is planted; none is a substring of another.
SECRETS = {
    place: f"Zx{n}Qv7Lp{place[:3]}"
    for n, place in enumerate(
        (
            "header",
            "bearer",
            "cookie",
            "query_token",
            "query_key",
            "body",
            "body_text",
            "exception",
            "local",
            "local_dict",
            "url_password",
            "url_sig",
            "log_extra",
            "log_text",
        )
    )
}


class CapturingTransport(Transport):  # type: ignore[misc]
    """Keeps every envelope in memory instead of sending it."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.envelopes.append(envelope)

    def items(self, kind: str) -> list[dict[str, Any]]:
        return [
            json.loads(item.payload.get_bytes())
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == kind
        ]

    def raw(self) -> str:
        return "\n".join(envelope.serialize().decode("utf-8", "replace") for envelope in self.envelopes)


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> Iterator[CapturingTransport]:
    capture = CapturingTransport()
    original = sentry_module.sdk_options

    def with_capture(settings: Any, redactor: Any) -> dict[str, Any]:
        return {**original(settings, redactor), "transport": capture, "enable_logs": True}

    monkeypatch.setattr(sentry_module, "sdk_options", with_capture)
    yield capture
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # inactive again for the tests that follow


def planted_app(**overrides: object) -> Flask:
    app = create_app(
        {
            **BASE_OVERRIDES,
            "SENTRY_DSN": DSN,
            "SENTRY_TRACES_SAMPLE_RATE": "1",
            "DEPLOY_ENV": "staging",
            "SERVICE_VERSION": "1.4.2",
            **overrides,
        }
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    log = logging.getLogger("tests.sentry")

    def fail() -> None:
        client_secret = SECRETS["local"]  # a local variable Sentry snapshots  # noqa: F841
        settings = {"passwd": SECRETS["local_dict"], "region": "eu"}  # noqa: F841
        sentry_sdk.add_breadcrumb(
            category="http",
            message=f"GET https://u:{SECRETS['url_password']}@api.example.com/x?sig={SECRETS['url_sig']}",
            data={"url": f"https://u:{SECRETS['url_password']}@api.example.com/x?sig={SECRETS['url_sig']}"},
        )
        log.info(
            "calling_partner",
            extra={"partner_secret": SECRETS["log_extra"], "detail": f"token={SECRETS['log_text']}"},
        )
        raise RuntimeError(f"login failed: password={SECRETS['exception']}")

    @app.post("/unhandled")
    def unhandled() -> None:
        request.get_json()
        fail()

    @app.post("/handled")
    def handled() -> tuple[dict[str, bool], int]:
        request.get_json()
        try:
            fail()
        except RuntimeError:
            log.exception("charge_failed")
        return {"ok": False}, 502

    return app


def send(app: Flask, path: str, **headers: str) -> Any:
    return app.test_client().post(
        f"{path}?token={SECRETS['query_token']}&key={SECRETS['query_key']}&q=fine",
        json={"password": SECRETS["body"], "note": f"password={SECRETS['body_text']}", "item": "book"},
        headers={
            "X-Request-ID": "sentry-req-1",
            "X-Api-Key": SECRETS["header"],
            "Authorization": f"Bearer {SECRETS['bearer']}",
            "Cookie": f"sid={SECRETS['cookie']}",
            **headers,
        },
    )


@pytest.mark.parametrize(
    ("path", "status", "message"), [("/unhandled", 500, "unhandled_exception"), ("/handled", 502, "charge_failed")]
)
def test_no_planted_secret_reaches_sentry(transport: CapturingTransport, path: str, status: int, message: str) -> None:
    app = planted_app()
    response = send(app, path, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    assert response.status_code == status
    sentry_sdk.flush()

    raw = transport.raw()
    leaked = [place for place, secret in SECRETS.items() if secret in raw]
    assert leaked == [], raw

    # Scrubbed, not dropped: the event still says what happened, and where.
    (event,) = transport.items("event")  # reported once
    assert event["level"] == "error"
    assert event["logentry"]["message"] == message
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "login failed: password=" in event["exception"]["values"][-1]["value"]
    assert not sentry_sdk.get_client().should_send_default_pii()
    assert event["environment"] == "staging"
    assert event["release"] == "1.4.2"
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert event["tags"]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    local_vars = next(frame["vars"] for frame in frames if frame["function"] == "fail")
    assert local_vars["client_secret"] == "[REDACTED]"
    assert local_vars["settings"] == {"passwd": "[REDACTED]", "region": "'eu'"}
    assert "q=fine" in event["request"]["query_string"]
    crumbs = [crumb.get("message") for crumb in event["breadcrumbs"]["values"]]
    assert "calling_partner" in crumbs

    (transaction,) = transport.items("transaction")
    assert transaction["transaction"] == path
    assert transaction["tags"]["request_id"] == "sentry-req-1"
    assert transport.items("log"), "Sentry logs were on: the log records arrived, redacted"


def test_an_unhandled_error_outside_a_traced_request_is_tagged_with_its_request(transport: CapturingTransport) -> None:
    app = planted_app()
    send(app, "/unhandled")
    (event,) = transport.items("event")
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert "trace_id" not in event["tags"]


def test_sentry_is_off_without_a_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentry_sdk, "init", pytest.fail)
    app = create_app({**BASE_OVERRIDES, "SENTRY_TRACES_SAMPLE_RATE": "0.5"})
    assert app.config["SETTINGS"].sentry is None
    assert not sentry_sdk.get_client().is_active()


def test_a_bad_dsn_is_refused_without_echoing_it() -> None:
    from {{ cookiecutter.package_name }}.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as refused:
        load_settings({**BASE_OVERRIDES, "SENTRY_DSN": "not a dsn with secretvalue"})
    assert "SENTRY_DSN='<hidden>' is not valid" in refused.value.message
    assert "secretvalue" not in refused.value.message


def test_scrubber_redacts_by_key_text_and_url() -> None:
    from {{ cookiecutter.package_name }}.observability.redaction import Redactor

    scrub = sentry_module.EventScrubber(Redactor()).scrub
    scrubbed: Callable[[object], Any] = scrub
    assert scrubbed({"headers": {"X-Auth-Token": "abc", "Accept": "x"}}) == {
        "headers": {"X-Auth-Token": "[REDACTED]", "Accept": "x"}
    }
    assert "hunter2" not in json.dumps(scrubbed({"message": "db password=hunter2 failed"}))
    assert "hunter2" not in json.dumps(scrubbed({"url": "https://ann:hunter2@db.example.com/x"}))
    assert "hunter2" not in json.dumps(scrubbed({"query_string": "key=hunter2&page=2"}))
    assert "page=2" in json.dumps(scrubbed({"query_string": "key=hunter2&page=2"}))
