"""The hooks: bad answers are refused with a clear message and leave nothing behind."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from bakes import TEMPLATE, bake_into
from cookiecutter.exceptions import CookiecutterException, FailedHookException


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


@pytest.mark.parametrize(
    ("answers", "field", "rule"),
    [
        ({"package_name": "logging"}, "package_name", "must not shadow"),
        ({"package_name": "json"}, "package_name", "must not shadow"),
        ({"package_name": "flask"}, "package_name", "must not shadow"),
        ({"package_name": "gunicorn"}, "package_name", "must not shadow"),
        ({"package_name": "test"}, "package_name", "must not shadow"),
        ({"package_name": "class"}, "package_name", "keyword"),
        ({"package_name": "1service"}, "package_name", "identifier"),
        ({"package_name": "my-service"}, "package_name", "identifier"),
        ({"project_slug": "My Service"}, "project_slug", "distribution and directory name"),
        ({"project_slug": "../escape"}, "project_slug", "distribution and directory name"),
        ({"project_slug": "-leading"}, "project_slug", "distribution and directory name"),
        ({"python_version": "2.7"}, "python_version", "from 3.10"),
        ({"python_version": "3.9"}, "python_version", "from 3.10"),
        ({"python_version": "3.15"}, "python_version", "to 3.14"),
        ({"author_email": "not-an-email"}, "author_email", "e-mail"),
        ({"description": "two\nlines"}, "description", "single line"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={v[k]}" for k in v),
)
def test_bad_answer_is_refused_and_nothing_is_left(tmp_path: Path, capfd, answers, field: str, rule: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        bake_into(out, **answers)
    assert list(out.iterdir()) == []
    assert list(tmp_path.iterdir()) == [out]  # nothing escaped the output directory either
    err = capfd.readouterr().err
    line = next(line for line in err.splitlines() if line.startswith("ERROR: ") and "=" in line.split()[1])
    assert line.startswith(f"ERROR: {field}=")
    assert rule in line


def test_name_without_letters_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # "!!!" slugifies to "", so cookiecutter itself stops (the project directory would be
    # the output directory) before the hook runs; still nothing is written.
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CookiecutterException):
        bake_into(out, project_name="!!!")
    assert list(out.iterdir()) == []


def test_validate_accepts_good_answers() -> None:
    answers = {
        "project_name": "Billing API",
        "description": "Bills customers.",
        "author_name": "Ann",
        "project_slug": "billing-api",
        "package_name": "billing_api",
        "python_version": "3.11",
        "author_email": "ann@example.com",
        "log_format": "text",
        "log_to_file": "yes",
    }
    assert pre_gen.validate(answers) == []
    assert pre_gen.validate({**answers, "log_format": "xml"}) == ["ERROR: log_format='xml' must be one of: json, text."]


def test_hooks_import_unrendered() -> None:
    assert "cookiecutter" in pre_gen.ANSWERS_JSON
    assert "cookiecutter" in post_gen.ANSWERS_JSON


def test_post_gen_removes_only_file_logging_files(tmp_path: Path) -> None:
    keep = tmp_path / "src/pkg/observability/setup.py"
    drop = [tmp_path / p.format(package="pkg") for p in post_gen.FILE_LOGGING_FILES]
    for path in [keep, *drop]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    post_gen.remove_file_logging_files(tmp_path, "pkg")
    assert keep.exists()
    assert not any(path.exists() for path in drop)


def test_post_gen_prints_next_steps(bake, capfd) -> None:
    bake()
    out = capfd.readouterr().out
    assert "cd my-service" in out
    assert "gunicorn my_service.wsgi:app" in out


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gh:org/flask-service", "https://github.com/org/flask-service.git"),
        ("gl:org/flask-service", "https://gitlab.com/org/flask-service.git"),
        ("https://example.com/org/t.git", "https://example.com/org/t.git"),
        ("git@github.com:org/t.git", "git@github.com:org/t.git"),
        ("/abs/path/template", "/abs/path/template"),
    ],
)
def test_template_source_is_recorded_so_cruft_can_reach_it(given: str, expected: str) -> None:
    assert post_gen.template_source(given, "/anywhere") == expected


def test_relative_template_path_is_resolved_against_the_starting_directory() -> None:
    parent = str(TEMPLATE.parent)
    assert post_gen.template_source(TEMPLATE.name, parent) == str(TEMPLATE)
    assert post_gen.template_source("no-such-template", parent) == "no-such-template"


def test_template_commit_outside_git_is_none(tmp_path: Path) -> None:
    assert post_gen.template_commit(str(tmp_path)) is None
