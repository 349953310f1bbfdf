"""Backend-native field layouts for the JSON format (``LOG_SCHEMA``), one module per schema.

``native`` is the service's own fields (``formatting.py``) and needs no mapping. The others
map the event dict ``build_event`` made, inside ``EventFormatter.line``, after redaction and
before rendering: one function call per line, so there is one pipeline whatever the schema.

- ``ecs``: Elastic Common Schema, as Elastic's ecs-logging libraries write it (``ecs.py``);
- ``gcp``: Google Cloud Logging's structured logging and Error Reporting (``gcp.py``);
- ``datadog``: Datadog's reserved and standard attributes (``datadog.py``).

Each module has ``mapper`` (writing), and ``READ``/``reader`` and ``looks_like`` (reading
back, for ``flask logs``, which reads every schema and merges services that use different
ones). ``formatter_for`` builds the formatter the settings describe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple, Protocol

from ...config import CONSOLE, Settings
from ..console import ConsoleFormatter
from ..formatting import EventFormatter, JsonFormatter, SchemaMapper, ServiceIdentity, TextFormatter
from ..redaction import Redactor
from . import datadog, ecs, gcp
from .common import Event, Reader


class Schema(NamedTuple):
    name: str
    mapper: Callable[[ServiceIdentity, str], SchemaMapper]
    reader: Reader
    looks_like: Callable[[dict[str, object]], bool]


class SchemaModule(Protocol):
    NAME: str
    reader: Reader

    def mapper(self, identity: ServiceIdentity, gcp_project: str = "") -> SchemaMapper: ...
    def looks_like(self, record: dict[str, object]) -> bool: ...


def from_module(module: SchemaModule) -> Schema:
    return Schema(module.NAME, module.mapper, module.reader, module.looks_like)


# Checked in this order when reading: a native or text line has "ts" and is read as it is.
SCHEMAS: Mapping[str, Schema] = {module.NAME: from_module(module) for module in (ecs, gcp, datadog)}
NATIVE = "native"


def identity_of(settings: Settings) -> ServiceIdentity:
    return ServiceIdentity(settings.service_name, settings.service_version, settings.deploy_env)


def mapper_for(name: str, identity: ServiceIdentity, gcp_project: str = "") -> SchemaMapper | None:
    """The mapping of schema ``name`` (None for ``native``)."""
    return None if name == NATIVE else SCHEMAS[name].mapper(identity, gcp_project)


def formatter_for(settings: Settings, *, color: bool = False) -> EventFormatter:
    """The formatter the settings describe: format, redaction, identity and schema (``color``:
    the console format's, for a terminal)."""
    redactor = Redactor(settings.log_redact_keys)
    identity = identity_of(settings)
    if settings.log_format == CONSOLE:
        return ConsoleFormatter(redactor, identity, color=color)  # config.py refuses a schema here too
    if settings.log_format != "json":
        return TextFormatter(redactor, identity)  # config.py refuses a schema with text
    return JsonFormatter(redactor, identity, mapper_for(settings.log_schema, identity, settings.gcp_project))


def schema_of(record: dict[str, object]) -> str:
    """Which schema wrote ``record`` (a parsed line): ``native`` unless it has another's marks."""
    if "ts" in record:
        return NATIVE
    for schema in SCHEMAS.values():
        if schema.looks_like(record):
            return schema.name
    return NATIVE


def to_native(record: dict[str, object]) -> Event:
    """A parsed line of any schema, in the service's own fields (``flask logs`` reads these)."""
    name = schema_of(record)
    return record if name == NATIVE else SCHEMAS[name].reader.read(record)


__all__ = ["NATIVE", "SCHEMAS", "Schema", "formatter_for", "identity_of", "mapper_for", "schema_of", "to_native"]
