"""The physical limit: the same route as the baked service, with no logging set-up at all.

Also the app behind gunicorn's JSON access log (``gunicorn_json.conf.py``): there, the server
writes the line and the app does nothing.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health():
    return {"status": "ok"}
