"""The live server's limits, probed on a real socket against one fake process (Stripe by default).

    .venv/bin/python -m benchmarks.server_limits [--fake stripe] [--slowloris 100] [--wait 13]
        [--body-mb 13] [--server-args "--max-body 16777216"]

Prints, one line per probe: what a request line + headers of ``--header-mb`` MiB gets (status, server RSS growth),
how many of N half-sent requests (slowloris) are still open after ``--wait`` seconds, whether a
999,999,999-byte ``Expect: 100-continue`` upload is invited, what an HTTP/1.1 request without Host
gets, how many answers one h2c ``Upgrade`` request gets, and how long ``GET /_sim/health`` takes
while four ``--body-mb`` MB form bodies are being parsed. ``--server-args`` go to
``python -m simulators.core.server`` (e.g. a larger ``--max-body`` so the big bodies are parsed
rather than refused with 413). Results in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import psutil
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fake_process(fake: str, server_args: list[str]):
    """One fake as its own server process; yields (base url, control token, psutil.Process)."""
    port, token = free_port(), secrets.token_urlsafe(16)
    cmd = [sys.executable, "-m", "simulators.core.server", fake, "--port", str(port), *server_args]
    proc = subprocess.Popen(cmd, env={**os.environ, "O2C_CONTROL_TOKEN": token},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/_sim/health", headers={"X-Sim-Token": token}, timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {fake} server did not start: {cmd}")
            time.sleep(0.1)
        yield url, token, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def rss_mb(proc: psutil.Process) -> float:
    return round(proc.memory_info().rss / 2**20, 1)


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` (as far as the server lets us), then read until the server closes or goes quiet."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
    return out


def status_line(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode("latin-1") or "(connection closed, no answer)"


def probe_headers(port: int, token: str, proc: psutil.Process, mb: int) -> str:
    before = rss_mb(proc)
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 8000) for i in range(mb * 128))   # 8,000-byte lines
    answer = exchange(port, b"GET /_sim/health HTTP/1.1\r\nHost: x\r\nX-Sim-Token: %s\r\n%sConnection: close\r\n\r\n"
                      % (token.encode(), pad), timeout=30)
    return f"{mb} MiB of headers: {status_line(answer)}; server RSS {before} -> {rss_mb(proc)} MB"


def probe_slowloris(port: int, n: int, wait: float) -> str:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n")   # ... and never the blank line
        socks.append(s)
    deadline = time.monotonic() + wait
    open_ = n
    while time.monotonic() < deadline and open_:
        open_ = 0
        for s in socks:
            s.settimeout(0.0)
            try:
                open_ += 1 if s.recv(1024) else 0   # data (an answer) still counts as held open
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass
        time.sleep(0.5)
    for s in socks:
        s.close()
    return f"slowloris: {open_} of {n} half-sent requests still open after {wait:.0f} s"


def probe_continue(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n\r\n")
        try:
            first = s.recv(200)
        except (socket.timeout, ConnectionResetError):
            first = b""
    return f"Expect: 100-continue with Content-Length 999,999,999: {status_line(first)}"


def probe_no_host(port: int, token: str) -> str:
    answer = exchange(port, b"GET /_sim/health HTTP/1.1\r\nX-Sim-Token: %s\r\nConnection: close\r\n\r\n"
                      % token.encode())
    return f"HTTP/1.1 without Host: {status_line(answer)}"


def probe_upgrade(port: int, token: str) -> str:
    answers = []
    for path in (b"/_sim/health", b"/v1/customers"):   # a control request (worker thread), an API one (event loop)
        answer = exchange(port, b"GET %s HTTP/1.1\r\nHost: x\r\nX-Sim-Token: %s\r\nAuthorization: Bearer sk_test_x\r\n"
                                b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n" % (path, token.encode()), timeout=3)
        answers.append([ln.decode() for ln in answer.split(b"\r\n") if ln.startswith(b"HTTP/1.1 ")])
    return f"h2c Upgrade (control, API): {answers}"


def probe_health_under_bodies(url: str, token: str, body_mb: int) -> str:
    body = b"a=b&" * (body_mb * 2**20 // 4)
    results: list[str] = []
    go = threading.Barrier(5)

    def upload() -> None:
        go.wait()
        began = time.perf_counter()
        r = requests.post(url + "/v1/customers", data=body, timeout=120,
                          headers={"Authorization": "Bearer sk_test_bench",
                                   "Content-Type": "application/x-www-form-urlencoded"})
        results.append(f"{r.status_code} in {time.perf_counter() - began:.2f} s")

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    go.wait()
    took: list[float] = []
    with requests.Session() as health:
        while any(t.is_alive() for t in threads):
            began = time.perf_counter()
            health.get(url + "/_sim/health", headers={"X-Sim-Token": token}, timeout=60).raise_for_status()
            took.append((time.perf_counter() - began) * 1000)
    for t in threads:
        t.join()
    took.sort()
    return (f"GET /_sim/health during four {body_mb} MB bodies: {len(took)} checks, median {took[len(took) // 2]:.0f} ms,"
            f" p95 {took[int(len(took) * 0.95)]:.0f} ms, worst {took[-1]:.0f} ms; uploads {results}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fake", default="stripe")
    p.add_argument("--slowloris", type=int, default=100)
    p.add_argument("--wait", type=float, default=13.0, help="seconds to hold the slowloris connections")
    p.add_argument("--body-mb", type=int, default=13)
    p.add_argument("--header-mb", type=int, default=64)
    p.add_argument("--server-args", default="", help="extra options for simulators.core.server")
    args = p.parse_args()
    with fake_process(args.fake, shlex.split(args.server_args)) as (url, token, proc):
        port = int(url.rsplit(":", 1)[1])
        for line in (probe_headers(port, token, proc, args.header_mb), probe_continue(port),
                     probe_no_host(port, token), probe_upgrade(port, token),
                     probe_health_under_bodies(url, token, args.body_mb), probe_slowloris(port, args.slowloris,
                                                                                           args.wait)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
