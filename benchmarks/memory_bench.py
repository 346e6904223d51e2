"""Memory of one live fake process (Stripe) under the journal's and the violation report's worst cases.

    .venv/bin/python -m benchmarks.memory_bench [--key-mb 8] [--requests 40] [--callers 300] [--per-caller 200]
        [--server-args "--max-header-bytes 16777216"]

1. ``--requests`` requests, each with an API key of ``--key-mb`` MB (the caller the journal records);
   the server's header limit refuses such a request with 431 unless ``--server-args`` raise it, which
   lets the key reach the fake and shows what the journal keeps of it.
2. ``--callers`` distinct API keys each sending ``--per-caller`` requests that break the contract
   (an unknown parameter on ``POST /v1/customers``; strict validation refuses each one, so the
   violation report is all that grows).
After each case, ``POST /_sim/reset``. Prints the server's RSS before, after and after the reset.
Results in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import shlex
import threading

import requests

from benchmarks.server_limits import fake_process, rss_mb


def key_case(url: str, key_mb: int, n: int) -> str:
    key = "sk_test_" + "k" * (key_mb * 2**20)
    statuses: dict[int, int] = {}
    with requests.Session() as s:
        for _ in range(n):
            try:
                status = s.get(url + "/v1/customers", headers={"Authorization": f"Bearer {key}"}, timeout=60).status_code
            except requests.ConnectionError:
                status = 0   # closed by the server before an answer
            statuses[status] = statuses.get(status, 0) + 1
    return f"{n} requests with a {key_mb} MB API key: statuses {statuses}"


def violation_case(url: str, callers: int, per_caller: int) -> str:
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def run(chunk: range) -> None:
        with requests.Session() as s:
            for i in chunk:
                auth = {"Authorization": f"Bearer sk_test_caller{i:04d}"}
                for j in range(per_caller):
                    status = s.post(url + "/v1/customers", data={"name": "x", f"bogus_{j}": "1"}, headers=auth,
                                    timeout=30).status_code
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=run, args=(range(k, callers, 4),)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return f"{callers} callers x {per_caller} contract violations: statuses {statuses}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--key-mb", type=int, default=8)
    p.add_argument("--requests", type=int, default=40)
    p.add_argument("--callers", type=int, default=300)
    p.add_argument("--per-caller", type=int, default=200)
    p.add_argument("--server-args", default="", help="extra options for simulators.core.server")
    args = p.parse_args()
    server_args = shlex.split(args.server_args)
    cases = [lambda url: key_case(url, args.key_mb, args.requests),
             lambda url: violation_case(url, args.callers, args.per_caller)]
    for case in cases:
        with fake_process("stripe", server_args) as (url, token, proc):
            before = rss_mb(proc)
            line = case(url)
            after = rss_mb(proc)
            with requests.Session() as s:
                journal = s.get(url + "/_sim/journal?limit=1", headers={"X-Sim-Token": token}, timeout=30).json()
                report = s.get(url + "/_sim/violations", headers={"X-Sim-Token": token}, timeout=30).json()
                s.post(url + "/_sim/reset", headers={"X-Sim-Token": token}, timeout=30).raise_for_status()
            kept = sum(len(v) for v in report["by_caller"].values())
            caller = (journal["entries"] or [{}])[-1].get("caller") or ""
            print(f"{line}\n  RSS {before} -> {after} MB, after /_sim/reset {rss_mb(proc)} MB; journal's last caller "
                  f"{len(caller)} chars; violations kept {kept} for {len(report['by_caller'])} callers", flush=True)


if __name__ == "__main__":
    main()
