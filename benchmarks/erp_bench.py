"""Benchmark (not a test): live sales-order create and invoice transform requests per second.

Starts the ERP fake alone with LiveHarness on a free loopback port and drives it with the shared
bounded load generator (benchmarks/loadgen.py: a thread pool of requests.Session clients, fixed
count, hard time cap), signing with OAuth 1.0a (requests_oauthlib, HMAC-SHA256) or the Bearer token.

    .venv/bin/python -m benchmarks.erp_bench --total 1000 --concurrency 8 [--bearer]
"""
from __future__ import annotations

import argparse
import socket
import tempfile
import threading
from pathlib import Path

import requests
from requests_oauthlib import OAuth1

from benchmarks.loadgen import run
from simulators.harness import LiveHarness

REST = "/services/rest/record/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--total", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--time-cap", type=float, default=60.0)
    p.add_argument("--bearer", action="store_true")
    args = p.parse_args()
    lock = threading.Lock()
    orders: dict[int, str] = {}

    def prepare(s: requests.Session) -> None:
        if args.bearer:
            s.headers["Authorization"] = "Bearer o2c-erp-token"
        elif s.auth is None:
            s.auth = OAuth1("o2c-consumer-key", "o2c-consumer-secret", "o2c-token-id", "o2c-token-secret",
                            signature_method="HMAC-SHA256", realm="O2C_SB1")

    with LiveHarness(["erp"], ports={"erp": free_port()},
                     run_dir=Path(tempfile.mkdtemp(prefix="erp-bench-"))) as h:
        base = h.url("erp") + REST
        s0 = requests.Session()
        prepare(s0)
        assert s0.post(base + "/customer", json={"companyName": "Bench Co", "externalId": "BENCH"}).status_code == 204

        def create(s: requests.Session, i: int) -> int:
            prepare(s)
            r = s.post(base + "/salesOrder", timeout=30, json={
                "entity": {"externalId": "BENCH"}, "externalId": f"B{i}", "orderStatus": {"id": "B"},
                "item": {"items": [{"item": {"externalId": "SAAS-PLATFORM-12"}, "rate": 11000},
                                   {"item": {"externalId": "SVC-IMPL"}, "rate": 3400}]}})
            if r.status_code == 204:
                with lock:
                    orders[i] = r.headers["Location"].rsplit("/", 1)[1]
            return r.status_code

        def bill(s: requests.Session, i: int) -> int:
            prepare(s)
            so = orders.get(i)
            if so is None:
                return 599
            return s.post(f"{base}/salesOrder/{so}/!transform/invoice", timeout=30,
                          json={"item": {"items": [{"orderLine": 1, "custcol_ava_taxamount": 1127.5}]}}).status_code

        created = run(create, total=args.total, concurrency=args.concurrency, time_cap=args.time_cap, warmup=20)
        billed = run(bill, total=args.total, concurrency=args.concurrency, time_cap=args.time_cap, warmup=20)
    print(f"auth={'Bearer' if args.bearer else 'OAuth 1.0a HMAC-SHA256'} concurrency={args.concurrency}")
    print("salesOrder create            ", created)
    print("salesOrder !transform/invoice", billed)


if __name__ == "__main__":
    main()
