"""Benchmark the template's baked service: what does its logging cost, and is it bounded?

One command from a fresh clone, with only ``python3`` (3.10+) installed::

    python3 bench/run.py

It makes a throw-away virtualenv, installs cookiecutter, flask, gunicorn, python-dotenv and
python-json-logger, bakes the template with its defaults, and measures side by side:

1. requests/s of ``GET /health`` on the baked service vs a bare Flask app, both under gunicorn
   with one sync worker, alternating rounds (``wrk`` if installed, else ``loadgen.py``);
2. microseconds per ``request_completed`` record through the service's pipeline vs
   python-json-logger and the seed article's naive formatter (``micro.py``, in a subprocess);
3. the size of a real ``request_completed`` line vs the naive formatter's for the same record;
4. the redactor and the whole pipeline on 1 KB / 100 KB / 1 MB payloads (bounded, not linear).

It prints markdown tables (medians, ratios, PASS/FAIL per target, machine facts) and writes
everything to ``bench/results/latest.json``. A missed target is reported, not raised: the exit
status is 0 unless a step itself failed. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE = BENCH_DIR.parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
PACKAGES = ("cookiecutter", "flask", "gunicorn", "python-dotenv", "python-json-logger")
# Installed with the baked project itself; reported with the versions.
SERVICE_PACKAGES = ("orjson",)
HOST = "127.0.0.1"  # the only address this benchmark ever sends traffic to
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
INSTALL_TIMEOUT = 600.0
MICRO_TIMEOUT = 300.0

TARGET_THROUGHPUT_RATIO = 0.90
TARGET_RECORD_SPEEDUP = 1.5
TARGET_LINE_BYTES = 300
TARGET_HOSTILE_GROWTH = 8.0  # hostile text, 16 KB / 4 KB: linear work is ~4x, quadratic 16x (noise: up to ~6x)
TARGET_FLATNESS = 2.0  # 1 MB may cost at most this many times the smaller payload (linear: 10x-1000x)

# Environment variables that would change what either server does; the benchmark sets its own.
SCRUBBED_PREFIXES = ("LOG_", "GUNICORN_", "DEBUG_LOG", "SLOW_REQUEST", "WEB_CONCURRENCY", "PYTHON", "FLASK_")

BARE_APP = '''\
"""The baseline: the same route as the baked service, with no logging set-up at all."""

from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health():
    return {"status": "ok"}
'''

# The baked gunicorn.conf.py's defaults with WEB_CONCURRENCY=1, minus its logger class.
BARE_GUNICORN_CONF = """\
import os

bind = f"127.0.0.1:{os.environ['PORT']}"
workers = 1
threads = 1
timeout = 30
graceful_timeout = 30
keepalive = 2
errorlog = "-"
loglevel = "info"
accesslog = None
"""


class BenchError(RuntimeError):
    """A step of the benchmark failed; the run stops with a non-zero exit status."""


# -- processes ----------------------------------------------------------------------------------


def run_command(command: list[str], *, timeout: float, cwd: Path | None = None, env: dict | None = None) -> str:
    """Run a command to completion and return its stdout; any failure becomes a BenchError."""
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{command[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def scrubbed_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would tune the servers under test."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED_PREFIXES)}
    return {**env, **extra}


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays the pasteable report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- set-up ---------------------------------------------------------------------------------------


def ensure_venv(path: Path) -> Path:
    """A virtualenv with the benchmark's packages; returns its python. Reused if it exists."""
    python = path / "bin" / "python"
    if not python.exists():
        progress(f"creating virtualenv in {path}")
        run_command([sys.executable, "-m", "venv", str(path)], timeout=120)
    progress("installing " + " ".join(PACKAGES))
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run_command([*pip, *PACKAGES], timeout=INSTALL_TIMEOUT)
    return python


def package_versions(python: Path) -> dict[str, str]:
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    return json.loads(run_command([str(python), "-c", code, *PACKAGES, *SERVICE_PACKAGES], timeout=60))


