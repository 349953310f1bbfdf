"""How fast does the baked log tool answer on a big log, against ``grep -F`` and ``jq``?

One command from a clone, with only ``python3`` (3.10+) installed (``jq`` and ``grep`` for
the comparison rows; ``apt-get install -y jq``)::

    python3 bench/logs_speed.py [--size-gb 1.0] [--repeats 3] [--venv DIR] [--keep DIR]

It bakes the template with its defaults into a throw-away virtualenv (``run.py``'s helpers),
lets the baked service itself write a few thousand varied requests (orders that call two
dependencies, some failing with a traceback, searches, carts, DEBUG ``request_started`` for
a sampled share, W3C trace context on half of them), and turns them into templates. It then
writes a JSON log of at least ``--size-gb`` by repeating them with unique request and trace
IDs and varied durations (cheap string templating, so a gigabyte takes seconds, not the
service's own pace), and plants one needle request at 60 % of the file.

Side by side in one run (rounds alternate their order; medians are reported), on the file in
the page cache:

- one request: ``grep -F ID``, the runbook's ``jq`` command, and ``<slug>-logs trace ID``;
- ``<slug>-logs slow --min-ms N`` against the runbook's ``jq ... | sort -rn | head``;
- ``<slug>-logs errors`` against the runbook's ``jq`` for failed requests;
- the log tool's peak RSS for each command at a quarter of the size and at the full size,
  the smaller file being the first part of the larger (memory must not grow with the file).

It prints a markdown report (times, ratios, PASS/FAIL per target, the machine) to stdout and
progress to stderr. A missed target is reported, not raised. The log is deleted at the end
unless ``--keep DIR`` names where to leave it. This is a benchmark, never a test: the
template's test suite does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from run import BenchError, Check, bake, progress, run_command, template_commit

GB = 1_000_000_000
INSTALL_TIMEOUT = 600.0
COMMAND_TIMEOUT = 900.0
STORIES = 3000  # requests the baked service really serves, to become the templates
NEEDLE_AT = 0.6  # where in the file the needle request is planted (share of its size)
SLOW_MS = 1000  # slow --min-ms: about 1 % of the requests cross it
MEMORY_SHARE = 0.25  # peak RSS is also measured on this first part of the file

TARGET_TRACE_VS_GREP = 5.0  # trace ID at most this many times grep -F ID
TARGET_TRACE_VS_JQ = 10.0  # the runbook's jq for one request over trace: at least
TARGET_SLOW_VS_JQ = 5.0
TARGET_ERRORS_VS_JQ = 5.0
TARGET_RSS_GROWTH = 1.25  # peak RSS on the whole file over its first quarter: at most (linear: 4x)

# The runbook's jq commands (the baked README, "Troubleshooting runbook"), run by bash with
# LOG, RID and SLOW_MS in the environment.
JQ_TRACE = 'jq -c --arg rid "$RID" \'select(.request_id == $rid)\' "$LOG"'
JQ_SLOW = (
    'jq -r --argjson ms "$SLOW_MS" \'select(.msg == "request_completed" and .duration_ms >= $ms)'
    ' | [.duration_ms, .route // .path, .request_id] | @tsv\' "$LOG" | sort -rn | head'
)
JQ_ERRORS = (
    'jq -c \'select(.msg == "request_completed" and .status >= 500)'
    ' | {ts, request_id, route: (.route // .path), status}\' "$LOG"'
)

# -- the stories: run by the baked virtualenv's python (``--write-stories``) -----------------------

STORY_APP_SETTINGS = {
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "LOG_SAMPLE_RATE": "0.15",  # a sampled share of requests logs at DEBUG (request_started...)
    "SERVICE_NAME": "shop",
    "SERVICE_VERSION": "1.4.2",
    "DEPLOY_ENV": "prod",
    "ENV_FILE": "",
}


def write_stories(package: str, count: int) -> None:
    """Serve ``count`` varied requests with the baked service; its lines go to stdout.

    Runs inside the baked project's virtualenv. The routes do what a shop's do: an order
    reads stock and charges a payment (one in 25 payments answers 503 and the request fails
    with a traceback; one in 40 stock reads times out), a search logs what it found, a cart
    write calls its database; unknown orders are 404s.
    """
    import importlib
    import logging

    from flask import abort, request

    service = importlib.import_module(package)
    observability = importlib.import_module(f"{package}.observability")
    track, set_user, log_event = (
        observability.track_dependency,
        observability.set_user_context,
        observability.log_event,
    )
    app = service.create_app(STORY_APP_SETTINGS)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    log = logging.getLogger("shop")

    class PaymentUnavailable(Exception):
        pass

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, object]:
        set_user(request.headers["X-User"])
        if order_id % 17 == 0:
            abort(404)
        with track("inventory", "GET", f"http://inventory.internal/stock/{order_id}?token=abc") as call:
            if order_id % 40 == 1:
                raise TimeoutError("timed out")
            call.status = 200
        with track("payments", "POST", "http://payments.internal/charge") as call:
            call.status = 503 if order_id % 25 == 3 else 200
        if call.status == 503:
            raise PaymentUnavailable(f"payments answered 503 for order {order_id}")
        log.info("order_loaded", extra={"order_id": order_id, "items": order_id % 7 + 1})
        return {"order": order_id}

    @app.get("/search")
    def search() -> dict[str, object]:
        found = len(request.args.get("q", "")) * 3
        log_event(log, "search_done", results=found, query=request.args.get("q", ""))
        if found == 0:
            log.warning("search_empty", extra={"query": request.args.get("q", "")})
        return {"results": found}

    @app.post("/cart/<int:item>")
    def cart(item: int) -> tuple[dict[str, object], int]:
        set_user(request.headers["X-User"])
        with track("cart-db", "INSERT", "postgresql://db.internal/cart") as call:
            call.status = 200
        return {"item": item}, 201

    client = app.test_client()
    for i in range(count):
        headers = {"X-Request-ID": f"story{i:027d}", "X-User": f"u-{i * 7919 % 500}"}
        if i % 2:
            headers["traceparent"] = f"00-{i:032x}-{i:016x}-01"
        kind = i % 10
        if kind < 6:
            client.get(f"/orders/{i}", headers=headers)
        elif kind < 8:
            client.get(f"/search?q={'shoes' if i % 3 else ''}&page={i % 5}", headers=headers)
        else:
            client.post(f"/cart/{i}", headers=headers, json={"qty": 1})


# -- the log: templates, repeated -------------------------------------------------------------------


DURATION = re.compile(r'"duration_ms":[0-9.eE+-]+')


def templates_of(story_lines: list[str]) -> list[str]:
    """Each request's lines as one ``%`` template (its request ID, trace ID and summary
    duration as placeholders); lines of no request (start-up) are left out."""
    stories: dict[str, list[str]] = {}
    for line in story_lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        rid = record.get("request_id")
        if not isinstance(rid, str) or rid == "-":
            continue
        text = line.replace("%", "%%").replace(rid, "%(rid)s")
        trace = record.get("trace_id")
        if isinstance(trace, str):
            text = text.replace(trace, "%(tid)s")
        if record.get("msg") == "request_completed":
            text = DURATION.sub('"duration_ms":%(dur)s', text, count=1)
        stories.setdefault(rid, []).append(text)
    return ["\n".join(lines) + "\n" for lines in stories.values()]


DURATIONS = 65_521  # distinct request durations, drawn once (a prime: no cycle with the templates)
ODD_128 = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd, so n -> n * ODD_128 mod 2**128 is one-to-one


def scrambled(n: int, salt: int) -> str:
    """A unique ID for ``n`` that looks like the service's (32 random-looking hex digits)."""
    return f"{(n * ODD_128 + salt * 0x5851F42D4C957F2D) % (1 << 128):032x}"


