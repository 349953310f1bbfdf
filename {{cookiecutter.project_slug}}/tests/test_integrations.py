"""The optional integrations: off unless configured, and configured without their extra, a
start-up refusal in one CRITICAL line that names the extra to install.

"Not installed" is simulated by hiding the extra's module (``sys.modules[name] = None``), so
these tests run the same with or without the extras.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, load_settings

from gunicorn_helpers import PACKAGE, PROJECT_ROOT, TEST_SETTINGS, service_env

OTEL_OFF = "unset or none (off)"
# (extra, the setting that turns it on, how the refusal shows the value, the module hidden,
# the value that turns it off)
INTEGRATIONS = [
    (
        "sentry",
        {"SENTRY_DSN": "https://publickey@o0.ingest.sentry.io/1"},
        "SENTRY_DSN='<hidden>'",
        "sentry_sdk",
        "empty (off)",
    ),
    ("metrics", {"METRICS_ENABLED": "true"}, "METRICS_ENABLED='true'", "prometheus_client", "false (off)"),
    ("otel", {"OTEL_TRACES_EXPORTER": "otlp"}, "OTEL_TRACES_EXPORTER='otlp'", "opentelemetry.sdk", OTEL_OFF),
    (
        "otel",
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:key@collector:4318"},
        "OTEL_EXPORTER_OTLP_ENDPOINT='<hidden>'",
        "opentelemetry.sdk",
        OTEL_OFF,
    ),
]
PARAMETERS = ("extra", "env", "shown", "module", "off")


def refusal_line(extra: str, shown: str, module: str, off: str = "empty (off)") -> str:
    return (
        f"{shown} is not valid (it needs the {extra} extra; {module} is not installed); "
        f'accepted: {off}, or install the extra: pip install "{{ cookiecutter.project_slug }}[{extra}]"'
    )


@pytest.mark.parametrize(PARAMETERS, INTEGRATIONS)
def test_configured_without_its_extra_is_refused_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, extra: str, env: dict[str, str], shown: str, module: str, off: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError) as refused:
        load_settings({**TEST_SETTINGS, **env})
    assert refused.value.message == refusal_line(extra, shown, module, off)


@pytest.mark.parametrize(PARAMETERS, INTEGRATIONS)
def test_gunicorn_stops_with_one_critical_line_when_the_extra_is_missing(
    extra: str, env: dict[str, str], shown: str, module: str, off: str
) -> None:
    hide_and_run = (
        f"import sys; sys.modules[{module!r}] = None; "
        "from gunicorn.app.wsgiapp import run; "
        f"sys.argv = ['gunicorn', '{PACKAGE}.wsgi:app']; run()"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_and_run],
        cwd=PROJECT_ROOT,
        env=service_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4, result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"CRITICAL config: {refusal_line(extra, shown, module, off)}"]


def test_every_integration_is_off_by_default() -> None:
    settings = load_settings(TEST_SETTINGS)
    assert settings.sentry is None
    assert settings.metrics is None
    assert settings.otel is None


def test_an_integration_that_is_off_is_never_imported_and_adds_no_hook() -> None:
    """Off costs nothing per request: no integration library loaded, no observer or trace
    hook on the request path (in a fresh interpreter, whatever extras are installed)."""
    libraries = ("sentry_sdk", "prometheus_client", "opentelemetry.sdk", "opentelemetry.trace")
    # (sentry.py and metrics.py hold their settings' parsers too, and import no library.)
    ours = tuple(f"{PACKAGE}.observability.otel.{name}" for name in ("providers", "spans", "export"))
    check = (
        f"import sys; from {PACKAGE} import create_app; app = create_app(); "
        "app.test_client().get('/health'); "
        "middleware = app.extensions['request_logging']; "
        f"loaded = sorted(m for m in sys.modules if m.startswith({libraries + ours!r})); "
        "print(loaded, middleware.observers, middleware.start_trace)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=PROJECT_ROOT,
        env=service_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[] () None"
