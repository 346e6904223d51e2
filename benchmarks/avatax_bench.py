"""Live AvaTax create-transaction throughput, validation strict vs off side by side in one run
(the live server, loopserver).

    .venv/bin/python benchmarks/avatax_bench.py [--total 2000] [--concurrency 8]

Bounded: each case sends at most --total requests and stops after --time-cap seconds.
"""
from __future__ import annotations

import argparse
import base64
import json
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.loadgen import run  # noqa: E402
from simulators.harness import LiveHarness  # noqa: E402

AUTH = {"Authorization": "Basic " + base64.b64encode(b"123456:o2c-license-key").decode(),
        "Content-Type": "application/json"}
BODY = json.dumps({
    "type": "SalesInvoice", "companyCode": "DEFAULT", "date": "2026-01-05", "customerCode": "BENCH", "commit": True,
    "addresses": {"shipTo": {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postalCode": "60601",
                             "country": "US"}},
    "lines": [{"number": str(i), "amount": 250, "taxCode": "P0000000", "itemCode": "HW-ROUTER"} for i in range(1, 4)],
})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(validation: str, total: int, concurrency: int, cap: float) -> dict:
    port = free_port()
    with LiveHarness(["avalara"], ports={"avalara": port}, run_dir=Path(tempfile.mkdtemp()),
                     validation=validation, threads=concurrency) as h:
        url = h.url("avalara") + "/api/v2/transactions/create"

        def call(session, i):
            body = BODY.replace('"customerCode": "BENCH"', f'"customerCode": "BENCH", "code": "B{i}"')
            return session.post(url, data=body, headers=AUTH, timeout=30).status_code

        return run(call, total=total, concurrency=concurrency, time_cap=cap)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--total", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--time-cap", type=float, default=60)
    args = p.parse_args()
    rows = [(validation, measure(validation, args.total, args.concurrency, args.time_cap))
            for validation in ("strict", "off")]
    print(f"\nAvaTax POST /api/v2/transactions/create, 3 lines, {args.total} requests, concurrency {args.concurrency}")
    print(f"{'validation':<12}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for validation, r in rows:
        print(f"{validation:<12}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}")
    print(f"\nvalidation off / strict: {rows[1][1]['rps'] / rows[0][1]['rps']:.2f}x")


if __name__ == "__main__":
    main()
