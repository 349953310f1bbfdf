"""Finish a generated project: drop the files of options not chosen, then say what to do next.

Every optional feature lives in files of its own; this hook deletes the ones the answers did
not ask for, one small function per option. It installs nothing and touches no network.
The file stays valid Python before rendering (the answers arrive as a JSON string parsed
in ``main``), so the template tests import and call its functions directly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Files that exist only for log_to_file == "yes", relative to the project root.
FILE_LOGGING_FILES = (
    "src/{package}/observability/file_handler.py",
    "tests/test_file_handler.py",
)

# Rendered by cookiecutter; see the pre-generation hook for why this is safe.
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""


def remove_files(project: Path, relative_paths: list[str]) -> None:
    for relative in relative_paths:
        (project / relative).unlink(missing_ok=True)


def remove_file_logging_files(project: Path, package: str) -> None:
    remove_files(project, [path.format(package=package) for path in FILE_LOGGING_FILES])


def next_steps(slug: str, package: str) -> str:
    return "\n".join(
        [
            "",
            f"Created {slug}. Next steps:",
            f"  cd {slug}",
            "  python -m venv .venv && . .venv/bin/activate",
            '  pip install -e ".[dev]"',
            "  pytest && ruff check . && ruff format --check .",
            f"  flask --app {package} run            # local, readable with LOG_FORMAT=text",
            f"  gunicorn {package}.wsgi:app           # production (reads gunicorn.conf.py)",
            "",
        ]
    )


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    package = answers["package_name"]
    slug = answers["project_slug"]
    log_to_file = answers["log_to_file"]

    project = Path.cwd()
    if log_to_file != "yes":
        remove_file_logging_files(project, package)
    print(next_steps(slug, package))
    return 0


if __name__ == "__main__":
    sys.exit(main())
