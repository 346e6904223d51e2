"""A tiny bounded load generator shared by every benchmark: a thread pool of requests.Session
clients, a fixed number of requests, a hard time cap. Same tool for every side-by-side figure."""
from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import requests


def run(make_request: Callable[[requests.Session, int], int], total: int = 2000, concurrency: int = 8,
        time_cap: float = 60.0, warmup: int = 50) -> dict:
    """``make_request(session, i) -> status``. Returns req/s, latency percentiles, error count."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    for i in range(warmup):
        make_request(session(), -1 - i)
    deadline = time.monotonic() + time_cap
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def one(i: int) -> None:
        if time.monotonic() > deadline:
            return
        t0 = time.perf_counter()
        status = make_request(session(), i)
        dt = time.perf_counter() - t0
        with lock:
            latencies.append(dt)
            if status >= 400:
                errors[0] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    return {"requests": len(lat), "seconds": round(elapsed, 2), "rps": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(0.5), 2), "p95_ms": round(pct(0.95), 2), "p99_ms": round(pct(0.99), 2),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None, "errors": errors[0]}
