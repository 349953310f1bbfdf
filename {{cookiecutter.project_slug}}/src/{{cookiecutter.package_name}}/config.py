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
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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
from .service import REDACT_KEYS, ServiceSettings, load_service_settings  # yours: see service.py

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
# LOG_FORMAT=console: lines for a person at a terminal (observability/console.py), never for a
# file or a log pipeline. The default of `flask run` when its stdout is a terminal, unless
# LOG_FORMAT (or a LOG_SCHEMA other than native) is set.
CONSOLE = "console"
FORMAT_CHOICES = (*FORMATS, CONSOLE)
# Field layouts of the JSON format: the service's own, or one a log backend reads natively
# (observability/schemas/).
SCHEMAS = ("native", "ecs", "gcp", "datadog")
# The service's name on every line unless SERVICE_NAME says otherwise.
DEFAULT_SERVICE_NAME = "{{ cookiecutter.project_slug }}"
# SERVICE_NAME, SERVICE_VERSION and DEPLOY_ENV: what Datadog's unified service tags, Elastic's
# service.* and Google's labels all accept unquoted (a version such as 1.4.2+build.7 too).
IDENTITY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/+\-]{0,99}")
IDENTITY_ACCEPTED = "1 to 100 characters of A-Za-z0-9_.:/+- starting with a letter or digit"
# A Google Cloud project ID (6 to 30 characters), optionally domain-scoped (example.com:my-project).
GCP_PROJECT_RE = re.compile(r"(?:[a-z0-9][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")
MIN_DEBUG_TOKEN_CHARS = 16
# Present only in services generated with log_to_file=yes (the post-gen hook removes it).
FILE_SINK_MODULE = f"{__package__}.observability.file_handler"
# The optional integrations (observability/sentry.py, ...): each parses its own settings.
INTEGRATIONS_PACKAGE = f"{__package__}.observability"

if TYPE_CHECKING:
    from .observability.metrics import MetricsSettings
    from .observability.otel import OtelSettings
    from .observability.sentry import SentrySettings


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
    # Who writes the lines: on every line as service (and version, env when set).
    service_name: str = DEFAULT_SERVICE_NAME
    service_version: str = ""
    deploy_env: str = ""
    # The JSON field layout (LOG_SCHEMA), and the project Google's trace field names (gcp).
    log_schema: str = "native"
    gcp_project: str = ""
    # The optional file sink's settings; None when the service was generated without it.
    file: FileSinkSettings | None = None
    # Optional integrations, None when off (observability/extras.py): SENTRY_DSN,
    # METRICS_ENABLED, the OTEL_* variables that ask for an exporter.
    sentry: SentrySettings | None = None
    metrics: MetricsSettings | None = None
    otel: OtelSettings | None = None

    # Your own settings (service.py), validated with the template's.
    service_settings: ServiceSettings | None = None

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


def parse_identity(name: str, value: str) -> str:
    """SERVICE_NAME, SERVICE_VERSION or DEPLOY_ENV; empty means unset."""
    text = value.strip()
    if text and not IDENTITY_RE.fullmatch(text):
        fail(name, value, IDENTITY_ACCEPTED + ", or empty")
    return text


def parse_schema(value: str, log_format: str) -> str:
    """LOG_SCHEMA: a JSON layout. The text format has none, so asking for one with it is
    refused rather than silently ignored (the lines would not be what the backend expects)."""
    schema = parse_choice("LOG_SCHEMA", value, SCHEMAS)
    if schema != "native" and log_format != "json":
        problem = f"schemas are JSON layouts; LOG_FORMAT is {log_format}"
        fail("LOG_SCHEMA", value, "native (or set LOG_FORMAT=json)", problem)
    return schema


def parse_gcp_project(value: str, schema: str) -> str:
    """GOOGLE_CLOUD_PROJECT, needed by LOG_SCHEMA=gcp: Cloud Logging links a line to its trace
    only through ``projects/<project>/traces/<trace id>``. Not checked for other schemas."""
    text = value.strip()
    if schema == "gcp" and not GCP_PROJECT_RE.fullmatch(text):
        problem = "LOG_SCHEMA=gcp needs it to link lines to traces" if not text else ""
        fail("GOOGLE_CLOUD_PROJECT", value, "a Google Cloud project ID such as my-project-123", problem)
    return text


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


def under_flask_run() -> bool:
    """Whether the app is being built by ``flask run`` (its click command is the one running)."""
    cli = sys.modules.get("flask.cli")
    if cli is None:  # no flask command line in this process at all
        return False
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.command is getattr(cli, "run_command", None)


def default_log_format(env: Mapping[str, str]) -> str:
    """``console`` for ``flask run`` writing to a terminal; else the generated default. Only
    used when LOG_FORMAT is unset; a LOG_SCHEMA asks for JSON, so it keeps the default too."""
    if env.get("LOG_SCHEMA", "native").strip().lower() not in {"", "native"} or not under_flask_run():
        return DEFAULT_LOG_FORMAT
    try:
        terminal = sys.stdout is not None and sys.stdout.isatty()
    except (OSError, ValueError):  # a closed or detached stdout
        terminal = False
    return CONSOLE if terminal else DEFAULT_LOG_FORMAT


def load_integration(module: str, loader: str, env: Mapping[str, str]) -> Any:
    """An optional integration's settings, None when its configuration leaves it off. Its
    module is imported here, not at the top: it belongs to a package that imports this one."""
    return getattr(importlib.import_module(f"{INTEGRATIONS_PACKAGE}.{module}"), loader)(env)


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    env = read_environment(overrides)
    get = env.get
    given_format = env["LOG_FORMAT"] if "LOG_FORMAT" in env else default_log_format(env)
    log_format = parse_choice("LOG_FORMAT", given_format, FORMAT_CHOICES)
    log_schema = parse_schema(get("LOG_SCHEMA", "native"), log_format)
    return Settings(
        log_level=parse_choice("LOG_LEVEL", get("LOG_LEVEL", "INFO"), LEVELS, upper=True),
        log_levels=parse_logger_levels("LOG_LEVELS", get("LOG_LEVELS", "")),
        log_format=log_format,
        log_redact_keys=(*parse_key_list("LOG_REDACT_KEYS", get("LOG_REDACT_KEYS", "")), *REDACT_KEYS),
        slow_request_ms=parse_number("SLOW_REQUEST_MS", get("SLOW_REQUEST_MS", "1000"), 0),
        log_probe_paths=parse_paths("LOG_PROBE_PATHS", get("LOG_PROBE_PATHS", "/health,/ready")),
        debug_log_token=parse_debug_token("DEBUG_LOG_TOKEN", get("DEBUG_LOG_TOKEN", "")),
        log_sample_rate=parse_number("LOG_SAMPLE_RATE", get("LOG_SAMPLE_RATE", "0"), 0, 1),
        testing=parse_bool("TESTING", get("TESTING", "false")),
        service_name=parse_identity("SERVICE_NAME", get("SERVICE_NAME", "")) or DEFAULT_SERVICE_NAME,
        service_version=parse_identity("SERVICE_VERSION", get("SERVICE_VERSION", "")),
        deploy_env=parse_identity("DEPLOY_ENV", get("DEPLOY_ENV", "")),
        log_schema=log_schema,
        gcp_project=parse_gcp_project(get("GOOGLE_CLOUD_PROJECT", ""), log_schema),
        file=load_file_settings(env),
        service_settings=load_service_settings(env),
        sentry=load_integration("sentry", "load_sentry_settings", env),
        metrics=load_integration("metrics", "load_metrics_settings", env),
        otel=load_integration("otel", "load_otel_settings", env),
    )
