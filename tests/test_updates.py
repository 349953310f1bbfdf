"""Template updates on a service its team has really changed.

A temporary git repository of the template is baked at version A; the team makes each
customisation the baked README tells it to make where it says to make it (routes, settings,
readiness checks, redaction keys, dependencies, variables, README, tests, a workflow); the
template then moves to version B with the changes templates make (a change inside
observability/, a new setting, a dependency bump, a new, a removed and a renamed file, an
edited README section, a new answer with a default); `cruft update` runs non-interactively.
The second scenario edits a template-owned line the template also changes: the conflict
must be reported, resolved by the README's steps, and nothing lost.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from bakes import PACKAGE, SharedEnv, assert_suite_passed, bake_into
from test_cruft import cruft, git, template_repo  # noqa: F401 - template_repo is a fixture used here

pytestmark = pytest.mark.slow
SLUG = "{{cookiecutter.project_slug}}"
PKG = f"{SLUG}/src/{{{{cookiecutter.package_name}}}}"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.fixture
def project(tmp_path: Path, template_repo: Path) -> Path:  # noqa: F811 - the fixture from test_cruft
    project = bake_into(tmp_path / "out", template_repo)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated at template A")
    return project


def team_changes(project: Path) -> None:
    """What a team adds over months, each where the README says it goes."""
    src = project / "src" / PACKAGE
    (src / "routes.py").write_text(
        (src / "routes.py").read_text()
        + """

@bp.get("/shop/orders/<int:order_id>")
def order(order_id: int) -> dict[str, object]:
    from flask import current_app

    settings = current_app.config["SETTINGS"].service_settings
    return {"order": order_id, "timeout": settings.orders_timeout}
"""
    )
    edit(src / "service.py", "REDACT_KEYS: tuple[str, ...] = ()", 'REDACT_KEYS: tuple[str, ...] = ("iban",)')
    edit(
        src / "service.py",
        '''class ServiceSettings:
    """Your settings (give each field a default). Read them in code as
    ``current_app.config["SETTINGS"].service_settings``."""
''',
        '''class ServiceSettings:
    """Your settings (give each field a default). Read them in code as
    ``current_app.config["SETTINGS"].service_settings``."""

    orders_timeout: float = 2.0
''',
    )
    edit(
        src / "service.py",
        "    return ServiceSettings()",
        "    from .env import parse_number\n\n"
        '    timeout = parse_number("ORDERS_TIMEOUT", env.get("ORDERS_TIMEOUT", "2"), 0.1, 60)\n'
        "    return ServiceSettings(orders_timeout=timeout)",
    )
    edit(
        src / "service.py",
        "    app.register_blueprint(bp)",
        "    app.register_blueprint(bp)\n\n    from .probes import add_readiness_check\n\n"
        '    add_readiness_check(app, "orders-db", lambda: None, timeout=1.0)',
    )
    (project / "tests/test_orders.py").write_text(
        '''"""The team's own tests."""

import logging

import pytest

from my_service.config import ConfigError


def test_order_uses_the_teams_setting(make_app) -> None:
    response = make_app(ORDERS_TIMEOUT="3.5").test_client().get("/shop/orders/7")
    assert response.get_json() == {"order": 7, "timeout": 3.5}


def test_the_teams_setting_is_validated(make_app) -> None:
    with pytest.raises(ConfigError, match="ORDERS_TIMEOUT"):
        make_app(ORDERS_TIMEOUT="soon")


def test_the_teams_redaction_key(app, logs) -> None:
    logging.getLogger("orders").info("paid", extra={"customer_iban": "DE89370400440532013000"})
    assert logs.one("paid")["customer_iban"] == "[REDACTED]"


def test_the_teams_readiness_check(client) -> None:
    assert [c["name"] for c in client.get("/ready").get_json()["checks"]] == ["orders-db"]
