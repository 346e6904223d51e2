"""Benchmark (not a test): the fake Stripe's live ``POST /v1/customers`` and ``GET /v1/customers/{id}``
throughput, optionally side by side with localstripe, using the same load tool for both: a thread
pool of ``requests.Session`` clients, a fixed number of requests, a time budget per phase.

    .venv/bin/python benchmarks/stripe_bench.py --requests 2000 --concurrency 8 \
        --localstripe /tmp/localstripe-venv/bin/localstripe

localstripe is not a project dependency: install it in a throwaway venv
(``python3 -m venv /tmp/localstripe-venv && /tmp/localstripe-venv/bin/pip install localstripe``).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.harness import LiveHarness  # noqa: E402

KEY = "sk_test_o2c"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_phase(base: str, n: int, concurrency: int, budget: float, make) -> tuple[int, int, float]:
    """Run up to ``n`` requests (or until ``budget`` seconds pass); returns (ok, errors, seconds)."""
    local = threading.local()
    deadline = time.perf_counter() + budget
    counts = {"ok": 0, "err": 0}
    lock = threading.Lock()

    def one(i: int) -> None:
        if time.perf_counter() > deadline:
            return
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers["Authorization"] = f"Bearer {KEY}"
        method, path, data, headers = make(i)
        try:
            r = s.request(method, base + path, data=data, headers=headers, timeout=30)
            ok = r.status_code == 200
        except requests.RequestException:
            ok = False
        with lock:
            counts["ok" if ok else "err"] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    return counts["ok"], counts["err"], time.perf_counter() - start


def bench(name: str, base: str, n: int, concurrency: int, budget: float) -> dict:
    ids: list[str] = []
    ids_lock = threading.Lock()
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {KEY}"

    def create(i: int):
        return ("POST", "/v1/customers", {"email": f"c{i}@bench.test", "name": f"Customer {i}",
                                          "metadata[key]": f"K-{i}"}, {"Idempotency-Key": str(uuid.uuid4())})

    # warm-up, and a pool of ids to read
    for i in range(50):
        r = s.post(base + "/v1/customers", data={"email": f"w{i}@bench.test"})
        r.raise_for_status()
        ids.append(r.json()["id"])
    ok_w, err_w, t_w = run_phase(base, n, concurrency, budget, create)
    ok_r, err_r, t_r = run_phase(base, n, concurrency, budget,
                                 lambda i: ("GET", f"/v1/customers/{ids[i % len(ids)]}", None, {}))
    out = {"name": name, "writes": ok_w, "write_errors": err_w, "write_s": t_w, "write_rps": ok_w / t_w,
           "reads": ok_r, "read_errors": err_r, "read_s": t_r, "read_rps": ok_r / t_r}
    print(f"{name:12s} POST /v1/customers {out['write_rps']:8.1f} req/s ({ok_w} ok, {err_w} errors, {t_w:.1f}s)   "
          f"GET /v1/customers/:id {out['read_rps']:8.1f} req/s ({ok_r} ok, {err_r} errors, {t_r:.1f}s)", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=2000, help="requests per phase (writes, then reads)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--budget", type=float, default=120.0, help="max seconds per phase")
    p.add_argument("--threads", type=int, default=8, help="server threads for the fake")
    p.add_argument("--localstripe", help="path to a localstripe executable to compare against")
    args = p.parse_args()
    print(f"{args.requests} requests per phase, concurrency {args.concurrency}, budget {args.budget}s per phase")

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        h = LiveHarness(["stripe"], ports={"stripe": free_port()}, run_dir=Path(tmp), validation="strict",
                        threads=args.threads)
        h.start()
        try:
            results.append(bench("o2c fake", h.url("stripe"), args.requests, args.concurrency, args.budget))
        finally:
            h.stop()

    if args.localstripe:
        port = free_port()
        proc = subprocess.Popen([args.localstripe, "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    requests.get(base + "/v1/customers", auth=(KEY, ""), timeout=1)
                    break
                except requests.RequestException:
                    threading.Event().wait(0.1)
            results.append(bench("localstripe", base, args.requests, args.concurrency, args.budget))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        fake, ls = results
        print(f"ratio (fake / localstripe): writes {fake['write_rps'] / ls['write_rps']:.1f}x, "
              f"reads {fake['read_rps'] / ls['read_rps']:.1f}x")


if __name__ == "__main__":
    main()
