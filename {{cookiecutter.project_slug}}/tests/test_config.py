"""Settings: defaults, priority of sources, and clear refusals of bad values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.config import DEFAULT_LOG_FORMAT, ConfigError, exit_on_config_error, load_settings

BASE = {"ENV_FILE": ""}


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOG_LEVEL", "LOG_FORMAT", "LOG_LEVELS", "SLOW_REQUEST_MS", "DEBUG_LOG_TOKEN", "LOG_SAMPLE_RATE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(BASE)
    assert settings.log_level == "INFO"
    assert settings.log_format == DEFAULT_LOG_FORMAT == "{{ cookiecutter.log_format }}"
    assert settings.slow_request_ms == 1000
    assert settings.debug_log_token == ""
    assert settings.log_sample_rate == 0
    assert not settings.per_request_debug_possible


def test_overrides_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    assert load_settings(BASE).log_level == "ERROR"
    assert load_settings({**BASE, "LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_dotenv_file_is_read_and_environment_wins(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=WARNING\nSLOW_REQUEST_MS=250\n")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("SLOW_REQUEST_MS", "900")
    settings = load_settings({"ENV_FILE": str(env_file)})
    assert settings.log_level == "WARNING"
    assert settings.slow_request_ms == 900


def test_logger_levels_are_parsed() -> None:
    settings = load_settings({**BASE, "LOG_LEVELS": "deps=debug, werkzeug=WARNING"})
    assert dict(settings.log_levels) == {"deps": "DEBUG", "werkzeug": "WARNING"}


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("LOG_FORMAT", "xml", "json, text"),
        ("LOG_LEVELS", "deps", "logger=LEVEL"),
        ("LOG_LEVELS", "deps=NOISY", "logger=LEVEL"),
        ("SLOW_REQUEST_MS", "-5", "a number >= 0"),
        ("SLOW_REQUEST_MS", "fast", "a number >= 0"),
        ("LOG_SAMPLE_RATE", "1.5", "a number from 0 to 1"),
        ("LOG_SAMPLE_RATE", "nan", "a number from 0 to 1"),
        ("TESTING", "maybe", "true"),
        ("LOG_REDACT_KEYS", "ssn,a b", "key fragments"),
        ("LOG_LEVELS", "root=DEBUG", "LOG_LEVEL"),
    ],
)
def test_bad_values_are_refused_naming_variable_and_accepted_values(name: str, value: str, accepted: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not valid")
    assert accepted in message


@pytest.mark.parametrize("token", ["short", "t\u00f6ken-with-umlaut-1234", "token with spaces 123"])
def test_debug_token_must_be_long_ascii_and_is_never_echoed(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "DEBUG_LOG_TOKEN": token})
    assert "DEBUG_LOG_TOKEN" in str(caught.value)
    assert token not in str(caught.value)


def test_exit_on_config_error_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        exit_on_config_error(lambda: load_settings({**BASE, "LOG_LEVEL": "LOUD"}))
    assert caught.value.code == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("CRITICAL config: LOG_LEVEL='LOUD' is not valid; accepted: DEBUG")


@pytest.mark.parametrize(
    "command",
    [
        ["-c", "import {{ cookiecutter.package_name }}.wsgi"],
        ["-m", "flask", "--app", "{{ cookiecutter.package_name }}", "run", "--port", "1"],
    ],
    ids=["wsgi", "flask-run"],
)
def test_start_up_with_bad_value_fails_with_one_line(command: list[str]) -> None:
    env = {**os.environ, "LOG_LEVEL": "LOUD", "ENV_FILE": ""}
    result = subprocess.run(
        [sys.executable, *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "CRITICAL config: LOG_LEVEL='LOUD' is not valid; accepted: DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
