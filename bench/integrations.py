"""What each optional integration costs per request when on, and that it costs nothing when off.

One command from a clone: ``python3 bench/integrations.py`` (about two minutes on a
2-core machine). It bakes the template with its defaults, installs the baked project with
every extra (``[sentry,metrics,otel]``) into a throw-away virtualenv, and measures the baked
app's ``GET /health`` (summary at INFO) called as WSGI in a loop, in one fresh process per
configuration, so one integration's global set-up (Sentry's patches, OpenTelemetry's
provider) never leaks into another's numbers:

- ``off``: every extra installed, none configured (the default): the reference;
- ``sentry``: ``SENTRY_DSN`` set (no transactions: ``SENTRY_TRACES_SAMPLE_RATE=0``, the default);
- ``metrics``: ``METRICS_ENABLED=true``;
- ``otel traces``: OTLP/HTTP to a receiver this script runs on loopback, every span exported;
- ``otel traces + logs``: the same and ``OTEL_LOGS_EXPORTER=otlp``.

The configurations take turns, round after round (order reversed every other round), and the
median over rounds is reported: wall time and the process's CPU time per request (every
thread: the batch processors' export work is on theirs). The extra cost is each one's minus
``off``'s. Off costs nothing by construction: an integration that is off is never imported
(``tests/test_integrations.py`` in the baked project checks it), so ``off`` is the default
service's own cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import HOST, INSTALL_TIMEOUT, bake, ensure_venv, progress, run_command, scrubbed_env

EXTRAS = "sentry,metrics,otel"
SERVICE = {"ENV_FILE": "", "LOG_FILE": "", "LOG_FORMAT": "json", "LOG_PROBE_PATHS": ""}
CONFIGS: dict[str, dict[str, str]] = {
    "off (extras installed)": {},
    "sentry": {"SENTRY_DSN": "https://publickey@127.0.0.1:9/1"},
    "metrics": {"METRICS_ENABLED": "true"},
    "otel traces": {"OTEL_TRACES_EXPORTER": "otlp"},
    "otel traces + logs": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp"},
}
RESULT = "bench-result: "
# One process of one configuration: build the app, warm up, time N calls of GET /health.
MEASURE = r"""
import json, os, sys, time
from {package} import create_app
RESULT = {marker!r}
from werkzeug.test import EnvironBuilder

app = create_app()
environ = EnvironBuilder(path="/health", headers={{"X-Request-ID": "bench-1"}}).get_environ()
def start_response(status, headers, exc_info=None):
    return None
def call():
    body = app(dict(environ), start_response)
    for _ in body:
        pass
    getattr(body, "close", lambda: None)()
number = int(sys.argv[1])
for _ in range(number // 5):
    call()
wall, cpu = time.perf_counter(), time.process_time()
for _ in range(number):
    call()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(RESULT + json.dumps({{"wall_us": wall / number * 1e6, "cpu_us": cpu / number * 1e6}}), flush=True)
"""


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that accepts and discards (the collector's side is not measured)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def measure(python: Path, project: Path, package: str, env: dict[str, str], number: int) -> dict[str, float]:
    code = MEASURE.format(package=package, marker=RESULT)
    full_env = scrubbed_env(**SERVICE, **env)
    done = subprocess.run(
        [str(python), "-c", code, str(number)],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring failed:\n{done.stderr[-3000:]}")
    # The service's own lines go to stdout too: the result is the marked line.
    (line,) = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    return json.loads(line.removeprefix(RESULT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--number", type=int, default=3000, help="requests per process")
    parser.add_argument("--venv", type=Path, help="reuse a virtualenv (created if missing)")
    args = parser.parse_args()

    receiver = ThreadingHTTPServer((HOST, 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{HOST}:{receiver.server_address[1]}"}
    with tempfile.TemporaryDirectory(prefix="bench-integrations-") as scratch:
        python = ensure_venv(args.venv or Path(scratch) / "venv")
        project, package = bake(python, Path(scratch) / "out")
        progress(f"installing the baked project with [{EXTRAS}]")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run_command([*pip, f"{project}[{EXTRAS}]"], timeout=INSTALL_TIMEOUT)
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
        names = list(CONFIGS)
        for round_index in range(args.rounds):
            progress(f"round {round_index + 1}/{args.rounds}")
            for name in names if round_index % 2 == 0 else reversed(names):
                env = {**CONFIGS[name], **(endpoint if name.startswith("otel") else {})}
                samples[name].append(measure(python, project, package, env, args.number))
    receiver.shutdown()
    report(samples, args)


def report(samples: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    medians = {
        name: {key: statistics.median(s[key] for s in runs) for key in ("wall_us", "cpu_us")}
        for name, runs in samples.items()
    }
    off = medians[next(iter(CONFIGS))]
    print(f"Per request, `GET /health` as WSGI, {args.number} calls per process, median of {args.rounds} rounds:\n")
    print("| configuration | wall us/request | CPU us/request | extra CPU us vs off | CPU / off |")
    print("|---|---|---|---|---|")
    for name, median in medians.items():
        extra = median["cpu_us"] - off["cpu_us"]
        ratio = median["cpu_us"] / off["cpu_us"]
        print(f"| {name} | {median['wall_us']:.1f} | {median['cpu_us']:.1f} | {extra:+.1f} | {ratio:.2f}x |")
    print(f"\nPython {sys.version.split()[0]} on {platform_line()}")


def platform_line() -> str:
    import os
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{', ' + model if model else ''}"


if __name__ == "__main__":
    main()
