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

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import COMBINATIONS, bake_into, combination_id

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = pytest.mark.slow

PACKAGE = "my_service"
DEFAULTS = {"log_format": "json", "log_to_file": "no"}
# The combinations whose whole suite runs; the others are linted, imported, collected and smoke-tested.
FULL_RUNS = [DEFAULTS, {"log_format": "text", "log_to_file": "yes"}]
CHECKED = [answers for answers in COMBINATIONS if answers not in FULL_RUNS]
SMOKE_REQUEST_ID = "template-smoke-1"
# What the baked README's quick start and the post-generation hook tell users to run, with uv
# (run as ``python -m uv``: the uv of requirements-dev.txt), on this interpreter, offline of any
# Python download.
UV_INSTALL = [["lock"], ["sync", "--locked"]]
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


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> SharedEnv:
    """Built once per run: with pytest-xdist, under the directory all workers share, by the first
    worker that gets the lock; the others wait, then reuse it."""
    basetemp = tmp_path_factory.getbasetemp()
    root = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    home = root / "shared-env"
    with (root / "shared-env.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "install.json").exists():
            build_shared_env(home)
    install = json.loads((home / "install.json").read_text())
    return SharedEnv(
        python=str(home / "my-service/.venv/bin/python"),
        installed=home / "my-service",
        missing=install["missing"],
        install_output=install["output"],
    )


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


def assert_same_dependencies(bake: Path, shared_env: SharedEnv) -> None:
    """The shared environment was installed from the default bake's pyproject.toml: a bake that
    declared anything else would need its own."""
    assert (bake / "pyproject.toml").read_text() == (shared_env.installed / "pyproject.toml").read_text()


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
