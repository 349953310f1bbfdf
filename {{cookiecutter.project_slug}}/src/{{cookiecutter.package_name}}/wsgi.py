"""WSGI entry point: ``gunicorn {{ cookiecutter.package_name }}.wsgi:app``.

Building the app here, at import, is this module's only job. A bad environment value ends
start-up with one CRITICAL line and exit status 4 instead of a traceback.
"""

from . import create_app
from .env import exit_on_config_error

app = exit_on_config_error(create_app)