'''
    )
    edit(
        project / "pyproject.toml",
        "    # (three unchanged lines keep a template change and yours in separate hunks: an update\n"
        "    # then applies without a conflict)\n",
        "    # (three unchanged lines keep a template change and yours in separate hunks: an update\n"
        '    # then applies without a conflict)\n    "click>=8",\n',
    )
    append(project / ".env.example", "# ORDERS_TIMEOUT=2\n")
    append(project / "README.md", "\n## Orders\n\nThis service answers `/orders/<id>`.\n")
    append(project / ".gitignore", "/exports/\n")
    workflow = project / ".github/workflows/orders.yml"
    workflow.write_text("name: orders\non: [push]\njobs: {}\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "the team's changes")


def template_changes(repo: Path) -> None:
    """What a template release changes."""
    pkg = repo / PKG
    edit(pkg / "observability/formatting.py", "MAX_PATH_CHARS = 2048", "MAX_PATH_CHARS = 2000")
    edit(
        pkg / "config.py",
        "MIN_DEBUG_TOKEN_CHARS = 16",
        'MIN_DEBUG_TOKEN_CHARS = 16\n# New in template B.\nTEMPLATE_B_SETTING = "LOG_EXAMPLE"',
    )
    edit(repo / SLUG / ".env.example", "# HOST=0.0.0.0\n", "# HOST=0.0.0.0\n# LOG_EXAMPLE=on\n")
    edit(repo / SLUG / "pyproject.toml", '"gunicorn>=22.0",', '"gunicorn>=23.0",')
    (pkg / "observability/added_in_b.py").write_text('"""A module template B adds."""\n')
    git(repo, "rm", "-q", f"{SLUG}/tests/test_regression_example.py")
    git(repo, "mv", f"{SLUG}/tests/test_timing.py", f"{SLUG}/tests/test_step_timing.py")
    edit(
        repo / SLUG / "README.md",
        "## Dependencies and performance\n",
        "## Dependencies and performance\n\nEdited in template B.\n",
    )
    answers = json.loads((repo / "cookiecutter.json").read_text())
    answers["_template_version"] = "9.9.9"
    answers["team_channel"] = "#ops"
    (repo / "cookiecutter.json").write_text(json.dumps(answers, indent=2) + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template B")


def conflicts(project: Path) -> list[str]:
    rejects = [str(p.relative_to(project)) for p in project.rglob("*.rej")]
    markers = subprocess.run(
        ["git", "grep", "-l", "-e", "^<<<<<<< "], cwd=project, capture_output=True, text=True, check=False
    ).stdout.split()
    return rejects + markers


def test_an_update_lands_without_conflicts_on_a_customised_service(
    project: Path,
    template_repo: Path,  # noqa: F811 - the fixture from test_cruft
    shared_env: SharedEnv,
) -> None:
    team_changes(project)
    template_changes(template_repo)
    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert conflicts(project) == []

    src = project / "src" / PACKAGE
    # Every team change is still there.
    assert "/shop/orders/<int:order_id>" in (src / "routes.py").read_text()
    assert '"iban"' in (src / "service.py").read_text()
    assert (project / "tests/test_orders.py").is_file()
    assert '"click>=8"' in (project / "pyproject.toml").read_text()
    assert "ORDERS_TIMEOUT" in (project / ".env.example").read_text()
    assert "## Orders" in (project / "README.md").read_text()
    assert "/exports/" in (project / ".gitignore").read_text()
    assert (project / ".github/workflows/orders.yml").is_file()
    # Every template change was applied.
    assert "MAX_PATH_CHARS = 2000" in (src / "observability/formatting.py").read_text()
    assert "TEMPLATE_B_SETTING" in (src / "config.py").read_text()
    assert "# LOG_EXAMPLE=on" in (project / ".env.example").read_text()
    assert '"gunicorn>=23.0"' in (project / "pyproject.toml").read_text()
    assert (src / "observability/added_in_b.py").is_file()
    assert not (project / "tests/test_regression_example.py").exists()
    assert (project / "tests/test_step_timing.py").is_file()
    assert not (project / "tests/test_timing.py").exists()
    assert "Edited in template B." in (project / "README.md").read_text()
    state = json.loads((project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["team_channel"] == "#ops"
    assert state["context"]["cookiecutter"]["_template_version"] == "9.9.9"

    # The baked tests and the team's pass on the updated service.
    result = shared_env.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"], cwd=project, bake=project)
    assert_suite_passed(result)
    assert "test_orders.py" not in result.stdout  # nothing of it failed


def test_an_edit_to_a_template_owned_line_is_reported_and_resolved_by_the_runbook(
    project: Path,
    template_repo: Path,  # noqa: F811 - the fixture from test_cruft
) -> None:
    formatting = project / "src" / PACKAGE / "observability/formatting.py"
    edit(formatting, "MAX_PATH_CHARS = 2048", "MAX_PATH_CHARS = 1024  # the team's edit")
    git(project, "commit", "-qam", "the team edits a template-owned line")
    template_changes(template_repo)

    updated = cruft(project, "update", "--skip-apply-ask")
    found = conflicts(project)
    assert found, updated.stdout + updated.stderr  # reported: a .rej file or conflict markers
    text = formatting.read_text()
    rejected = "".join(p.read_text() for p in project.rglob("*.rej"))
    # Nothing silently lost: the team's line and the template's both survive somewhere.
    assert "MAX_PATH_CHARS = 1024  # the team's edit" in text + rejected
    assert "MAX_PATH_CHARS = 2000" in text + rejected
    # The other template changes still landed.
    assert (project / "src" / PACKAGE / "observability/added_in_b.py").is_file()

    # The runbook: resolve by hand, keeping the team's intent; delete the .rej files.
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith(("<<<<<<<", "=======", ">>>>>>>")) and not line.startswith("MAX_PATH_CHARS = 2000")
    ]
    formatting.write_text("\n".join(kept) + "\n")
    for reject in project.rglob("*.rej"):
        reject.unlink()
    assert conflicts(project) == []
    assert formatting.read_text().count("MAX_PATH_CHARS =") == 1
    assert "MAX_PATH_CHARS = 1024  # the team's edit" in formatting.read_text()
