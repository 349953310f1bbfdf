"""The service's settings: read from the environment once, validated, and frozen.

``load_settings`` is called inside ``create_app`` (and by ``gunicorn.conf.py`` before any
worker starts), never at import. Values come from, in rising priority: the ``.env`` file
(``ENV_FILE``, default ``.env``, which may be missing; a file named explicitly must exist;
empty disables it), the process environment, and the ``overrides`` mapping that tests pass
(``env.read_environment``). Every value is parsed by a helper that names the variable when
it refuses one (``env.py``), so a bad setting is one ``CRITICAL config:`` line at start-up.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .env import (  # re-exported: the helpers a team's own settings use too
    ConfigError,
    exit_on_config_error,
    fail,
    parse_bool,
    parse_choice,
    parse_host,
    parse_int,
    parse_number,
    read_environment,
)

__all__ = [
    "ConfigError",
    "FileSinkSettings",
    "Settings",
    "exit_on_config_error",
    "fail",
    "load_settings",
    "parse_bool",
    "parse_choice",
    "parse_host",
    "parse_int",
    "parse_number",
    "read_environment",
]

# Chosen at generation time (log_format); LOG_FORMAT overrides it at run time.
DEFAULT_LOG_FORMAT = "{{ cookiecutter.log_format }}"

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("json", "text")
MIN_DEBUG_TOKEN_CHARS = 16
# Present only in services generated with log_to_file=yes (the post-gen hook removes it).
FILE_SINK_MODULE = f"{__package__}.observability.file_handler"


class FileSinkSettings(Protocol):
    """What the optional rotating-file sink's settings provide (``file_handler.FileSettings``)."""

    @property
    def path(self) -> str: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def backup_count(self) -> int: ...
    @property
    def to_stdout(self) -> bool: ...


@dataclass(frozen=True)
class Settings:
    log_level: str = "INFO"
    log_levels: Mapping[str, str] = field(default_factory=dict)
    log_format: str = DEFAULT_LOG_FORMAT
    log_redact_keys: tuple[str, ...] = ()
    slow_request_ms: float = 1000.0
    log_probe_paths: frozenset[str] = frozenset({"/health", "/ready"})
    debug_log_token: str = ""
    log_sample_rate: float = 0.0
    testing: bool = False
    # The optional file sink's settings; None when the service was generated without it.
    file: FileSinkSettings | None = None

    @property
    def per_request_debug_possible(self) -> bool:
        """True when some request may log at DEBUG while the service runs at a higher level."""
        return bool(self.debug_log_token) or self.log_sample_rate > 0


def parse_logger_levels(name: str, value: str) -> dict[str, str]:
    """Parse ``"deps=DEBUG,werkzeug=WARNING"`` into ``{"deps": "DEBUG", ...}``."""
    accepted = "comma-separated logger=LEVEL pairs, LEVEL one of " + ", ".join(LEVELS)
    levels: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        logger, sep, level = item.partition("=")
        logger = logger.strip()
        if not sep or not logger or any(ch.isspace() for ch in logger) or logger == "root":
            fail(name, value, accepted + " (the root logger's level is LOG_LEVEL)")
        if level.strip().upper() not in LEVELS:
            fail(name, value, accepted)
        levels[logger] = level.strip().upper()
    return levels


def parse_key_list(name: str, value: str) -> tuple[str, ...]:
    keys = tuple(k.strip().lower().replace("-", "_") for k in value.split(",") if k.strip())
    for key in keys:
        if not key.replace("_", "").isalnum():
            fail(name, value, "comma-separated key fragments of letters, digits, '_' or '-'")
    return keys


def parse_paths(name: str, value: str) -> frozenset[str]:
    """Comma-separated URL paths (``/health,/ready``); empty for none."""
    paths = frozenset(path.strip() for path in value.split(",") if path.strip())
    if any(not path.startswith("/") or any(ch.isspace() for ch in path) for path in paths):
        fail(name, value, "comma-separated paths starting with '/', or empty for none")
    return paths


def parse_debug_token(name: str, value: str) -> str:
    if value and (len(value) < MIN_DEBUG_TOKEN_CHARS or not value.isascii() or not value.isprintable() or " " in value):
        # ASCII: header values arrive latin-1 decoded, so anything else could never match.
        fail(name, "<hidden>", f"empty (off) or at least {MIN_DEBUG_TOKEN_CHARS} printable ASCII non-space characters")
    return value


def load_file_settings(env: Mapping[str, str]) -> FileSinkSettings | None:
    """The optional file sink's settings, if this service was generated with it.

    Looked up by name (``find_spec``) instead of imported at the top: a service generated
    without the sink has nothing to import, and this module never depends on it (the sink
    depends on ``env.py`` alone).
    """
    if importlib.util.find_spec(FILE_SINK_MODULE) is None:
        return None
    settings: FileSinkSettings = importlib.import_module(FILE_SINK_MODULE).load_file_settings(env)
    return settings


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    env = read_environment(overrides)
    get = env.get
    return Settings(
        log_level=parse_choice("LOG_LEVEL", get("LOG_LEVEL", "INFO"), LEVELS, upper=True),
        log_levels=parse_logger_levels("LOG_LEVELS", get("LOG_LEVELS", "")),
        log_format=parse_choice("LOG_FORMAT", get("LOG_FORMAT", DEFAULT_LOG_FORMAT), FORMATS),
        log_redact_keys=parse_key_list("LOG_REDACT_KEYS", get("LOG_REDACT_KEYS", "")),
        slow_request_ms=parse_number("SLOW_REQUEST_MS", get("SLOW_REQUEST_MS", "1000"), 0),
        log_probe_paths=parse_paths("LOG_PROBE_PATHS", get("LOG_PROBE_PATHS", "/health,/ready")),
        debug_log_token=parse_debug_token("DEBUG_LOG_TOKEN", get("DEBUG_LOG_TOKEN", "")),
        log_sample_rate=parse_number("LOG_SAMPLE_RATE", get("LOG_SAMPLE_RATE", "0"), 0, 1),
        testing=parse_bool("TESTING", get("TESTING", "false")),
        file=load_file_settings(env),
    )
