"""The baked projects pass their own lint and tests, run in subprocesses as a user would.

Which combination gets what:

- ``log_format`` changes one constant (``DEFAULT_LOG_FORMAT``), and the baked tests run in both
  formats whatever it is; ``log_to_file`` adds code (``file_handler.py`` and its tests) and
  changes defaults. So json/stdout (the defaults) and text/file run their whole suite: between
  them, every file any combination can hold and both default formats.
- json/file and text/stdout are linted, imported module by module, collected by pytest, and
  smoke-tested: the app is built once from its defaults and must log a request in its default
  format (and to its default log file when it has one).
- All four run ``ruff check`` and ``ruff format --check``. (``test_generation.py`` renders and
  compiles every file of every combination.)

One virtualenv serves every bake, since they all name the package ``my_service``: the default
bake's own, made as its README's quick start says, with uv (``uv lock``, then ``uv sync
--locked``, which installs the package and its ``dev`` dependency group). That must bring every
runtime and dev dependency its pyproject.toml declares (a test checks it, and that the lock it
wrote is current); anything missing is then installed, so the other tests still report on their
own. The default bake's suite runs on that install; the other bakes run with
``PYTHONPATH=<bake>/src``, which comes before the install on ``sys.path`` (checked each time).
Under pytest-xdist, the first worker that needs the environment builds it while the others wait
on a file lock.

Marked ``extended`` (not in the default run; CI's second step runs ``pytest -m extended``): the
default bake with ``python_version=3.10`` on Python 3.10 and 3.13, each in a fresh virtualenv
installed with the README's pip line, and the baked redaction fuzzer with its long Hypothesis
profile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from bakes import (
    CHECKED,
    COMBINATIONS,
    DEFAULTS,
    FULL_RUNS,
    PACKAGE,
    SMOKE_REQUEST_ID,
    UV_ENV,
    SharedEnv,
    assert_same_dependencies,
    assert_suite_passed,
    bake_into,
    combination_id,
    install_with_pip,
    run,
)

pytestmark = pytest.mark.slow


# The first slow test (see conftest.py): the default bake's run builds the shared environment.
@pytest.mark.parametrize("answers", FULL_RUNS, ids=combination_id)
def test_bake_passes_its_whole_suite(tmp_path: Path, shared_env: SharedEnv, answers: dict[str, str]) -> None:
    if answers == DEFAULTS:
        project, bake = shared_env.installed, None  # the installed package, no PYTHONPATH
    else:
        project = bake = bake_into(tmp_path, **answers)
        assert_same_dependencies(bake, shared_env)
    shared_env.assert_imports(project, bake)
    result = shared_env.run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, bake=bake)
    assert_suite_passed(result)


def test_default_bake_installs_as_its_readme_says(shared_env: SharedEnv) -> None:
    """``uv lock && uv sync`` installs the package, and every runtime and dev dependency, from a
    lock that ``uv lock --check`` then finds current."""
    assert shared_env.missing == [], (
        f"uv sync did not install these requirements of pyproject.toml:\n{shared_env.install_output}"
    )
    project = shared_env.installed
    run([sys.executable, "-m", "uv", "lock", "--check", "--python", sys.executable], cwd=project, **UV_ENV)
    assert (project / "uv.lock").is_file()
    version = "import importlib.metadata as m; print(m.version('my-service'))"
    assert shared_env.run(["-c", version], cwd=shared_env.installed).stdout.strip() == "0.1.0"
    shared_env.assert_imports(shared_env.installed)


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_bake_is_lint_clean(tmp_path: Path, shared_env: SharedEnv, answers: dict[str, str]) -> None:
    project = bake_into(tmp_path, **answers)
    shared_env.run(["-m", "ruff", "check", "."], cwd=project)
    shared_env.run(["-m", "ruff", "format", "--check", "."], cwd=project)


# Imports every module of the package, builds the app from its defaults, asks for /health and for
# a path no bake serves (a successful probe may log at DEBUG; the 404 is summarised at INFO), and
# reports what it saw (the service's own log lines go to stdout).
SMOKE = f"""
import importlib, json, pathlib, pkgutil, sys
import {PACKAGE}
from {PACKAGE}.config import DEFAULT_LOG_FORMAT
modules = sorted(info.name for info in pkgutil.walk_packages({PACKAGE}.__path__, "{PACKAGE}."))
for name in modules:
    importlib.import_module(name)
