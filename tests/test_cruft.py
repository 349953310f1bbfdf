"""Drift: a project made with plain cookiecutter is cruft-linked from its first commit.

These tests work on a temporary git repository holding a copy of this template, so they
can add template commits and watch ``cruft check``/``diff``/``update`` react.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bakes import TEMPLATE, bake_into

TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return result.stdout


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cruft", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "template"
    repo.mkdir()
    for part in TEMPLATE_PARTS:
        source = TEMPLATE / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / part)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template v1")
    return repo


@pytest.fixture
def project(tmp_path: Path, template_repo: Path) -> Path:
    project = bake_into(tmp_path / "out", template_repo)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    return project


def test_plain_cookiecutter_writes_cruft_state(project: Path, template_repo: Path) -> None:
    state = json.loads((project / ".cruft.json").read_text())
    assert state["template"] == str(template_repo)
    assert state["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert state["context"]["cookiecutter"]["package_name"] == "my_service"
    assert "src/my_service/routes.py" in state["skip"]
    assert not any(key in state["context"]["cookiecutter"] for key in ("_output_dir", "_repo_dir"))


def test_check_diff_and_update_follow_the_template(project: Path, template_repo: Path) -> None:
    checked = cruft(project, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # A local edit shows in cruft diff.
    config = project / "src/my_service/config.py"
    config.write_text(config.read_text().replace('LEVELS = ("DEBUG"', 'LEVELS = ("TRACE", "DEBUG"'))
    diff = cruft(project, "diff")
    assert diff.returncode == 0, diff.stderr
    assert '+LEVELS = ("TRACE", "DEBUG"' in diff.stdout or '-LEVELS = ("TRACE", "DEBUG"' in diff.stdout
    git(project, "commit", "-qam", "local change")

    # A new template commit makes cruft check fail...
    readme = template_repo / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nA note added by template v2.\n")
    git(template_repo, "commit", "-qam", "template v2")
    assert cruft(project, "check").returncode != 0

    # ...and cruft update brings the change in, keeping the local edit.
    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "A note added by template v2." in (project / "README.md").read_text()
    assert 'LEVELS = ("TRACE", "DEBUG"' in config.read_text()
    assert (
        json.loads((project / ".cruft.json").read_text())["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    )
    assert cruft(project, "check").returncode == 0


def test_rebake_with_recorded_answers_is_byte_for_byte(tmp_path: Path, project: Path, template_repo: Path) -> None:
    state = json.loads((project / ".cruft.json").read_text())
    answers = {k: v for k, v in state["context"]["cookiecutter"].items() if not k.startswith("_")}
    again = bake_into(tmp_path / "again", template_repo, **answers)
    comparison = filecmp.dircmp(project, again, ignore=[".git"])
    assert_identical(comparison)


def assert_identical(comparison: filecmp.dircmp) -> None:
    assert (comparison.left_only, comparison.right_only) == ([], [])
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    assert (comparison.left, mismatch, errors) == (comparison.left, [], [])
    for sub in comparison.subdirs.values():
        assert_identical(sub)


def test_cruft_create_keeps_working(tmp_path: Path, template_repo: Path) -> None:
    out = tmp_path / "created"
    out.mkdir()
    created = cruft(out, "create", str(template_repo), "--no-input")
    assert created.returncode == 0, created.stdout + created.stderr
    state = json.loads((out / "my-service" / ".cruft.json").read_text())
    assert state["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert state["context"]["cookiecutter"]["_commit"] == state["commit"]


def test_cookiecutter_replay_reproduces_the_project(tmp_path: Path, template_repo: Path) -> None:
    """``cookiecutter --replay`` (the answers cookiecutter saved) regenerates the same files."""
    from cookiecutter.main import cookiecutter

    config = tmp_path / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cache'}\n")
    first = cookiecutter(str(template_repo), no_input=True, output_dir=str(tmp_path / "a"), config_file=str(config))
    again = cookiecutter(str(template_repo), replay=True, output_dir=str(tmp_path / "b"), config_file=str(config))
    assert_identical(filecmp.dircmp(first, again))
