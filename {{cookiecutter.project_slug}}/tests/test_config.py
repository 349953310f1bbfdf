"""Settings: defaults, priority of sources, and clear refusals of bad values."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    exit_on_config_error,
    load_settings,
    parse_host,
    parse_int,
    parse_number,
)

from gunicorn_helpers import ENTRY_POINTS, TEST_SETTINGS, refusal

# .env files a service must refuse in one line: (content, what the message says is wrong).
NON_UTF8_ENV_FILES = {
    "utf-16": ("LOG_LEVEL=WARNING\n".encode("utf-16"), "UTF-16 byte-order mark"),  # Windows "Unicode"
    "utf-16-no-bom": ("LOG_LEVEL=WARNING\n".encode("utf-16-le"), "NUL bytes"),
    "latin-1": ("LOG_LEVEL=WARNING\nOWNER=caf\u00e9\n".encode("latin-1"), "byte 0xe9 at offset 27"),
}


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOG_LEVEL", "LOG_FORMAT", "LOG_LEVELS", "SLOW_REQUEST_MS", "DEBUG_LOG_TOKEN", "LOG_SAMPLE_RATE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(TEST_SETTINGS)
    assert settings.log_level == "INFO"
    assert settings.log_format == "{{ cookiecutter.log_format }}"  # the answer given at generation
    assert settings.slow_request_ms == 1000
    assert settings.debug_log_token == ""
    assert settings.log_sample_rate == 0
    assert not settings.per_request_debug_possible


def test_overrides_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    assert load_settings(TEST_SETTINGS).log_level == "ERROR"
    assert load_settings({**TEST_SETTINGS, "LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_dotenv_file_is_read_and_environment_wins(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=WARNING\nSLOW_REQUEST_MS=250\n")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("SLOW_REQUEST_MS", "900")
    settings = load_settings({**TEST_SETTINGS, "ENV_FILE": str(env_file)})
    assert settings.log_level == "WARNING"
    assert settings.slow_request_ms == 900


def test_logger_levels_are_parsed() -> None:
    settings = load_settings({**TEST_SETTINGS, "LOG_LEVELS": "deps=debug, werkzeug=WARNING"})
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
        load_settings({**TEST_SETTINGS, name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not valid")
    assert accepted in message


@pytest.mark.parametrize("token", ["short", "t\u00f6ken-with-umlaut-1234", "token with spaces 123"])
def test_debug_token_must_be_long_ascii_and_is_never_echoed(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SETTINGS, "DEBUG_LOG_TOKEN": token})
    assert "DEBUG_LOG_TOKEN" in str(caught.value)
    assert token not in str(caught.value)


def test_exit_on_config_error_prints_one_line_and_exits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        exit_on_config_error(lambda: load_settings({**TEST_SETTINGS, "LOG_LEVEL": "LOUD"}))
    assert caught.value.code == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("CRITICAL config: LOG_LEVEL='LOUD' is not valid; accepted: DEBUG")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_start_up_with_bad_value_fails_with_one_line(entry: str) -> None:
    assert refusal(entry, LOG_LEVEL="LOUD") == (
        "CRITICAL config: LOG_LEVEL='LOUD' is not valid; accepted: DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )


@pytest.mark.parametrize("kind", NON_UTF8_ENV_FILES)
def test_env_file_that_is_not_utf8_is_refused_naming_env_file(kind: str, tmp_path: Path) -> None:
    content, problem = NON_UTF8_ENV_FILES[kind]
    env_file = tmp_path / ".env"
    env_file.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SETTINGS, "ENV_FILE": str(env_file)})
    message = str(caught.value)
    assert message.startswith(f"ENV_FILE={str(env_file)!r} is not valid (")
    assert problem in message


def test_env_file_with_a_utf8_byte_order_mark_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_bytes(codecs.BOM_UTF8 + b"LOG_LEVEL=WARNING\n")
    assert load_settings({**TEST_SETTINGS, "ENV_FILE": str(env_file)}).log_level == "WARNING"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("kind", ["utf-16", "latin-1"])
def test_non_utf8_env_file_stops_start_up_with_one_line(kind: str, entry: str, tmp_path: Path) -> None:
    env_file = tmp_path / "service.env"
    env_file.write_bytes(NON_UTF8_ENV_FILES[kind][0])
    line = refusal(entry, ENV_FILE=str(env_file))
    assert line.startswith(f"CRITICAL config: ENV_FILE={str(env_file)!r} is not valid (")


def test_flask_run_told_to_skip_dotenv_leaves_the_default_env_file_to_the_service(tmp_path: Path) -> None:
    """The README's way round ``flask`` loading ./.env itself: with FLASK_SKIP_DOTENV=1 the
    service reads the default .env (ENV_FILE unset) and refuses a bad one in its one line."""
    (tmp_path / ".env").write_bytes(NON_UTF8_ENV_FILES["utf-16"][0])
    assert refusal("flask-run", tmp_path, ENV_FILE=None, FLASK_SKIP_DOTENV="1") == (
        "CRITICAL config: ENV_FILE='.env' is not valid (it starts with a UTF-16 byte-order mark; save it as UTF-8); "
        "accepted: a UTF-8 dotenv file, or empty to read none"
    )


@pytest.mark.parametrize(
    ("kind", "problem"), [("missing", "no such file"), ("directory", "a directory"), ("device", "not a regular file")]
)
def test_named_env_file_that_is_missing_or_not_a_file_is_refused(kind: str, problem: str, tmp_path: Path) -> None:
    path = {"missing": str(tmp_path / "typo.env"), "directory": str(tmp_path), "device": os.devnull}[kind]
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SETTINGS, "ENV_FILE": path})
    assert str(caught.value).startswith(f"ENV_FILE={path!r} is not valid ({problem})")


def test_default_env_file_may_be_missing_but_not_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE", raising=False)
    load_settings({"LOG_FILE": ""})  # no .env here: nothing to read, no error
    (tmp_path / ".env").mkdir()
    with pytest.raises(ConfigError, match=r"^ENV_FILE='\.env' is not valid \(a directory\)"):
        load_settings({"LOG_FILE": ""})


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e999", "nan"])
def test_numbers_must_be_finite(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^SLOW_REQUEST_MS=.* accepted: a number >= 0$"):
        load_settings({**TEST_SETTINGS, "SLOW_REQUEST_MS": value})


@pytest.mark.parametrize("value", ["\u0661\u0662", "\uff18\uff10", "1_000", "0x10", "1 000", "\u00bd", ""])
def test_only_ascii_decimal_notation_is_a_number(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^SLOW_REQUEST_MS="):
        load_settings({**TEST_SETTINGS, "SLOW_REQUEST_MS": value})
    with pytest.raises(ConfigError, match=r"^PORT="):
        parse_int("PORT", value, 1, 65535)


def test_plain_numbers_are_still_accepted() -> None:
    assert [parse_number("N", v, 0) for v in (" 250 ", "0.5", ".5", "5.", "1e3", "+2")] == [250, 0.5, 0.5, 5, 1000, 2]
    assert [parse_int("N", v, 0) for v in (" 42 ", "+3", "007")] == [42, 3, 7]


@pytest.mark.parametrize("value", ["65536", "99999", "0", "-1"])
def test_whole_numbers_are_bounded_when_asked(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^PORT='{value}' is not valid; accepted: a whole number from 1 to 65535$"):
        parse_int("PORT", value, 1, 65535)
    assert parse_int("PORT", "65535", 1, 65535) == 65535


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("0.0.0.0", "0.0.0.0"),
        (" 127.0.0.1 ", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("::", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("localhost", "localhost"),
        ("api-1.internal.example.", "api-1.internal.example."),
    ],
)
def test_host_is_an_ip_address_or_host_name(value: str, host: str) -> None:
    assert parse_host("HOST", value) == host


@pytest.mark.parametrize(
    "value",
    ["", "0.0.0.0:8000", "[::1]:8000", "999.1.1.1", "127.000.000.001", "exa mple", "-bad.example", "a..b", "x" * 64],
)
def test_host_that_is_neither_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^HOST=.* accepted: an IPv4 or IPv6 address, or a host name"):
        parse_host("HOST", value)
