"""Baking the template, and the one virtualenv every baked project's checks share.

Helpers for the template's tests (imported by them and by conftest.py's fixtures): bake a
combination of answers with cookiecutter's Python API; run a command the way a user's shell
would (this run's virtualenv and pytest variables removed); build the shared environment.

One virtualenv serves every bake, since they all name the package ``my_service``: the default
bake's own, made as its README's quick start says, with uv (``uv lock``, then ``uv sync
--locked``, which installs the package and its ``dev`` dependency group). The default bake's
checks run on that install; other bakes run with ``PYTHONPATH=<bake>/src``, which comes before
the install on ``sys.path`` (``SharedEnv.assert_imports`` checks it).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.main import cookiecutter

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TEMPLATE = Path(__file__).resolve().parent.parent
COMBINATIONS = [
    {"log_format": fmt, "log_to_file": to_file} for fmt, to_file in itertools.product(("json", "text"), ("no", "yes"))
]


def combination_id(answers: dict[str, str]) -> str:
    return f"{answers['log_format']}-{'file' if answers['log_to_file'] == 'yes' else 'stdout'}"


def bake_into(output_dir: Path, template: Path = TEMPLATE, **answers: str) -> Path:
    """Generate a project without prompts; return its directory."""
    return Path(cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(output_dir)))


PACKAGE = "my_service"
DEFAULTS = {"log_format": "json", "log_to_file": "no"}
# The combinations whose whole suite runs; the others are linted, imported, collected and smoke-tested.
FULL_RUNS = [DEFAULTS, {"log_format": "text", "log_to_file": "yes"}]
CHECKED = [answers for answers in COMBINATIONS if answers not in FULL_RUNS]
SMOKE_REQUEST_ID = "template-smoke-1"
# What the baked README's quick start and the post-generation hook tell users to run, with uv
# (run as ``python -m uv``: the uv of requirements-dev.txt), on this interpreter, offline of any
# Python download.
# With the optional integrations' extras, so their tests run here; the extended 3.10/3.13 runs
# install without them, proving the default suite passes with no extra.
UV_INSTALL = [["lock"], ["sync", "--locked", "--extra", "sentry", "--extra", "metrics", "--extra", "otel"]]
UV_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
# The README's pip equivalent (pip 25.1+ installs PEP 735 dependency groups).
PIP_INSTALL = [
    ["-m", "pip", "install", "--quiet", "--upgrade", "pip"],
    ["-m", "pip", "install", "--quiet", "-e", ".", "--group", "dev"],
]


def run(
    command: list[str], cwd: Path, timeout: int = 600, check: bool = True, **env: str | None
) -> subprocess.CompletedProcess:
    """Run ``command`` with this test run's virtualenv, PYTHONPATH and pytest variables removed
    from the environment, and ``env`` added (a None value removes the variable)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH") and not key.startswith("PYTEST_")
    }
    environment.update(env)
    environment = {key: value for key, value in environment.items() if value is not None}
    result = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    return result


def assert_suite_passed(result: subprocess.CompletedProcess) -> None:
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert "failed" not in summary, summary
    assert "error" not in summary, summary


@dataclass(frozen=True)
class SharedEnv:
    python: str
    installed: Path  # the default bake, whose own .venv (made with uv) this is
    missing: list[str]  # what the install did not bring of what its pyproject.toml declares
    install_output: str

    def run(self, args: list[str], cwd: Path, bake: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
        """Run this environment's python with ``args``; with ``bake``, on that bake's package
        (its src/ first on PYTHONPATH) instead of the installed one."""
        if bake is not None:
            kwargs["PYTHONPATH"] = str(bake / "src")
        return run([self.python, *args], cwd=cwd, **kwargs)

    def assert_imports(self, project: Path, bake: Path | None = None) -> None:
        """``my_service`` is imported from ``project``: the install, or the bake on PYTHONPATH."""
        code = f"import {PACKAGE}; print({PACKAGE}.__file__)"
        imported = Path(self.run(["-c", code], cwd=project, bake=bake).stdout.strip())
        assert imported == project / "src" / PACKAGE / "__init__.py"


def declared_requirements(project: Path) -> list[str]:
    """The runtime and dev requirements of a bake's pyproject.toml (dev tools as the ``dev``
    extra or the PEP 735 ``dev`` dependency group)."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dev = pyproject["project"].get("optional-dependencies", {}).get("dev", [])
    dev += [entry for entry in pyproject.get("dependency-groups", {}).get("dev", []) if isinstance(entry, str)]
    return [*pyproject["project"]["dependencies"], *dev]


# Prints which of the requirements given as JSON have no installed distribution.
NOT_INSTALLED = """
import importlib.metadata, json, re, sys
missing = []
for requirement in json.loads(sys.argv[1]):
    try:
        importlib.metadata.distribution(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
    except importlib.metadata.PackageNotFoundError:
        missing.append(requirement)
print(json.dumps(missing))
"""


def complete_install(python: str, project: Path, output: str) -> tuple[list[str], str]:
    """Install whatever of the declared requirements the README's install did not, and say which."""
    declared = json.dumps(declared_requirements(project))
    missing = json.loads(run([python, "-c", NOT_INSTALLED, declared], cwd=project).stdout)
    if missing:
        run([python, "-m", "pip", "install", "--quiet", *missing], cwd=project)
    return missing, output


def install_with_uv(project: Path) -> tuple[list[str], str]:
    """The quick start's ``uv lock && uv sync`` (``--locked``: the lock just written must hold)."""
    output = ""
    for args in UV_INSTALL:
        done = run([sys.executable, "-m", "uv", *args, "--python", sys.executable], cwd=project, **UV_ENV)
        output += done.stdout + done.stderr
    python = str(project / ".venv/bin/python")
    run([python, "-m", "ensurepip", "--upgrade"], cwd=project)  # for complete_install's fallback
    return complete_install(python, project, output)


def install_with_pip(python: str, project: Path) -> tuple[list[str], str]:
    output = ""
    for args in PIP_INSTALL:
        done = run([python, *args], cwd=project)
        output += done.stdout + done.stderr
    return complete_install(python, project, output)


def build_shared_env(home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)  # what a worker that failed to build it left
    home.mkdir(parents=True)
    project = bake_into(home, **DEFAULTS)
    missing, output = install_with_uv(project)
    (home / "install.json").write_text(json.dumps({"missing": missing, "output": output}))


def assert_same_dependencies(bake: Path, shared_env: SharedEnv) -> None:
    """The shared environment was installed from the default bake's pyproject.toml: a bake that
    declared anything else would need its own."""
    assert (bake / "pyproject.toml").read_text() == (shared_env.installed / "pyproject.toml").read_text()
