"""SOQL engine latency over large orgs (in-process: the query engine alone, no HTTP).

    .venv/bin/python benchmarks/soql_bench.py [--sizes 10000,100000] [--repeat 20]

Fills the fake org with N Accounts (each with an external id) and N Contacts (one per Account),
then times each query shape (median and p95 of --repeat runs): an Id filter, an external-id filter,
a parent-path filter (indexed, and one that scans), a child subquery of one parent, and a GROUP BY over the whole table.
Records are inserted straight into the tables (the write path's validation is not what is measured).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulators.core.clock import wall_seconds  # noqa: E402
from simulators.core.ids import sf_id18  # noqa: E402
from simulators.harness import InProcessHarness  # noqa: E402

STATES = ("CA", "NY", "TX", "WA", "OR", "NV", "AZ", "IL")


def fill(org, n: int) -> tuple[str, str]:
    db = org.db
    template_a = db.create("Account", {"Name": "Template"})
    template_c = db.create("Contact", {"LastName": "Template", "AccountId": template_a["Id"]})
    accounts, contacts = db.table("Account"), db.table("Contact")
    for i in range(n):
        aid = sf_id18(f"001Bn{i:010d}")
        cid = sf_id18(f"003Bn{i:010d}")
        accounts[aid[:15]] = dict(template_a, Id=aid, Name=f"Bench {i:06d}", Customer_Key__c=f"BK-{i}",
                                  BillingState=STATES[i % len(STATES)])
        contacts[cid[:15]] = dict(template_c, Id=cid, LastName=f"Last {i}", AccountId=aid)
    db.generation = getattr(db, "generation", 0) + 1
    middle = sf_id18(f"001Bn{n // 2:010d}")
    return middle, f"BK-{n // 2}"


def timed(org, soql: str, repeat: int) -> tuple[float, float, int]:
    org.engine.run(soql)   # warm: the parse cache and the external-id index
    samples = []
    for _ in range(repeat):
        t0 = wall_seconds()
        records, total = org.engine.run(soql)
        samples.append((wall_seconds() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    print("| records | query | median ms | p95 ms | rows |")
    print("|---:|---|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        with InProcessHarness(["salesforce"]) as h:
            org = h.apps["salesforce"].extensions["salesforce"]
            account_id, key = fill(org, n)
            queries = {
                "Id filter": f"SELECT Id, Name FROM Account WHERE Id = '{account_id}'",
                "external-id filter": f"SELECT Id, Name FROM Account WHERE Customer_Key__c = '{key}'",
                "parent path filter": f"SELECT Id, Account.Name FROM Contact WHERE Account.Customer_Key__c = '{key}'",
                "parent path filter (scan)": f"SELECT Id FROM Contact WHERE Account.Name = 'Bench {n // 2:06d}'",
                "child subquery (one parent)": f"SELECT Id, (SELECT LastName FROM Contacts) FROM Account "
                                               f"WHERE Customer_Key__c = '{key}'",
                "GROUP BY over the table": "SELECT BillingState, COUNT(Id) FROM Account GROUP BY BillingState",
            }
            for label, soql in queries.items():
                repeat = args.repeat if "GROUP" not in label and "scan" not in label else max(3, args.repeat // 5)
                med, p95, rows = timed(org, soql, repeat)
                print(f"| {n:,} | {label} | {med:.2f} | {p95:.2f} | {rows} |", flush=True)


if __name__ == "__main__":
    main()
