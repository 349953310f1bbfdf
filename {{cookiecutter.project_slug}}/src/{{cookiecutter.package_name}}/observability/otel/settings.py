"""Which standard ``OTEL_*`` variables turn OpenTelemetry on, read and checked at start-up.

On when an exporter is asked for: ``OTEL_TRACES_EXPORTER=otlp``, ``OTEL_LOGS_EXPORTER=otlp``
or an OTLP endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``..._TRACES_ENDPOINT``,
``..._LOGS_ENDPOINT``). Traces are then exported unless ``OTEL_TRACES_EXPORTER=none``; logs
only with ``OTEL_LOGS_EXPORTER=otlp`` (stdout keeps every line either way).
``OTEL_SDK_DISABLED=true`` turns all of it off.

The values this module reads come from the same place as every other setting (``.env``,
then the process environment) and are handed to the SDK explicitly, so an endpoint in
``.env`` works too. A value the SDK would only warn about and ignore (a sampler it does not
know, a ``grpc`` protocol the extra does not ship, an endpoint without a scheme or with a bad
port) stops start-up with one line instead: otherwise the service would run believing it is
traced while nothing arrives.

The SDK reads some variables itself, from the process environment only (``SDK_NUMBERS``,
``OTEL_EXPORTER_OTLP_*COMPRESSION``, ``OTEL_PROPAGATORS``): a bad one would raise in every
worker, so they are checked here too (a value set only in ``.env`` is checked and, by the
SDK, not seen).

The OTLP headers and endpoints may carry a backend's API key: a bad one is never echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from urllib.parse import unquote, urlsplit

from ...env import fail, parse_bool, parse_choice, parse_int, parse_number
from ..extras import require_extra
from ..redaction import safe_url

EXTRA = "otel"
MODULES = ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
EXPORTERS = ("otlp", "none")
# The one protocol the extra's exporter speaks (opentelemetry-exporter-otlp-proto-http).
PROTOCOL = "http/protobuf"
SAMPLERS = (
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
    "always_on",
    "always_off",
    "traceidratio",
)
# The OTLP/HTTP default; a base endpoint gets /v1/<signal> appended, a signal's own is used as is.
DEFAULT_ENDPOINT = "http://localhost:4318"
ENDPOINT_ACCEPTED = "an http:// or https:// URL with a host, such as http://otel-collector:4318"
HEADERS_ACCEPTED = "comma-separated key=value pairs (values URL-encoded), such as api-key=...,team=shop"
HIDDEN = "<hidden>"
MAX_SERVICE_NAME = 255


@dataclass(frozen=True)
class OtelSettings:
    """What the providers need; an endpoint is None when that signal is not exported."""

    traces_endpoint: str | None
    logs_endpoint: str | None
    # service.name: OTEL_SERVICE_NAME; empty means the service's SERVICE_NAME (providers.py).
    service_name: str = ""
    sampler: str = "parentbased_always_on"
    sampler_arg: float = 1.0
    # Kept out of repr: they usually hold an API key.
    traces_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    logs_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)


def load_otel_settings(env: Mapping[str, str]) -> OtelSettings | None:
    """None when no exporter is asked for (or ``OTEL_SDK_DISABLED`` is true)."""
    get = env.get
    if parse_bool("OTEL_SDK_DISABLED", get("OTEL_SDK_DISABLED", "false")):
        return None
    traces = exporter("OTEL_TRACES_EXPORTER", get("OTEL_TRACES_EXPORTER", ""))
    logs = exporter("OTEL_LOGS_EXPORTER", get("OTEL_LOGS_EXPORTER", ""))
    endpoints = [name for name in ENDPOINT_NAMES if get(name, "").strip()]
    chosen = (("OTEL_TRACES_EXPORTER", traces), ("OTEL_LOGS_EXPORTER", logs))
    asking = [name for name, value in chosen if value == "otlp"] + endpoints
    if not asking or (traces == "none" and logs != "otlp"):
        return None
    name = asking[0]
    require_extra(name, HIDDEN if "ENDPOINT" in name else get(name, ""), EXTRA, *MODULES, off="unset or none (off)")
    for variable in PROTOCOL_NAMES:
        protocol = get(variable, "").strip()
        if protocol and protocol != PROTOCOL:
            fail(variable, protocol, f"{PROTOCOL} (the {EXTRA} extra's exporter), or unset")
    base = endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", get("OTEL_EXPORTER_OTLP_ENDPOINT", "")) or DEFAULT_ENDPOINT
    common = headers("OTEL_EXPORTER_OTLP_HEADERS", get("OTEL_EXPORTER_OTLP_HEADERS", ""))
    sampler = parse_choice("OTEL_TRACES_SAMPLER", get("OTEL_TRACES_SAMPLER", SAMPLERS[0]), SAMPLERS)
    ratio = sampler.endswith("traceidratio")
    arg = parse_number("OTEL_TRACES_SAMPLER_ARG", get("OTEL_TRACES_SAMPLER_ARG", "1"), 0, 1) if ratio else 1.0
    check_sdk_variables(env)
    service = get("OTEL_SERVICE_NAME", "").strip()
    if len(service) > MAX_SERVICE_NAME or not service.isprintable():
        fail("OTEL_SERVICE_NAME", service[:64], f"printable text of at most {MAX_SERVICE_NAME} characters, or unset")
    return OtelSettings(
        traces_endpoint=signal_endpoint(env, "TRACES", base) if traces != "none" else None,
        logs_endpoint=signal_endpoint(env, "LOGS", base) if logs == "otlp" else None,
        service_name=service,
        sampler=sampler,
        sampler_arg=arg,
        # A signal's own headers replace the common ones (as the spec and the SDK have it):
        # one vendor's key must not travel to another's endpoint.
        traces_headers=signal_headers(env, "TRACES") or common,
        logs_headers=signal_headers(env, "LOGS") or common,
    )


ENDPOINT_NAMES = tuple(f"OTEL_EXPORTER_OTLP_{signal}ENDPOINT" for signal in ("", "TRACES_", "LOGS_"))
PROTOCOL_NAMES = tuple(f"OTEL_EXPORTER_OTLP_{signal}PROTOCOL" for signal in ("", "TRACES_", "LOGS_"))


def exporter(name: str, value: str) -> str:
    """``otlp``, ``none`` or empty (unset). ``console`` is refused: it prints spans to stdout,
    between the service's one-line records."""
    if not value.strip():
        return ""
    return parse_choice(name, value, EXPORTERS)


