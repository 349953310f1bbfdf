"""Every option combination generates a complete, fully rendered project."""

from __future__ import annotations

import json
import py_compile
import re
from pathlib import Path

import pytest
from bakes import COMBINATIONS, combination_id

# Anything Jinja left behind: a cookiecutter variable, a tag, or a comment.
UNRENDERED = re.compile(r"\{\{\s*cookiecutter|cookiecutter\.[a-z_]+|\{%-?\s|\{#")
ALWAYS = [
    "pyproject.toml",
    "gunicorn.conf.py",
    "README.md",
    ".env.example",
    ".gitignore",
    "Dockerfile",
    ".dockerignore",
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
    "src/{pkg}/__init__.py",
    "src/{pkg}/wsgi.py",
    "src/{pkg}/config.py",
    "src/{pkg}/routes.py",
    "src/{pkg}/errors.py",
    "src/{pkg}/observability/formatting.py",
    "src/{pkg}/observability/redaction/__init__.py",
    "src/{pkg}/observability/redaction/text.py",
    "tests/test_redaction_fuzz.py",
    "src/{pkg}/observability/schemas/__init__.py",
    "src/{pkg}/observability/schemas/common.py",
    "src/{pkg}/observability/schemas/ecs.py",
    "src/{pkg}/observability/schemas/gcp.py",
    "src/{pkg}/observability/schemas/datadog.py",
    "src/{pkg}/probes.py",
    "src/{pkg}/service.py",
    "src/{pkg}/logs/summary.py",
    "src/{pkg}/logs/deps.py",
    "src/{pkg}/logs/pretty.py",
    "src/{pkg}/logs/__main__.py",
    "src/{pkg}/observability/console.py",
    "src/{pkg}/observability/sentry.py",
    "src/{pkg}/observability/metrics.py",
    "src/{pkg}/observability/otel/__init__.py",
    "src/{pkg}/observability/otel/spans.py",
    "tests/test_otel.py",
    "tests/test_otel_gunicorn.py",
    "lnav/{pkg}_log.json",
    "tests/test_schemas.py",
    "tests/test_trace_context.py",
    "tests/test_logs_fleet.py",
    "tests/test_fleet_gunicorn.py",
    "src/{pkg}/observability/context.py",
    "src/{pkg}/observability/parsing.py",
    "src/{pkg}/observability/testing.py",
    "src/{pkg}/logs/__init__.py",
    "src/{pkg}/logs/reading.py",
    "src/{pkg}/logs/records.py",
    "src/{pkg}/logs/render.py",
    "src/{pkg}/logs/trace.py",
    "src/{pkg}/logs/slow.py",
    "src/{pkg}/logs/errors.py",
    "src/{pkg}/logs/cli.py",
    "tests/conftest.py",
    "tests/test_parsing.py",
    "tests/test_logs_cli.py",
]
FILE_ONLY = ["src/{pkg}/observability/file_handler.py", "tests/test_file_handler.py"]


def files_of(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file()]


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_combination_renders_completely(bake, answers: dict[str, str]) -> None:
    project = bake(**answers)
    assert project.name == "my-service"
    pkg = "my_service"
    for relative in ALWAYS:
        assert (project / relative.format(pkg=pkg)).is_file(), relative
    for relative in FILE_ONLY:
        assert (project / relative.format(pkg=pkg)).is_file() == (answers["log_to_file"] == "yes"), relative
    for path in files_of(project):
        text = path.read_text()
        match = UNRENDERED.search(text)
        assert match is None, f"unrendered Jinja in {path.relative_to(project)}: {match.group(0)!r}"
        if path.suffix == ".py":
            py_compile.compile(str(path), doraise=True)
    config = (project / f"src/{pkg}/config.py").read_text()
    assert f'DEFAULT_LOG_FORMAT = "{answers["log_format"]}"' in config


# In the template's Python files, the only Jinja allowed is a cookiecutter variable. Anything
# else that looks like Jinja (a regex quantifier {{0,64}} in an f-string, a dict literal)
# would be rendered silently into something else.
STRAY_JINJA = re.compile(r"\{\{(?!\s*cookiecutter\.)|\{%|\{#")


def test_template_python_has_no_stray_jinja() -> None:
    from bakes import TEMPLATE

    offenders = []
    for path in (TEMPLATE / "{{cookiecutter.project_slug}}").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if STRAY_JINJA.search(line):
                offenders.append(f"{path.relative_to(TEMPLATE)}:{number}: {line.strip()}")
    assert offenders == []


def test_github_actions_expressions_survive_rendering(bake) -> None:
    workflow = (bake() / ".github/workflows/ci.yml").read_text()
    assert "${{ matrix.python-version }}" in workflow
    assert 'python-version: ["3.11", "3.12", "3.13", "3.14"]' in workflow  # lowest to newest
    assert "${{ github.workflow }}-${{ github.ref }}" in workflow


def test_answers_flow_into_names_and_metadata(bake) -> None:
    project = bake(
        project_name="Billing API",
        description='Bills "customers"',
        author_name="Ann O'Neil",
        python_version="3.12",
    )
    assert project.name == "billing-api"
    assert (project / "src/billing_api/__init__.py").is_file()
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "billing-api"' in pyproject
    assert 'requires-python = ">=3.12"' in pyproject
    assert 'target-version = "py312"' in pyproject
    assert "FROM python:3.12-slim" in (project / "Dockerfile").read_text()
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    metadata = tomllib.loads(pyproject)["project"]
    assert metadata["description"] == 'Bills "customers"'
    assert metadata["authors"][0]["name"] == "Ann O'Neil"


def test_defaults_bake_without_input(bake) -> None:
    project = bake()
    assert (project / "src/my_service/observability/setup.py").is_file()
    assert not (project / "src/my_service/observability/file_handler.py").exists()
    answers = json.loads(Path(__file__).resolve().parent.parent.joinpath("cookiecutter.json").read_text())
    assert answers["log_format"][0] == "json"
    assert answers["log_to_file"][0] == "no"
