"""``python -m {{ cookiecutter.package_name }}.logs`` and ``{{ cookiecutter.project_slug }}-logs``: the log tools without the app.

Why a module: logs are read when something is wrong, often with the service itself, and
``flask --app {{ cookiecutter.package_name }} logs`` builds the app first: a bad ``LOG_LEVEL``
or an unwritable ``LOG_FILE`` stops it before a line is read, and a file-logging build would
create its log directory. This entry runs the same click group directly: it reads no
settings, configures no logging and creates no file or directory. ``flask ... logs`` stays
as an alias for it.
"""

from __future__ import annotations

from .cli import logs_group

PROG_NAME = "{{ cookiecutter.project_slug }}-logs"


def main(prog_name: str = PROG_NAME) -> None:
    """The console script in ``[project.scripts]``."""
    logs_group.main(prog_name=prog_name)


if __name__ == "__main__":
    main(f"python -m {__package__}")
