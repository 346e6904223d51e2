"""Requests the reference integration makes per complete lifecycle, per system (bounded; in-process).

Runs N complete lifecycles in-process (order with one or two lines activated in Salesforce -> invoice
mirrored with its payable Stripe invoice -> paid -> Paid in Salesforce and applied in the ERP) and
counts every request made while one of the integration's jobs runs, by system and by operation (the
name each fake's journal gives it). The driver's own requests (placing orders, paying) are not
counted. Deterministic: the same code gives the same figures, so a change in them is a change in
the integration.

    .venv/bin/python -m benchmarks.integration_requests [--orders 20] [--sync webhook|polling] [--by-operation]
"""
from __future__ import annotations

import argparse
import json
import re
import threading
from collections import Counter
from typing import Any
from unittest import mock

from simulators.core import transport
from simulators.harness import InProcessHarness
from simulators.integration.jobs import WorkQueue
from simulators.scenario import Lifecycle

# ids in paths, so one operation counts as one row: Stripe's (in_...), Salesforce's (15/18
# characters), the ERP's (numbers, eid:<key>) and an AvaTax document code
ID = re.compile(r"/(?:[a-z]{2,5}_[A-Za-z0-9]{8,}|[A-Za-z0-9]{18}|[A-Za-z0-9]{15}|\d+|eid:[^/]+|(?:EST-)?[A-Z]+-[\w-]+)(?=/|$)")
CUSTOMERS = ["ACME-IRVINE", "WINDY-CHICAGO", "BIGAPPLE-NYC", "LONESTAR-AUSTIN"]
CATALOG = [("HW-ROUTER", 2), ("FREIGHT", 1), ("SAAS-PLATFORM-12", 1), ("SVC-IMPL", 1)]


def measure(orders: int, sync: str) -> dict[str, Any]:
    in_job = threading.local()
    counts: Counter = Counter()
    operations: Counter = Counter()
    run, call_wsgi = WorkQueue._run, transport.call_wsgi

    def counted_run(queue: WorkQueue, job_key: str) -> None:
        in_job.on = True
        try:
            run(queue, job_key)
        finally:
            in_job.on = False

    h = InProcessHarness(integration={"payment_sync": sync, "poll_interval": 300})
    names = {id(app): name for name, app in h.apps.items()}

    def counted_call(app, prepared):
        status, headers, content = call_wsgi(app, prepared)
        if getattr(in_job, "on", False):
            name = names.get(id(app), "?")
            counts[name] += 1
            operations[f"{name} {prepared.method} {ID.sub('/{id}', prepared.path_url.split('?')[0])}"] += 1
        return status, headers, content

    with mock.patch.object(WorkQueue, "_run", counted_run), mock.patch.object(transport, "call_wsgi", counted_call):
        h.start()
        try:
            o2c = Lifecycle(h)
            o2c.install_integration()
            counts.clear()
            operations.clear()
            keys = []
            for i in range(orders):
                key = o2c.place_order(CUSTOMERS[i % len(CUSTOMERS)],
                                      [CATALOG[(i + k) % len(CATALOG)] for k in range(1 + i % 2)])
                o2c.activate(key)
                keys.append(key)
            h.settle()
            for key in keys:
                o2c.pay(key)
            h.advance("10m")   # polling: the next poll reads the payments
            paid = sum(1 for key in keys if (o2c.mirror(key) or {}).get("blng__PaymentStatus__c") == "Paid")
            status = o2c.integration_status()
        finally:
            h.stop()
    per = {name: round(n / orders, 2) for name, n in sorted(counts.items())}
    return {"sync": sync, "orders": orders, "paid": paid, "dead_letters": status["dead_letters"],
            "requests_per_lifecycle": per, "total_per_lifecycle": round(sum(counts.values()) / orders, 2),
            "by_operation": {k: round(v / orders, 2) for k, v in sorted(operations.items())}}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=20)
    p.add_argument("--sync", default="webhook", choices=["webhook", "polling"])
    p.add_argument("--by-operation", action="store_true", help="also each path's count per lifecycle")
    a = p.parse_args(argv)
    out = measure(a.orders, a.sync)
    if not a.by_operation:
        out.pop("by_operation")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
