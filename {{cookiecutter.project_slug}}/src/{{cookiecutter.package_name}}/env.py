"""Reading the environment: the ``.env`` file, and typed values that name their variable.

Everything here is generic: ``config.py`` describes the service's settings with these
helpers, the optional file sink its own, and so can a team's settings module. A bad value
raises ``ConfigError`` whose message names the variable, the value and what is accepted;
``exit_on_config_error`` turns it into one CRITICAL line on stderr and exit status 4 instead
of a traceback wall.
"""

from __future__ import annotations

import codecs
import io
import ipaddress
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from typing import IO, NoReturn, TypeVar

import click
from dotenv import dotenv_values

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
# ASCII notation only: int() and float() also take "1_000", "inf", "nan" and other scripts'
# digits (int("\u0661\u0662") is 12), none of which an operator means as a setting.
INT_RE = re.compile(r"[+-]?[0-9]+")
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# One DNS label (RFC 1123): letters, digits and inner hyphens, 1 to 63 characters.
HOST_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_HOST_NAME = 253
ENV_FILE_ACCEPTED = "a UTF-8 dotenv file, or empty to read none"
T = TypeVar("T")


class ConfigError(click.ClickException):
    """An environment variable holds a value the service cannot run with.

    A ClickException, so that ``flask run`` and other ``flask`` commands report it as one
    line and exit with ``exit_code`` instead of printing a traceback.
    """

    exit_code = 4

    def show(self, file: IO[str] | None = None) -> None:
        print(f"CRITICAL config: {self.message}", file=file or sys.stderr, flush=True)


def fail(name: str, value: str, accepted: str, problem: str = "") -> NoReturn:
    """Refuse a value: name, value, what is wrong with it when that is not obvious, and what works."""
    detail = f" ({problem})" if problem else ""
    raise ConfigError(f"{name}={value!r} is not valid{detail}; accepted: {accepted}")


def parse_choice(name: str, value: str, choices: tuple[str, ...], *, upper: bool = False) -> str:
    normalised = value.strip().upper() if upper else value.strip().lower()
    if normalised not in choices:
        fail(name, value, ", ".join(choices))
    return normalised


def parse_number(name: str, value: str, low: float, high: float | None = None) -> float:
    """A finite decimal number (``250``, ``0.5``, ``1e3``) from ``low`` to ``high``.

    Finite, because ``inf`` (or ``1e999``) would silently turn a threshold off.
    """
    accepted = f"a number from {low:g} to {high:g}" if high is not None else f"a number >= {low:g}"
    text = value.strip()
    number = float(text) if NUMBER_RE.fullmatch(text) else math.nan
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        fail(name, value, accepted)
    return number


def parse_int(name: str, value: str, low: int, high: int | None = None) -> int:
    """A whole number in ASCII digits from ``low`` to ``high`` (no upper bound when None).

    Callers pass ``high`` wherever a larger value would overflow or exhaust something later,
    after start-up, where it could no longer be reported as one line.
    """
    accepted = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
    text = value.strip()
    try:
        number = int(text) if INT_RE.fullmatch(text) else None
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        number = None
    if number is None or number < low or (high is not None and number > high):
        fail(name, value, accepted)
    return number


def parse_host(name: str, value: str) -> str:
    """An IP address (IPv6 with or without brackets) or a host name, as a bind address needs it.

    Returned bare (``::1``, not ``[::1]``): whoever writes ``host:port`` adds the brackets that
    IPv6 needs. A dotted name ending in digits is refused as a mistyped IPv4 address
    (``999.1.1.1``, ``127.000.000.001``) rather than left to the resolver to guess.
    """
    accepted = "an IPv4 or IPv6 address, or a host name of letters, digits, '-' and '.'"
    text = value.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    labels = text.removesuffix(".").split(".")
    well_formed = len(text) <= MAX_HOST_NAME and all(HOST_LABEL_RE.fullmatch(label) for label in labels)
    if not well_formed or labels[-1].isdigit():
        fail(name, value, accepted)
    return text


def parse_bool(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    fail(name, value, ", ".join(TRUE_WORDS + FALSE_WORDS[:-1]))


def read_environment(overrides: Mapping[str, object] | None) -> dict[str, str]:
    """Merge .env, the process environment and overrides (later wins).

    Only the default ``.env`` may be missing: an ``ENV_FILE`` named explicitly but absent is a
    typo whose settings would silently not apply.
    """
    given = {key: str(value) for key, value in (overrides or {}).items()}
    named = "ENV_FILE" in given or "ENV_FILE" in os.environ
    env_file = given.get("ENV_FILE", os.environ.get("ENV_FILE", ".env"))
    merged: dict[str, str] = {}
    if env_file:
        merged.update(read_env_file(env_file, required=named))
    merged.update(os.environ)
    merged.update(given)
    return merged


def read_env_file(path: str, *, required: bool) -> dict[str, str]:
    """The values set in a dotenv file; one that exists but cannot be used is a ConfigError.

    Checked with ``stat`` before opening, so a directory is named as such and a FIFO or device
    (``/dev/zero``) is never read.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if required:
            fail("ENV_FILE", path, ENV_FILE_ACCEPTED, "no such file")
        return {}
    except OSError as exc:
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, exc.strerror or type(exc).__name__)
    if not stat.S_ISREG(info.st_mode):
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file")
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, f"cannot read it: {exc.strerror or type(exc).__name__}")
    values = dotenv_values(stream=io.StringIO(decode_env_file(path, data)))
    return {key: value for key, value in values.items() if value is not None}


def decode_env_file(path: str, data: bytes) -> str:
    """The file's text, decoded strictly as UTF-8 (a UTF-8 byte-order mark is fine).

    Decoded here because python-dotenv raises a bare UnicodeDecodeError, a traceback, on
    anything else: typically UTF-16 from a Windows editor, or one Latin-1 byte. UTF-16 without
    a byte-order mark decodes as UTF-8 but is full of NUL bytes, and no dotenv line has one.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, "it starts with a UTF-16 byte-order mark; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; save it as UTF-8"
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, problem)
    if "\x00" in text:
        fail("ENV_FILE", path, ENV_FILE_ACCEPTED, "it contains NUL bytes (UTF-16?); save it as UTF-8")
    return text


def exit_on_config_error(build: Callable[[], T]) -> T:
    """Run ``build``; on ConfigError print one CRITICAL line and exit.

    Exit status 4 is gunicorn's "app failed to load": its arbiter stops instead of
    respawning workers that can never boot.
    """
    try:
        return build()
    except ConfigError as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
