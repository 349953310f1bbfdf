"""Fallback HTTP load generator, used when ``wrk`` is not installed.

Why raw sockets and not ``http.client``: gunicorn's sync worker closes the connection after
every response, so each request costs a connect anyway, and the less CPU the client burns per
request, the less it competes with the server it measures (the benchmark compares two servers,
so a slow client would squeeze their ratio towards 1.0). Each thread opens one connection per
request, sends a fixed ``GET``, reads until the server closes, and counts ``200`` answers.

Bounded by construction: it stops at the deadline or after ``--max-requests``, every socket
has a timeout, and it only ever connects to 127.0.0.1.

Usage: ``python loadgen.py --port 8000 --seconds 5 --connections 4 --path /health``;
prints one JSON object (requests, errors, seconds, rps).
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
SOCKET_TIMEOUT = 5.0
DEFAULT_MAX_REQUESTS = 5_000_000


@dataclass
class Tally:
    """Counts shared by the worker threads (updated under ``lock``, once per thread)."""

    requests: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_request(port: int, payload: bytes) -> bool:
    """Send one request on a fresh connection; True if the answer was ``HTTP/1.x 200``."""
    with socket.create_connection((HOST, port), timeout=SOCKET_TIMEOUT) as conn:
        conn.sendall(payload)
        head = conn.recv(65536)
        while conn.recv(65536):  # read to EOF: the sync worker closes after the body
            pass
    return head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))


def worker(port: int, payload: bytes, deadline: float, budget: int, tally: Tally) -> None:
    """Loop until the deadline or the per-thread request budget, whichever comes first."""
    done = errors = 0
    while done + errors < budget and time.perf_counter() < deadline:
        try:
            ok = one_request(port, payload)
        except OSError:
            ok = False
        if ok:
            done += 1
        else:
            errors += 1
    with tally.lock:
        tally.requests += done
        tally.errors += errors


def run(port: int, seconds: float, connections: int, path: str, max_requests: int) -> dict[str, float]:
    """Drive ``connections`` concurrent clients for ``seconds``; return the totals."""
    payload = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    tally = Tally()
    start = time.perf_counter()
    deadline = start + seconds
    budget = max(1, max_requests // connections)
    threads = [
        threading.Thread(target=worker, args=(port, payload, deadline, budget, tally), daemon=True)
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + SOCKET_TIMEOUT * 2)
    elapsed = time.perf_counter() - start
    return {"requests": tally.requests, "errors": tally.errors, "seconds": elapsed, "rps": tally.requests / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--path", default="/health")
    parser.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS)
    args = parser.parse_args()
    result = run(args.port, args.seconds, max(1, args.connections), args.path, args.max_requests)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