def endpoint(name: str, value: str) -> str:
    """An http(s) URL with a host (and a valid port, if any), or empty. Shown without userinfo
    or query when refused, and not at all when it cannot even be split into those."""
    text = value.strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        host, _port = parts.hostname, parts.port  # .port raises on a bad one
    except ValueError:
        fail(name, HIDDEN, ENDPOINT_ACCEPTED)
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in text):
        fail(name, safe_url(text), ENDPOINT_ACCEPTED)
    return text


def signal_endpoint(env: Mapping[str, str], signal: str, base: str) -> str:
    """The signal's own endpoint as given, else the base one with ``/v1/<signal>`` appended."""
    name = f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"
    own = endpoint(name, env.get(name, ""))
    return own or f"{base.rstrip('/')}/v1/{signal.lower()}"


def signal_headers(env: Mapping[str, str], signal: str) -> tuple[tuple[str, str], ...]:
    name = f"OTEL_EXPORTER_OTLP_{signal}_HEADERS"
    return headers(name, env.get(name, ""))


def headers(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """``key=value,key2=value2`` (W3C baggage-like, values URL-encoded), as the spec defines
    ``OTEL_EXPORTER_OTLP_HEADERS``. Refused without echoing: it holds credentials."""
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        text = unquote(raw.strip())
        if not sep or not key or not key.isascii() or not key.isprintable() or " " in key:
            fail(name, HIDDEN, HEADERS_ACCEPTED)
        if not text.isprintable() or "\r" in text or "\n" in text:
            fail(name, HIDDEN, HEADERS_ACCEPTED, "a value holds control characters")
        pairs.append((key.lower(), text))
    return tuple(pairs)


# Numbers the SDK reads from the process environment: a bad one raises ValueError in every
# worker. Its batch processors' sizes and delays (whole numbers, ms) and the exporters'
# timeouts (seconds): (name, lowest accepted, whole number).
BATCH_NUMBERS = (("SCHEDULE_DELAY", 0), ("EXPORT_TIMEOUT", 0), ("MAX_QUEUE_SIZE", 1), ("MAX_EXPORT_BATCH_SIZE", 1))
SDK_NUMBERS = (
    *((f"OTEL_{kind}_{what}", low, True) for kind in ("BSP", "BLRP") for what, low in BATCH_NUMBERS),
    *((f"OTEL_EXPORTER_OTLP_{signal}TIMEOUT", 0, False) for signal in ("", "TRACES_", "LOGS_")),
)
COMPRESSIONS = ("gzip", "deflate", "none")
PROPAGATOR_GROUP = "opentelemetry_propagator"


def check_sdk_variables(env: Mapping[str, str]) -> None:
    """Refuse, in one line, what the SDK would raise on (or silently not export with)."""
    for name, low, whole in SDK_NUMBERS:
        if env.get(name, "").strip():
            (parse_int if whole else parse_number)(name, env[name].strip(), low)
    for signal in ("", "TRACES_", "LOGS_"):
        name = f"OTEL_EXPORTER_OTLP_{signal}COMPRESSION"
        if env.get(name, "").strip():
            parse_choice(name, env[name], COMPRESSIONS)
    propagators = env.get("OTEL_PROPAGATORS", "").strip()
    if propagators:
        installed = {entry.name for entry in entry_points(group=PROPAGATOR_GROUP)} | {"none"}
        for item in propagators.split(","):
            if item.strip() not in installed:
                fail(
                    "OTEL_PROPAGATORS",
                    propagators,
                    "comma-separated names of installed propagators: " + ", ".join(sorted(installed)),
                )