app = {PACKAGE}.create_app()
client = app.test_client()
health = client.get("/health")
response = client.get("/template-smoke", headers={{"X-Request-ID": "{SMOKE_REQUEST_ID}"}})
settings = app.config["SETTINGS"]
report = {{
    "file": {PACKAGE}.__file__,
    "modules": modules,
    "default_format": DEFAULT_LOG_FORMAT,
    "format": settings.log_format,
    "log_file": getattr(settings.file, "path", None),
    "health": health.status_code,
    "status": response.status_code,
}}
pathlib.Path(sys.argv[1]).write_text(json.dumps(report))
"""


@pytest.mark.parametrize("answers", CHECKED, ids=combination_id)
def test_bake_imports_collects_and_serves(tmp_path: Path, shared_env: SharedEnv, answers: dict[str, str]) -> None:
    """For the combinations whose whole suite does not run (it does in FULL_RUNS, whose code and
    defaults these only recombine)."""
    bake = bake_into(tmp_path / "bake", **answers)
    assert_same_dependencies(bake, shared_env)
    shared_env.assert_imports(bake, bake)

    # Every test module imports and every test is collected.
    collected = shared_env.run(["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=bake, bake=bake)
    summary = collected.stdout.strip().splitlines()[-1]
    assert re.match(r"\d+ tests collected", summary), summary
    assert "error" not in summary, summary

    # The app, from its defaults alone (no LOG_* variables, no .env), serves and logs a request.
    workdir = tmp_path / "run"
    workdir.mkdir()
    report_path = tmp_path / "report.json"
    unset = {key: None for key in os.environ if key.startswith("LOG_")}
    result = shared_env.run(["-c", SMOKE, str(report_path)], cwd=workdir, bake=bake, ENV_FILE="", **unset)
    report = json.loads(report_path.read_text())
    assert Path(report["file"]) == bake / "src" / PACKAGE / "__init__.py"
    assert (report["health"], report["status"]) == (200, 404)
    assert report["default_format"] == report["format"] == answers["log_format"]
    file_handler = f"{PACKAGE}.observability.file_handler"
    assert (file_handler in report["modules"]) == (answers["log_to_file"] == "yes")
    assert f"{PACKAGE}.wsgi" in report["modules"]

    line = request_line(result.stdout.splitlines(), answers["log_format"])
    if answers["log_to_file"] == "yes":
        assert report["log_file"]
        assert request_line((workdir / report["log_file"]).read_text().splitlines(), answers["log_format"]) == line
    else:
        assert report["log_file"] is None
        assert list(workdir.iterdir()) == []  # no log file anywhere


def request_line(lines: list[str], log_format: str) -> str:
    """The one request_completed line for the smoke request, checked to be in ``log_format``."""
    found = [line for line in lines if SMOKE_REQUEST_ID in line and "request_completed" in line]
    assert len(found) == 1, lines
    if log_format == "json":
        record = json.loads(found[0])
        assert (record["msg"], record["request_id"], record["status"]) == ("request_completed", SMOKE_REQUEST_ID, 404)
    else:
        assert not found[0].startswith("{"), found[0]
        assert " request_completed " in found[0]
        assert f"request_id={SMOKE_REQUEST_ID} " in found[0]
        assert " status=404 " in found[0]
    return found[0]


# CI only (pytest -m extended): collected first so that each starts at once on its own worker.
@pytest.mark.extended
def test_redaction_fuzzer_long_profile(shared_env: SharedEnv) -> None:
    """The baked fuzzer's long profile (thousands of examples per property) on the default bake."""
    command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics"]
    result = shared_env.run(
        [*command, "tests/test_redaction_fuzz.py"],
        cwd=shared_env.installed,
        timeout=1500,
        check=False,
        HYPOTHESIS_PROFILE="long",
    )
    # On failure, show the falsifying examples (the statistics after them would fill the tail).
    failures = result.stdout.partition("= FAILURES =")[2].partition("= Hypothesis Statistics =")[0]
    assert result.returncode == 0, (failures or result.stdout)[-12000:] + result.stderr[-4000:]
    assert_suite_passed(result)
    # The long profile was the one loaded: the default stops each property at 60 examples.
    passing = [int(n) for n in re.findall(r"(\d+) passing", result.stdout)]
    assert passing, result.stdout[-3000:]
    assert max(passing) > 60


@pytest.mark.extended
@pytest.mark.parametrize("version", ["3.10", "3.13"])
def test_baked_project_on_the_lowest_and_newest_python(tmp_path: Path, version: str) -> None:
    """python_version is the lowest supported Python: prove it, and the newest, when present."""
    interpreter = find_python(version, tmp_path)
    if interpreter is None:
        pytest.skip(f"python{version} is not installed here")
    install_lint_and_test(tmp_path, interpreter, {"python_version": "3.10"})


def find_python(version: str, cwd: Path) -> str | None:
    """An interpreter for ``version`` on PATH, or installed by pyenv (whose shims refuse
    versions that are not selected)."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        if run([candidate, "--version"], cwd=cwd, check=False).returncode == 0:
            return candidate
    return None


def install_lint_and_test(tmp_path: Path, interpreter: str, answers: dict[str, str]) -> None:
    """A fresh virtualenv on ``interpreter``, then what the baked README says to run."""
    project = bake_into(tmp_path, **answers)
    venv = tmp_path / "venv"
    run([interpreter, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    missing, output = install_with_pip(python, project)
    run([python, "-m", "ruff", "check", "."], cwd=project)
    run([python, "-m", "ruff", "format", "--check", "."], cwd=project)
    assert_suite_passed(run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project))
    assert missing == [], f"the README's pip line did not install these requirements:\n{output}"