@dataclass
class LogFile:
    path: Path
    templates: list[str]
    written: int = 0
    lines: int = 0
    instances: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(17))

    def append_until(self, size: int, needle_at: int) -> str:
        """Append repeated requests until the file has ``size`` bytes, with a needle request
        (a fresh ID on a failing order's story) at ``needle_at``; returns the needle's ID."""
        durations = [f"{min(self.rng.lognormvariate(4.0, 1.2), 60_000):.2f}" for _ in range(DURATIONS)]
        needle_story = next(t for t in self.templates if "PaymentUnavailable" in t)
        needle = f"{self.rng.getrandbits(128):032x}"
        with self.path.open("a", encoding="utf-8") as out:
            while self.written < size:
                chunk: list[str] = []
                for template in self.templates:
                    self.instances += 1
                    n = self.instances
                    chunk.append(
                        template % {"rid": scrambled(n, 1), "tid": scrambled(n, 2), "dur": durations[n % DURATIONS]}
                    )
                if self.written < needle_at <= self.written + sum(map(len, chunk)):
                    chunk.insert(len(chunk) // 2, needle_story % {"rid": needle, "tid": needle, "dur": "2345.67"})
                text = "".join(chunk)
                out.write(text)
                self.written += len(text.encode())
                self.lines += text.count("\n")
        return needle


# -- timing and memory ------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    stdout: str


def timed(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run to completion: wall time and output (to a file, as a person's redirect would)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False, timeout=COMMAND_TIMEOUT
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{' '.join(command)} took over {COMMAND_TIMEOUT:g}s") from exc
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise BenchError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        out.seek(0)
        return Run(seconds, out.read().decode(errors="replace"))


@dataclass(frozen=True)
class Command:
    name: str
    argv: Callable[[Path, str], list[str]]  # (log, needle) -> argv
    tool_args: tuple[str, ...] = ()  # the log tool's arguments (its peak RSS is measured)


def commands(tool: Path, jq: bool) -> list[Command]:
    bash = shutil.which("bash") or "/bin/bash"
    found = [
        Command("grep -F ID", lambda log, rid: ["grep", "-F", rid, str(log)]),
        Command("logs trace ID", lambda log, rid: [str(tool), "trace", rid, str(log)], ("trace", "{rid}")),
        Command(
            "logs slow",
            lambda log, rid: [str(tool), "slow", "--min-ms", str(SLOW_MS), str(log)],
            ("slow", "--min-ms", str(SLOW_MS)),
        ),
        Command("logs errors", lambda log, rid: [str(tool), "errors", str(log)], ("errors",)),
    ]
    if jq:
        found += [
            Command("jq, one request", lambda log, rid: [bash, "-c", JQ_TRACE]),
            Command("jq, slow", lambda log, rid: [bash, "-c", JQ_SLOW]),  # head closes the pipe: no pipefail
            Command("jq, errors", lambda log, rid: [bash, "-c", JQ_ERRORS]),
        ]
    return found


def measure_times(chosen: list[Command], log: Path, rid: str, repeats: int, cwd: Path) -> dict[str, list[Run]]:
    """Every command ``repeats`` times, the order reversed every other round."""
    env = {**os.environ, "LOG": str(log), "RID": rid, "SLOW_MS": str(SLOW_MS), "LC_ALL": "C"}
    runs: dict[str, list[Run]] = {c.name: [] for c in chosen}
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # into the page cache
    for round_number in range(repeats):
        order = chosen if round_number % 2 == 0 else list(reversed(chosen))
        for command in order:
            run = timed(command.argv(log, rid), env, cwd)
            runs[command.name].append(run)
            progress(f"round {round_number + 1}: {command.name}: {run.seconds:.2f}s")
    return runs


# The log tool's own peak RSS: VmHWM belongs to the process's memory after exec, where a
# fork's ru_maxrss would also count the benchmark's memory it was forked from.
PEAK_RSS = """
import atexit, sys
from pathlib import Path
out, package, sys.argv = sys.argv[1], sys.argv[2], ["logs", *sys.argv[3:]]
def peak():
    status = Path("/proc/self/status").read_text().splitlines()
    Path(out).write_text(next(l for l in status if l.startswith("VmHWM:")).split()[1])
atexit.register(peak)
__import__(package + ".logs.__main__", fromlist=["main"]).main()
"""


def peak_rss_kb(python: Path, package: str, command: Command, log: Path, rid: str, cwd: Path) -> int:
    """The log tool's peak resident memory for ``command`` on ``log``, in KB."""
    with tempfile.NamedTemporaryFile("r", suffix=".kb") as out:
        args = [arg.replace("{rid}", rid) for arg in command.tool_args]
        timed([str(python), "-c", PEAK_RSS, out.name, package, *args, str(log)], dict(os.environ), cwd)
        return int(Path(out.name).read_text())


def median(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


# -- checks and report ----------------------------------------------------------------------------------


def sanity(runs: dict[str, list[Run]], rid: str) -> list[str]:
    """What the outputs must agree on, so a fast wrong answer cannot pass."""
    problems = []
    grep_lines = runs["grep -F ID"][0].stdout.count("\n")
    if rid not in runs["logs trace ID"][0].stdout:
        problems.append("logs trace did not print the needle's ID")
    if "jq, one request" in runs and runs["jq, one request"][0].stdout.count("\n") != grep_lines:
        problems.append("jq and grep found different numbers of the needle's lines")
    if "jq, slow" in runs:
        jq_top = runs["jq, slow"][0].stdout.split("\t", 1)[0]
        if not jq_top or jq_top not in runs["logs slow"][0].stdout:
            problems.append(f"the slowest duration jq found ({jq_top}) is not in logs slow's output")
    if "jq, errors" in runs:
        jq_count = runs["jq, errors"][0].stdout.count("\n")
        ours = runs["logs errors"][0].stdout.count("\n")
        if jq_count != ours:
            problems.append(f"jq found {jq_count} failed requests, logs errors {ours}")
    return problems


def checks(times: dict[str, list[Run]], rss: dict[str, tuple[int, int]]) -> list[Check]:
    found = []
    trace, grep = median(times["logs trace ID"]), median(times["grep -F ID"])
    ratio = trace / grep
    target = f"<= {TARGET_TRACE_VS_GREP:g}x"
    found.append(Check("logs trace ID / grep -F ID", target, f"{ratio:.1f}x", ratio <= TARGET_TRACE_VS_GREP))
    for ours, theirs, target in (
        ("logs trace ID", "jq, one request", TARGET_TRACE_VS_JQ),
        ("logs slow", "jq, slow", TARGET_SLOW_VS_JQ),
        ("logs errors", "jq, errors", TARGET_ERRORS_VS_JQ),
    ):
        if theirs in times:
            speedup = median(times[theirs]) / median(times[ours])
            found.append(Check(f"{theirs} / {ours}", f">= {target:g}x", f"{speedup:.1f}x", speedup >= target))
    for name, (small, big) in rss.items():
        grown = big / small
        measured = f"{grown:.2f}x ({small // 1024} -> {big // 1024} MB)"
        metric = f"peak RSS of {name}, whole file / first quarter"
        found.append(Check(metric, f"<= {TARGET_RSS_GROWTH:g}x", measured, grown <= TARGET_RSS_GROWTH))
    return found


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def tool_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "missing"
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else "?"


def machine(python: Path) -> dict[str, str]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text(errors="replace").splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    python_version = run_command([str(python), "-c", "import sys; print(sys.version.split()[0])"], timeout=30)
    return {
        "cpu": f"{cores} CPUs ({model})",
        "python": f"Python {python_version.strip()}",
        "grep": tool_version(["grep", "--version"]),
        "jq": tool_version(["jq", "--version"]),
        "platform": platform.platform(),
        "template": f"template {template_commit()}",
    }


def report(times: dict[str, list[Run]], rss: dict[str, tuple[int, int]], facts: dict[str, object]) -> str:
    grep = median(times["grep -F ID"])
    rows = []
    for name, runs in times.items():
        low, high = min(r.seconds for r in runs), max(r.seconds for r in runs)
        memory = f"{rss[name][0] // 1024} / {rss[name][1] // 1024}" if name in rss else "-"
        rows.append([name, f"{median(runs):.2f}", f"{low:.2f}-{high:.2f}", f"{median(runs) / grep:.1f}x", memory])
    verdicts = checks(times, rss)
    out = [
        f"flask logs on a {facts['size']} JSON log ({facts['lines']} lines), {facts['repeats']} rounds, warm cache:",
        "",
        table(["command", "median s", "range s", "/ grep", "peak RSS MB, first quarter / whole"], rows),
        "",
        table(
            ["metric", "target", "measured", "result"],
            [[c.metric, c.target, c.measured, "PASS" if c.passed else "FAIL"] for c in verdicts],
        ),
        "",
    ]
    problems = facts.get("problems") or []
    if problems:
        out += ["Sanity problems: " + "; ".join(map(str, problems)), ""]  # type: ignore[call-overload]
    if not facts.get("jq_used"):
        out += ["jq is not installed: its rows are left out (apt-get install -y jq).", ""]
    out.append("Machine: " + ", ".join(facts["machine"].values()) + ".")  # type: ignore[union-attr]
    return "\n".join(out)


# -- main ------------------------------------------------------------------------------------------------


def ensure_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        progress(f"creating virtualenv in {path}")
        run_command([sys.executable, "-m", "venv", str(path)], timeout=120)
    progress("installing cookiecutter")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "cookiecutter"]
    run_command(pip, timeout=INSTALL_TIMEOUT)
    return python


def human(size: int) -> str:
    return f"{size / GB:.2f} GB"


def measure(args: argparse.Namespace, workdir: Path, logdir: Path) -> str:
    python = ensure_venv(args.venv.resolve() if args.venv else workdir / "venv")
    project, package = bake(python, workdir / "bake")
    tool = python.parent / f"{project.name}-logs"
    progress(f"the baked service serves {STORIES} requests for the templates")
    stories = run_command(
        [str(python), str(Path(__file__).resolve()), "--write-stories", package, "--stories", str(STORIES)],
        timeout=COMMAND_TIMEOUT,
        cwd=workdir,
    )
    templates = templates_of(stories.splitlines())
    log = LogFile(logdir / "service.log", templates)
    log.path.unlink(missing_ok=True)
    size = int(args.size_gb * GB)
    jq = shutil.which("jq") is not None
    if not jq:
        progress("jq is not installed: its rows are left out (apt-get install -y jq)")
    chosen = commands(tool, jq)
    ours = [command for command in chosen if command.tool_args]
    try:
        started = time.perf_counter()
        small_rid = log.append_until(int(size * MEMORY_SHARE), int(size * MEMORY_SHARE * NEEDLE_AT))
        progress(f"wrote {human(log.written)} in {time.perf_counter() - started:.1f}s; peak RSS on it")
        small = {c.name: peak_rss_kb(python, package, c, log.path, small_rid, workdir) for c in ours}
        small_written = log.written
        rid = log.append_until(size, int(size * NEEDLE_AT))
        progress(f"wrote {human(log.written)} ({log.lines} lines) in {time.perf_counter() - started:.1f}s in all")
        big = {c.name: peak_rss_kb(python, package, c, log.path, rid, workdir) for c in ours}
        times = measure_times(chosen, log.path, rid, args.repeats, workdir)
    finally:
        if not args.keep:
            log.path.unlink(missing_ok=True)
    facts: dict[str, object] = {
        "size": human(log.written),
        "small_size": human(small_written),
        "lines": f"{log.lines:,}",
        "repeats": args.repeats,
        "jq_used": jq,
        "problems": sanity(times, rid),
        "machine": machine(python),
    }
    rss = {name: (small[name], big[name]) for name in small}
    return report(times, rss, facts)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="flask logs against grep and jq on a big log (bench/README.md).")
    parser.add_argument("--size-gb", type=float, default=1.0, help="size of the generated log (default 1.0)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds of every command (default 3)")
    parser.add_argument("--venv", type=Path, help="reuse (or create) this virtualenv instead of a temporary one")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the log here and leave it (default: deleted)")
    parser.add_argument("--write-stories", metavar="PACKAGE", help=argparse.SUPPRESS)
    parser.add_argument("--stories", type=int, default=STORIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size_gb <= 0 or args.repeats < 1:
        parser.error("--size-gb must be positive and --repeats at least 1")
    return args


def main() -> int:
    args = parse_args()
    if args.write_stories:  # inside the baked virtualenv
        write_stories(args.write_stories, args.stories)
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="logs-speed-") as tmp:
            logdir = args.keep.resolve() if args.keep else Path(tmp)
            logdir.mkdir(parents=True, exist_ok=True)
            print(measure(args, Path(tmp), logdir))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
