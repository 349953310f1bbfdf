"""Refuse bad answers before cookiecutter writes anything that would be left behind.

Validation only: this hook never changes files. Each rule lives in one small function that
returns an error message or ``None``, so the template tests can call them directly.
When a rule fails the hook prints one line naming the field, the value and the rule, and
exits 1; cookiecutter then deletes the half-made project directory.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

# Modules the generated service (and its tests) import. A package with one of these names
# would shadow it and break the service in confusing ways.
SHADOWED_MODULES = frozenset(
    {
        "app",
        "blinker",
        "click",
        "conftest",
        "dotenv",
        "flask",
        "gunicorn",
        "itsdangerous",
        "jinja2",
        "markupsafe",
        "packaging",
        "pip",
        "pkg_resources",
        "pytest",
        "ruff",
        "setuptools",
        "src",
        "test",
        "tests",
        "werkzeug",
        "wsgi",
    }
) | frozenset(getattr(sys, "stdlib_module_names", ()))

PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*\Z")
PYTHON_RE = re.compile(r"3\.(1[0-4])\Z")  # 3.10 to 3.14: the Pythons with a slim image and CI runner
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
MAX_NAME = 64
CHOICES = {"log_format": ("json", "text"), "log_to_file": ("no", "yes")}


def check_package_name(value: str) -> str | None:
    if not PACKAGE_RE.match(value) or len(value) > MAX_NAME:
        return "must be a lower-case Python identifier (letters, digits, _; not starting with a digit)"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return "must not be a Python keyword"
    if value in SHADOWED_MODULES:
        return "must not shadow a module the service imports (standard library, flask, gunicorn, ...)"
    return None


def check_project_slug(value: str) -> str | None:
    if not SLUG_RE.match(value) or len(value) > MAX_NAME:
        return (
            "must be a valid distribution and directory name: lower-case letters and digits, "
            "words joined by single '-' or '_', starting with a letter, at most 64 characters"
        )
    return None


def check_python_version(value: str) -> str | None:
    if not PYTHON_RE.match(value):
        return "must be a Python version from 3.10 (the service uses 3.10 syntax) to 3.14 (the newest released)"
    return None


def check_author_email(value: str) -> str | None:
    if not EMAIL_RE.match(value):
        return "must look like an e-mail address (name@example.com)"
    return None


def check_single_line(value: str) -> str | None:
    if not value.strip() or any(ch in value for ch in "\r\n\x00"):
        return "must be a non-empty single line"
    return None


def check_choice(field: str, value: str) -> str | None:
    if value not in CHOICES[field]:
        return "must be one of: " + ", ".join(CHOICES[field])
    return None


RULES = [
    ("project_name", check_single_line),
    ("description", check_single_line),
    ("author_name", check_single_line),
    ("project_slug", check_project_slug),
    ("package_name", check_package_name),
    ("python_version", check_python_version),
    ("author_email", check_author_email),
    ("log_format", lambda v: check_choice("log_format", v)),
    ("log_to_file", lambda v: check_choice("log_to_file", v)),
]
FIELDS = [field for field, _ in RULES]


def validate(answers: dict[str, str]) -> list[str]:
    """Return one message per bad answer: field, value and the rule it breaks."""
    errors = []
    for field, rule in RULES:
        problem = rule(answers[field])
        if problem:
            errors.append(f"ERROR: {field}={answers[field]!r} {problem}.")
    return errors


# Rendered by cookiecutter into a JSON document; JSON escapes every quote and control
# character, so no answer can break out of this raw string. Parsed in main(), not at import,
# so the unrendered file still imports in the template tests.
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    errors = validate({field: str(answers.get(field, "")) for field in FIELDS})
    for line in errors:
        print(line, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
