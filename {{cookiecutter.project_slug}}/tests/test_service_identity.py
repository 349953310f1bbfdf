"""Service identity and LOG_SCHEMA settings: validated once at start-up, on every line after.

SERVICE_NAME (default: the project slug), SERVICE_VERSION and DEPLOY_ENV put ``service``,
``version`` and ``env`` on every line (the last two only when set); LOG_SCHEMA picks the JSON
layout and is refused with the text format; GOOGLE_CLOUD_PROJECT is required by gcp.
"""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }}.config import DEFAULT_SERVICE_NAME, ConfigError, load_settings
from {{ cookiecutter.package_name }}.observability.formatting import BASE_FIELDS

from gunicorn_helpers import ENTRY_POINTS, start_up

BASE = {"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": "json"}
CLEARED = ("SERVICE_NAME", "SERVICE_VERSION", "DEPLOY_ENV", "LOG_SCHEMA", "GOOGLE_CLOUD_PROJECT")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)


def test_identity_defaults_to_the_project_slug_and_nothing_else() -> None:
    settings = load_settings(BASE)
    assert settings.service_name == DEFAULT_SERVICE_NAME == "{{ cookiecutter.project_slug }}"
    assert (settings.service_version, settings.deploy_env, settings.log_schema) == ("", "", "native")


def test_identity_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_NAME", "orders")
    monkeypatch.setenv("SERVICE_VERSION", "1.4.2+build.7")
    monkeypatch.setenv("DEPLOY_ENV", "prod-eu")
    settings = load_settings(BASE)
    assert (settings.service_name, settings.service_version, settings.deploy_env) == (
        "orders",
        "1.4.2+build.7",
        "prod-eu",
    )
    # Empty is unset: SERVICE_NAME= in a .env falls back to the slug.
    assert load_settings({**BASE, "SERVICE_NAME": "", "SERVICE_VERSION": ""}).service_name == DEFAULT_SERVICE_NAME


@pytest.mark.parametrize("name", ["SERVICE_NAME", "SERVICE_VERSION", "DEPLOY_ENV"])
@pytest.mark.parametrize("value", ["two words", "-leading", "x" * 101, "caf\u00e9", 'quote"d', "a\tb"])
def test_bad_identity_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, name: value})
    assert str(caught.value).startswith(f"{name}={value!r} is not valid; accepted: 1 to 100 characters of A-Za-z0-9")


@pytest.mark.parametrize("schema", ["native", "ecs", "gcp", "datadog", " ECS "])
def test_schemas_are_accepted_with_json(schema: str) -> None:
    settings = load_settings({**BASE, "LOG_SCHEMA": schema, "GOOGLE_CLOUD_PROJECT": "my-project-123"})
    assert settings.log_schema == schema.strip().lower()


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^LOG_SCHEMA='otel' is not valid; accepted: native, ecs, gcp, datadog$"):
        load_settings({**BASE, "LOG_SCHEMA": "otel"})


def test_a_schema_with_the_text_format_is_refused() -> None:
    """The schemas are JSON layouts: asking for one with text is a mistake, not ignored."""
    assert load_settings({**BASE, "LOG_FORMAT": "text", "LOG_SCHEMA": "native"}).log_schema == "native"
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "LOG_FORMAT": "text", "LOG_SCHEMA": "ecs"})
    assert str(caught.value) == (
        "LOG_SCHEMA='ecs' is not valid (schemas are JSON layouts; LOG_FORMAT is text); "
        "accepted: native (or set LOG_FORMAT=json)"
    )


@pytest.mark.parametrize("project", ["", "My_Project", "ab", "1project", "x" * 31, "p/../x"])
def test_gcp_needs_a_google_cloud_project(project: str) -> None:
    with pytest.raises(ConfigError, match=r"^GOOGLE_CLOUD_PROJECT=.* accepted: a Google Cloud project ID"):
        load_settings({**BASE, "LOG_SCHEMA": "gcp", "GOOGLE_CLOUD_PROJECT": project})
    # Other schemas leave it alone (Google's libraries read it too).
    assert load_settings({**BASE, "LOG_SCHEMA": "ecs", "GOOGLE_CLOUD_PROJECT": project}).gcp_project == project.strip()


def test_domain_scoped_projects_are_accepted() -> None:
    settings = load_settings({**BASE, "LOG_SCHEMA": "gcp", "GOOGLE_CLOUD_PROJECT": "example.com:my-project"})
    assert settings.gcp_project == "example.com:my-project"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("env", "start"),
    [
        ({"LOG_FORMAT": "text", "LOG_SCHEMA": "datadog"}, "CRITICAL config: LOG_SCHEMA='datadog' is not valid"),
        ({"LOG_SCHEMA": "gcp", "GOOGLE_CLOUD_PROJECT": ""}, "CRITICAL config: GOOGLE_CLOUD_PROJECT='' is not valid"),
        ({"SERVICE_NAME": "my service"}, "CRITICAL config: SERVICE_NAME='my service' is not valid"),
    ],
    ids=["schema-with-text", "gcp-without-project", "bad-service-name"],
)
def test_start_up_refuses_with_one_critical_line(entry: str, env: dict[str, str], start: str) -> None:
    result = start_up(entry, **{"LOG_FORMAT": "json", **env})
    assert result.returncode == 4, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(start)


def test_identity_fields_cannot_be_forged_through_extra() -> None:
    assert {"service", "version", "env", "trace_id", "span_id"} <= BASE_FIELDS


@pytest.fixture
def identity_app(make_app, log_format: str):
    def make(**overrides: str):
        return make_app(**overrides)

    return make


def test_every_line_carries_the_service(identity_app, logs) -> None:
    import logging

    app = identity_app(LOG_LEVEL="DEBUG")
    app.test_client().get("/health")
    logging.getLogger("app").info("outside a request", extra={"service": "forged", "version": "v9"})
    records = logs.read()
    assert len(records) >= 3
    assert {record["service"] for record in records} == {"{{ cookiecutter.project_slug }}"}
    assert not any("version" in record or "env" in record for record in records)  # not set: not written
    outside = logs.one("outside a request", records)
    assert (outside["extra_service"], outside["extra_version"]) == ("forged", "v9")


def test_version_and_env_appear_when_set(identity_app, logs) -> None:
    app = identity_app(SERVICE_NAME="orders", SERVICE_VERSION="2.0.1", DEPLOY_ENV="staging")
    app.test_client().get("/health")
    summary = logs.one("request_completed")
    assert (summary["service"], summary["version"], summary["env"]) == ("orders", "2.0.1", "staging")
    assert list(summary)[4:11] == ["request_id", "user_id", "method", "path", "service", "version", "env"]


def test_the_default_summary_stays_small(make_app, logs, log_format: str) -> None:
    """The default configuration's request summary, with service added, is at most 300 bytes
    (a generated 32-character request ID; /health's 16-byte JSON body)."""
    make_app().test_client().get("/health")
    logs.read()
    (line,) = [raw for raw in logs.raw if "request_completed" in raw]
    print(f"{log_format} request_completed: {len(line.encode())} bytes: {line}")
    assert len(line.encode()) <= 300
    if log_format == "json":
        assert json.loads(line)["service"] == "{{ cookiecutter.project_slug }}"
