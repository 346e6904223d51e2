"""Live fake-Salesforce throughput over HTTPS (harness CA): sObject create and SOQL query.

    .venv/bin/python benchmarks/salesforce_bench.py [--total 2000] [--concurrency 8] [--time-cap 60]

Bounded: each case sends at most --total requests and stops after --time-cap seconds. Same load
tool as every other benchmark (benchmarks/loadgen.py: a thread pool of requests.Session clients).
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.loadgen import run  # noqa: E402
from simulators.harness import LiveHarness  # noqa: E402
from simulators.salesforce.client import oauth_token  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


QUERIES = {
    "query: equality on external id": "SELECT Id, Name FROM Account WHERE Customer_Key__c = 'ACME-IRVINE'",
    "query: parent path + child subquery": "SELECT Id, Name, Owner.Name, (SELECT Id FROM Contacts) FROM Account "
                                           "WHERE BillingState = 'CA' ORDER BY Name LIMIT 10",
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--total", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--time-cap", type=float, default=60)
    args = p.parse_args()
    port = free_port()
    rows = []
    with LiveHarness(["salesforce"], ports={"salesforce": port}, run_dir=Path(tempfile.mkdtemp()),
                     threads=args.concurrency) as h:
        base, ca = h.url("salesforce"), str(h.ca_path)
        token = oauth_token(base, ca)["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        create_url = f"{base}/services/data/v59.0/sobjects/Account/"

        def create(session, i):
            body = json.dumps({"Name": f"Bench {i}", "BillingCity": "Reno"})
            return session.post(create_url, data=body, headers=headers, verify=ca, timeout=30).status_code

        rows.append(("create Account (POST /sobjects/Account/)", run(create, args.total, args.concurrency,
                                                                     args.time_cap)))
        for label, soql in QUERIES.items():
            def query(session, i, soql=soql):
                return session.get(f"{base}/services/data/v59.0/query/", params={"q": soql}, headers=headers,
                                   verify=ca, timeout=30).status_code
            rows.append((label + " (~2000 Accounts)", run(query, args.total, args.concurrency, args.time_cap)))
    print(f"\nfake Salesforce, live HTTPS (default server: loopserver), {args.total} requests per case, "
          f"concurrency {args.concurrency}")
    print(f"{'case':<58}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label, r in rows:
        print(f"{label:<58}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}")


if __name__ == "__main__":
    main()