def bake(python: Path, output: Path) -> tuple[Path, str]:
    """Bake the template with its defaults; return the project directory and package name."""
    progress(f"baking {TEMPLATE} with defaults")
    run_command([str(python), "-m", "cookiecutter", "--no-input", str(TEMPLATE), "-o", str(output)], timeout=120)
    projects = [p for p in output.iterdir() if p.is_dir()]
    if len(projects) != 1:
        raise BenchError(f"expected one baked project in {output}, found {projects}")
    packages = [p.name for p in (projects[0] / "src").iterdir() if (p / "__init__.py").is_file()]
    if len(packages) != 1:
        raise BenchError(f"expected one package under {projects[0] / 'src'}, found {packages}")
    # The service runs with the runtime dependencies it declares (orjson among them), as
    # `pip install` of the generated project would give it.
    progress("installing the baked project's declared dependencies")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run_command([*pip, str(projects[0])], timeout=INSTALL_TIMEOUT)
    return projects[0], packages[0]


def write_bare_app(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (directory / "gunicorn_bare.conf.py").write_text(BARE_GUNICORN_CONF, encoding="utf-8")
    return directory


# -- servers ---------------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn master we started (in its own session, so its workers go with it)."""

    name: str
    port: int
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(spec: ServerSpec, logs: Path) -> Server:
    """Start gunicorn with stdout to a file, as a log collector would read it in production."""
    port = free_port()
    stdout_path, stderr_path = logs / f"{spec.name}.stdout.log", logs / f"{spec.name}.stderr.log"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            spec.command,
            cwd=spec.cwd,
            env={**spec.env, "PORT": str(port)},
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Server(spec.name, port, process, stdout_path, stderr_path)


def health_status(port: int) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status
    finally:
        conn.close()


def wait_ready(server: Server) -> None:
    """Poll /health until it answers 200; a server that dies or never answers is an error."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.stderr_path.read_text(errors="replace")[-3000:]
            raise BenchError(f"{server.name} gunicorn exited with {server.process.returncode}:\n{tail}")
        with suppress(OSError, http.client.HTTPException):
            if health_status(server.port) == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer GET /health within {READY_TIMEOUT:.0f}s")


def stop_server(server: Server) -> None:
    """SIGTERM the master (graceful), then SIGKILL its process group if it lingers."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextmanager
def running(specs: list[ServerSpec], logs: Path) -> Iterator[dict[str, Server]]:
    """Start every server and wait for it; always stop the ones that started."""
    servers: dict[str, Server] = {}
    try:
        for spec in specs:
            servers[spec.name] = start_server(spec, logs)
        for server in servers.values():
            wait_ready(server)
        yield servers
    finally:
        for server in servers.values():
            stop_server(server)


def server_specs(python: Path, project: Path, package: str, bare_dir: Path) -> list[ServerSpec]:
    """Both servers under the same gunicorn settings: one sync worker, loopback only."""
    gunicorn = str(python.parent / "gunicorn")
    common = {"HOST": HOST, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1", "ENV_FILE": "", "LOG_FILE": ""}
    return [
        ServerSpec(
            "baked",
            [gunicorn, f"{package}.wsgi:app", "-c", "gunicorn.conf.py"],
            project,
            scrubbed_env(**common, PYTHONPATH=str(project / "src")),
        ),
        ServerSpec(
            "bare",
            [gunicorn, "bare_app:app", "-c", "gunicorn_bare.conf.py"],
            bare_dir,
            scrubbed_env(**common, PYTHONPATH=str(bare_dir)),
        ),
    ]


# -- load ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSettings:
    use_wrk: bool
    connections: int
    seconds: int


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, request count and error count from wrk's text report."""
    rps = re.search(r"Requests/sec:\s*([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if not rps or not total:
        raise BenchError(f"could not parse wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return {"rps": float(rps.group(1)), "requests": int(total.group(1)), "errors": errors}


def load(port: int, settings: LoadSettings, seconds: int) -> dict[str, float]:
    """Drive GET /health on 127.0.0.1:port for ``seconds``; return rps, requests, errors."""
    if settings.use_wrk:
        url = f"http://{HOST}:{port}/health"
        command = ["wrk", "-t1", f"-c{settings.connections}", f"-d{seconds}s", "--timeout", "5s", url]
        return parse_wrk(run_command(command, timeout=seconds + 30))
    command = [
        sys.executable,
        str(BENCH_DIR / "loadgen.py"),
        f"--port={port}",
        f"--seconds={seconds}",
        f"--connections={settings.connections}",
    ]
    return json.loads(run_command(command, timeout=seconds + 30))


def throughput(servers: dict[str, Server], settings: LoadSettings, rounds: int, warmup: int) -> dict[str, object]:
    """Warm both up, then alternate them (ABBA...) so drift affects both equally."""
    names = list(servers)
    warmups = {}
    for name in names:
        progress(f"warming up {name} for {warmup}s")
        warmups[name] = load(servers[name].port, settings, warmup)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else names[::-1]:
            result = load(servers[name].port, settings, settings.seconds)
            progress(f"round {index + 1}/{rounds} {name}: {result['rps']:.0f} req/s, {result['errors']} errors")
            runs[name].append(result)
    medians = {name: statistics.median(r["rps"] for r in runs[name]) for name in names}
    return {
        "warmup": warmups,
        "rounds": runs,
        "median_rps": medians,
        "ratio_baked_over_bare": medians["baked"] / medians["bare"],
    }


def service_line(log_path: Path) -> tuple[str, int]:
    """A typical request_completed line (generated 32-char request ID) and how many were logged."""
    example, count = "", 0
    with log_path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"request_completed"' not in line:
                continue
            count += 1
            if not example:
                with suppress(ValueError):
                    event = json.loads(line)
                    if len(str(event.get("request_id", ""))) == 32 and event.get("path") == "/health":
                        example = line.rstrip("\n")
    if not example:
        raise BenchError(f"no request_completed JSON line with a 32-char request ID in {log_path}")
    return example, count


# -- in-process measurements ---------------------------------------------------------------------------


def run_micro(python: Path, project: Path, package: str, repeats: int, number: int) -> dict[str, object]:
    progress(f"per-record and redaction timings ({repeats} x {number} calls per variant)")
    command = [str(python), str(BENCH_DIR / "micro.py"), f"--package={package}", f"--repeats={repeats}"]
    env = scrubbed_env(PYTHONPATH=str(project / "src"), ENV_FILE="", LOG_FILE="")
    return json.loads(run_command([*command, f"--number={number}"], timeout=MICRO_TIMEOUT, cwd=project, env=env))


# -- report ----------------------------------------------------------------------------------------------


def machine_facts(python: Path, use_wrk: bool) -> dict[str, object]:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = ""
    if use_wrk:
        with suppress(OSError, subprocess.SubprocessError):
            wrk_out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
            match = re.search(r"wrk \S+", wrk_out.stdout + wrk_out.stderr)
            wrk_version = match.group(0) if match else "wrk"
    version = run_command([str(python), "-c", "import sys; print(sys.version.split()[0])"], timeout=30).strip()
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model or platform.processor() or "unknown",
        "python": version,
        "platform": platform.platform(),
        "load_generator": wrk_version if use_wrk else python_load_label(),
        "wrk_used": use_wrk,
        "template_commit": template_commit(),
    }


def python_load_label() -> str:
    reason = "--no-wrk" if shutil.which("wrk") else "wrk not found"
    return f"bench/loadgen.py (Python; {reason})"


def template_commit() -> str:
    with suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(TEMPLATE)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, timeout=10)
        if head.returncode == 0:
            return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    return "unknown"


@dataclass(frozen=True)
class Check:
    metric: str
    target: str
    measured: str
    passed: bool


def checks(results: dict) -> list[Check]:
    """Each target, the value measured for it, and whether it was met."""
    tp, per, lines = results["throughput"], results["micro"]["per_record"], results["line_bytes"]
    red, e2e = results["micro"]["redaction"], results["micro"]["end_to_end"]
    ours, pjl = per["ours"]["median_us"], per["python_json_logger"]["median_us"]
    value_ratio = red["1MB"]["value"]["median_us"] / red["100KB"]["value"]["median_us"]
    text_ratio = red["1MB"]["text"]["median_us"] / red["100KB"]["text"]["median_us"]
    e2e_ratio = e2e["dict_1MB"]["median_us"] / e2e["dict_100KB"]["median_us"]
    hostile = {k: v for k, v in results["micro"]["hostile_redaction"].items() if not k.startswith("benign")}
    worst = max(hostile, key=lambda k: hostile[k]["16KB"] / hostile[k]["4KB"])
    growth = hostile[worst]["16KB"] / hostile[worst]["4KB"]
    medians = tp["median_rps"]
    return [
        Check(
            "throughput, baked / bare Flask (req/s)",
            f">= {TARGET_THROUGHPUT_RATIO:.2f}",
            f"{tp['ratio_baked_over_bare']:.3f} ({medians['baked']:.0f} / {medians['bare']:.0f})",
            tp["ratio_baked_over_bare"] >= TARGET_THROUGHPUT_RATIO,
        ),
        Check(
            "per record, python-json-logger / ours (us)",
            f">= {TARGET_RECORD_SPEEDUP:.1f}x",
            f"{pjl / ours:.2f}x ({pjl:.2f} / {ours:.2f} us)",
            pjl / ours >= TARGET_RECORD_SPEEDUP,
        ),
        Check(
            "request_completed line size",
            f"<= {TARGET_LINE_BYTES} B",
            f"{lines['ours']} B (naive: {lines['naive']} B)",
            lines["ours"] <= TARGET_LINE_BYTES,
        ),
        Check(
            "Redactor.value, 1 MB / 100 KB payload",
            f"<= {TARGET_FLATNESS:.1f}x",
            f"{value_ratio:.2f}x ({red['1MB']['value']['median_us']:.0f} us)",
            value_ratio <= TARGET_FLATNESS,
        ),
        Check(
            "Redactor.text, 1 MB / 100 KB string",
            f"<= {TARGET_FLATNESS:.1f}x",
            f"{text_ratio:.2f}x ({red['1MB']['text']['median_us']:.1f} us)",
            text_ratio <= TARGET_FLATNESS,
        ),
        Check(
            "Redactor.text on hostile text, 16 KB / 4 KB (worst input)",
            f"<= {TARGET_HOSTILE_GROWTH:.1f}x",
            f"{growth:.2f}x ({worst}: {hostile[worst]['16KB']:.0f} us)",
            growth <= TARGET_HOSTILE_GROWTH,
        ),
        Check(
            "logging a record with a 1 MB extra, vs 100 KB",
            f"<= {TARGET_FLATNESS:.1f}x",
            f"{e2e_ratio:.2f}x ({e2e['dict_1MB']['median_us']:.0f} us, {e2e['dict_1MB']['line_bytes']} B line)",
            e2e_ratio <= TARGET_FLATNESS,
        ),
    ]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


VARIANTS = (
    ("ours", "ours (the service's configured pipeline)"),
    ("python_json_logger", "python-json-logger (stdlib defaults)"),
    ("python_json_logger_service_flags", "python-json-logger with the service's record switches"),
    ("naive", "naive seed formatter"),
    ("stdlib_floor", "stdlib floor (plain %(message)s formatter)"),
)


def throughput_rows(results: dict) -> list[list[str]]:
    tp = results["throughput"]
    return [
        ["GET /health req/s, baked service", f"{tp['median_rps']['baked']:.0f}", ""],
        [
            "GET /health req/s, bare Flask",
            f"{tp['median_rps']['bare']:.0f}",
            f"baked/bare {tp['ratio_baked_over_bare']:.3f}",
        ],
        ["request_completed lines logged / requests served", f"{results['logged_lines_per_request']:.3f}", ""],
    ]


def record_rows(per: dict) -> list[list[str]]:
    """Whole ``logger.info`` calls, then ``format()`` alone; ratios are variant / ours."""
    rows = []
    for section, values in (("per record", per), ("format() only", per["format_only"])):
        ours = values["ours"]["median_us"]
        for name, label in VARIANTS:
            if name in values:
                median = values[name]["median_us"]
                rows.append([f"{section} us, {label}", f"{median:.2f}", f"{median / ours:.2f}x ours"])
    return rows


def size_rows(results: dict) -> list[list[str]]:
    lines, red, e2e = results["line_bytes"], results["micro"]["redaction"], results["micro"]["end_to_end"]
    rows = [
        ["line bytes, ours (from gunicorn's stdout)", f"{lines['ours']}", ""],
        [
            "line bytes, naive formatter, same record",
            f"{lines['naive']}",
            f"{lines['naive'] / lines['ours']:.2f}x ours",
        ],
    ]
    for label in ("1KB", "100KB", "1MB"):
        rows.append([f"Redactor.value us, {label} nested payload", f"{red[label]['value']['median_us']:.1f}", ""])
    for label in ("1KB", "100KB", "1MB"):
        rows.append([f"Redactor.text us, {label} string", f"{red[label]['text']['median_us']:.1f}", ""])
    hostile = results["micro"]["hostile_redaction"]
    benign = hostile["benign, one secret"]["4KB"]
    for label, item in hostile.items():
        note = f"{item['4KB'] / benign:.1f}x benign at 4 KB; 16 KB: {item['16KB']:.0f} us"
        rows.append([f"Redactor.text us, 4 KB of {label}", f"{item['4KB']:.0f}", note])
    for label, item in e2e.items():
        kind, size = label.split("_")
        rows.append([f"log record us, {size} {kind} extra", f"{item['median_us']:.1f}", f"{item['line_bytes']} B line"])
    return rows


def details_table(results: dict) -> str:
    """Medians and ratios behind the checks, for the README."""
    rows = throughput_rows(results) + record_rows(results["micro"]["per_record"]) + size_rows(results)
    return table(["measurement", "median", "ratio / note"], rows)


def report(results: dict, verdicts: list[Check]) -> str:
    """The pasteable markdown: details, the PASS/FAIL summary and the machine it ran on."""
    facts = results["machine"]
    summary = table(
        ["metric", "target", "measured", "result"],
        [[c.metric, c.target, c.measured, "PASS" if c.passed else "FAIL"] for c in verdicts],
    )
    machine = (
        f"Machine: {facts['nproc']} CPUs ({facts['cpu_model']}), Python {facts['python']}, "
        f"load: {facts['load_generator']}, {results['config']['rounds']} rounds x "
        f"{results['config']['seconds']}s, {results['config']['connections']} connections, "
        f"template {facts['template_commit']}."
    )
    return f"## Details\n\n{details_table(results)}\n\n## Summary\n\n{summary}\n\n{machine}\n"


# -- main ----------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the baked service's logging (see bench/README.md).")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds per server (even: ABBA balanced)")
    parser.add_argument("--seconds", type=int, default=3, help="seconds per load round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load per server")
    parser.add_argument("--connections", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches per logging variant")
    parser.add_argument("--number", type=int, default=20_000, help="records per timed batch")
    parser.add_argument("--venv", type=Path, help="reuse (or create) this virtualenv instead of a temporary one")
    parser.add_argument("--no-wrk", action="store_true", help="use bench/loadgen.py even if wrk is installed")
    args = parser.parse_args()
    if min(args.rounds, args.seconds, args.warmup, args.connections, args.repeats, args.number) < 1:
        parser.error("all counts and durations must be >= 1")
    if args.rounds * args.seconds > 120:
        parser.error("rounds x seconds is capped at 120 per server to keep the run bounded")
    return args


def measure(args: argparse.Namespace, workdir: Path) -> dict:
    """Every measurement, as one JSON-ready dict."""
    python = ensure_venv(args.venv.resolve() if args.venv else workdir / "venv")
    project, package = bake(python, workdir / "bake")
    bare_dir = write_bare_app(workdir / "bare")
    settings = LoadSettings(bool(shutil.which("wrk")) and not args.no_wrk, args.connections, args.seconds)
    logs = workdir / "logs"
    logs.mkdir()
    progress(f"load generator: {'wrk' if settings.use_wrk else 'bench/loadgen.py'}")
    with running(server_specs(python, project, package, bare_dir), logs) as servers:
        tp = throughput(servers, settings, args.rounds, args.warmup)
    line, logged = service_line(logs / "baked.stdout.log")
    served = tp["warmup"]["baked"]["requests"] + sum(r["requests"] for r in tp["rounds"]["baked"])
    micro = run_micro(python, project, package, args.repeats, args.number)
    return {
        "config": vars(args) | {"venv": str(args.venv) if args.venv else None, "package": package},
        "machine": machine_facts(python, settings.use_wrk),
        "versions": package_versions(python),
        "throughput": tp,
        "micro": micro,
        "service_line": line,
        "line_bytes": {"ours": len(line.encode()), "naive": len(micro["request_lines"]["naive"].encode())},
        # wrk counts only completed responses, and the readiness probe is logged too: ~1.0.
        "logged_lines_per_request": logged / served if served else 0.0,
    }


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks on SIGTERM too
    args = parse_args()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="logging-bench-") as tmp:
            results = measure(args, Path(tmp))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    results["elapsed_seconds"] = round(time.monotonic() - started, 1)
    verdicts = checks(results)
    results["checks"] = [vars(c) for c in verdicts]
    print(report(results, verdicts))
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    progress(f"done in {results['elapsed_seconds']}s; results in {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
